import {
  ArmId,
  ArmPrior,
  DecideConstraints,
  Decision,
  DecisionContext,
  Outcome,
  Policy,
  PolicyState,
  QualityEstimate,
} from './policy';
import { clamp01, costOf } from './common';

export interface ConservativeOptions {
  /** The learning policy being made safe. */
  inner: Policy;
  /** The safe default arm (e.g. the model in production today). */
  baseline: ArmId;
  /**
   * Safety margin (alpha of Wu et al.): the pessimistic cumulative reward must stay at least
   * (1 - alpha) times what always playing the baseline would have earned. Default 0.1.
   */
  alpha?: number;
  /** Known mean quality of the baseline; when absent the inner policy's estimate is used. */
  baselineMean?: number;
  /** Cap on exploration spend: the total extra expected cost (USD) over the baseline's. */
  maxExplorationUsd?: number;
}

interface ConservativeStats {
  inner: PolicyState;
  counts: Record<ArmId, number>;
  lastR: Record<ArmId, number>;
  nBase: number;
  spentUsd: number;
  /** Written by states of before the bookkeeping moved to update(); ignored. */
  overridden?: number;
}

/**
 * Conservative exploration (Wu, Shariff, Lattimore, Szepesvari 2016, "Conservative Bandits")
 * as a decorator over any Policy. The inner policy proposes an arm; a non-baseline arm J is
 * allowed only if, counting J's pessimistic reward,
 *
 *     sum_i n_i * LCB_i + LCB_J + n_0 * r_0  >=  (1 - alpha) * t * r_0
 *
 * where n_i counts past plays, LCB_i = max(0, mean - halfWidth) - lambda * cost_i from the
 * inner policy's estimate (0 quality for an arm it knows nothing about), r_0 = baseline mean -
 * lambda * cost_0, and t includes this play. Otherwise the baseline is played. When r_0 <= 0 the
 * margin is alpha * t * |r_0|. With `maxExplorationUsd`, a non-baseline arm is also refused once
 * the summed extra expected cost over the baseline would exceed the cap.
 *
 * Differences from the paper, for this system: rewards include -lambda * cost; estimates of a
 * contextual inner policy are taken at the current context; the plays, the exploration spend
 * and each arm's last pessimistic reward are counted when a decision is learned from, from what
 * its log carries (Outcome.decidedWith), not when it is made: routers decide on snapshots of
 * the state that a learner which never decides keeps (docs/decisions/0011), so a count kept in
 * decide() would be lost at the next snapshot. decide() changes nothing but the inner policy's
 * random stream. Propensities stay exact relative to the inner
 * policy's: the probability of every refused arm is moved onto the baseline. When the baseline is
 * not offered or not eligible, there is nothing safe to fall back to and the inner decision stands.
 */
export class ConservativePolicy implements Policy {
  readonly algorithm = 'conservative';
  readonly inner: Policy;
  readonly baseline: ArmId;
  private readonly alpha: number;
  private readonly baselineMean?: number;
  private readonly maxExplorationUsd?: number;
  private counts = new Map<ArmId, number>();
  private lastR = new Map<ArmId, number>();
  private nBase = 0;
  private spentUsd = 0;
  /** Proposals this instance refused: a local figure, not part of the learned state. */
  private overridden = 0;

  constructor(opts: ConservativeOptions) {
    this.inner = opts.inner;
    this.baseline = opts.baseline;
    this.alpha = opts.alpha ?? 0.1;
    this.baselineMean = opts.baselineMean;
    this.maxExplorationUsd = opts.maxExplorationUsd;
    if (!(this.alpha >= 0 && this.alpha <= 1)) throw new Error(`alpha must be in [0, 1], got ${this.alpha}`);
    if (this.maxExplorationUsd !== undefined && !(this.maxExplorationUsd >= 0))
      throw new Error('maxExplorationUsd must be >= 0');
    this.inner.addArm(this.baseline);
  }

  arms(): ArmId[] {
    return this.inner.arms();
  }

  /** Exploration budget used so far (USD over the baseline) and how many proposals this instance refused. */
  safetyStats(): { spentUsd: number; overridden: number; baselinePlays: number; explorePlays: number } {
    let e = 0;
    for (const n of this.counts.values()) e += n;
    return { spentUsd: this.spentUsd, overridden: this.overridden, baselinePlays: this.nBase, explorePlays: e };
  }

  /** An arm's pessimistic reward; for an arm the inner policy no longer has, the last one learned. */
  private pessimistic(ctx: DecisionContext, arm: ArmId, c: DecideConstraints): number {
    if (!this.inner.arms().includes(arm)) return this.lastR.get(arm) ?? 0;
    const e = this.inner.estimate(ctx, arm);
    const lcb = Number.isFinite(e.halfWidth) ? clamp01(e.mean - e.halfWidth) : 0;
    return lcb - c.lambda * costOf(c, arm);
  }

  decide(ctx: DecisionContext, available: readonly ArmId[], c: DecideConstraints): Decision {
    const d = this.inner.decide(ctx, available, c);
    if (d.probabilities[this.baseline] === undefined) return d;
    const mu0 = this.baselineMean ?? this.inner.estimate(ctx, this.baseline).mean;
    const cost0 = costOf(c, this.baseline);
    const r0 = mu0 - c.lambda * cost0;
    let past = 0;
    let nPast = 0;
    for (const [a, n] of this.counts) {
      past += n * this.pessimistic(ctx, a, c);
      nPast += n;
    }
    const t = nPast + this.nBase + 1;
    const margin = this.alpha * t * Math.abs(r0);
    const base = past + this.nBase * r0 - t * r0 + margin;
    const allowed = (a: ArmId): boolean => {
      if (a === this.baseline) return true;
      if (
        this.maxExplorationUsd !== undefined &&
        this.spentUsd + Math.max(0, costOf(c, a) - cost0) > this.maxExplorationUsd + 1e-12
      ) {
        return false;
      }
      return base + this.pessimistic(ctx, a, c) >= 0;
    };
    const probabilities: Record<ArmId, number> = {};
    let moved = 0;
    for (const [a, p] of Object.entries(d.probabilities)) {
      if (allowed(a)) probabilities[a] = p;
      else {
        probabilities[a] = 0;
        moved += p;
      }
    }
    probabilities[this.baseline] += moved;
    const arm = allowed(d.arm) ? d.arm : this.baseline;
    if (arm !== d.arm) this.overridden++;
    return { arm, propensity: probabilities[arm], scores: d.scores, probabilities };
  }

  /** Counts the play (and, with the logged constraints, its spend over the baseline and its pessimistic reward), then teaches the inner policy. */
  update(ctx: DecisionContext, arm: ArmId, o: Outcome): void {
    const c = o.decidedWith;
    if (arm === this.baseline) this.nBase++;
    else {
      this.counts.set(arm, (this.counts.get(arm) ?? 0) + 1);
      if (c) this.spentUsd += Math.max(0, costOf(c, arm) - costOf(c, this.baseline));
    }
    if (c && this.inner.arms().includes(arm)) this.lastR.set(arm, this.pessimistic(ctx, arm, c));
    this.inner.update(ctx, arm, o);
  }

  estimate(ctx: DecisionContext, arm: ArmId): QualityEstimate {
    return this.inner.estimate(ctx, arm);
  }

  addArm(arm: ArmId, prior?: ArmPrior): void {
    this.inner.addArm(arm, prior);
  }

  removeArm(arm: ArmId): void {
    if (arm === this.baseline) throw new Error('cannot remove the baseline arm of a conservative policy');
    this.inner.removeArm(arm);
  }

  toState(): PolicyState {
    const inner = this.inner.toState();
    const stats: ConservativeStats = {
      inner,
      counts: Object.fromEntries(this.counts),
      lastR: Object.fromEntries(this.lastR),
      nBase: this.nBase,
      spentUsd: this.spentUsd,
    };
    return {
      algorithm: this.algorithm,
      params: {
        baseline: this.baseline,
        alpha: this.alpha,
        baselineMean: this.baselineMean,
        maxExplorationUsd: this.maxExplorationUsd,
      },
      arms: inner.arms,
      stats,
      rng: inner.rng,
    };
  }

  merge(other: PolicyState, base?: PolicyState): void {
    const o = other.stats as ConservativeStats;
    const b = (base?.stats as ConservativeStats | undefined) ?? null;
    this.inner.merge(o.inner, b?.inner);
    for (const [a, n] of Object.entries(o.counts))
      this.counts.set(a, (this.counts.get(a) ?? 0) + n - (b?.counts[a] ?? 0));
    for (const [a, r] of Object.entries(o.lastR)) if (!this.lastR.has(a)) this.lastR.set(a, r);
    this.nBase += o.nBase - (b?.nBase ?? 0);
    this.spentUsd += o.spentUsd - (b?.spentUsd ?? 0);
  }

  /** `restore` rebuilds the inner policy (the registry's policyFromState). */
  static fromState(s: PolicyState, restore: (s: PolicyState) => Policy): ConservativePolicy {
    const st = s.stats as ConservativeStats;
    const p = s.params as Omit<ConservativeOptions, 'inner'>;
    const c = new ConservativePolicy({ ...p, inner: restore(st.inner) });
    c.counts = new Map(Object.entries(st.counts));
    c.lastR = new Map(Object.entries(st.lastR));
    c.nBase = st.nBase;
    c.spentUsd = st.spentUsd;
    return c;
  }
}
