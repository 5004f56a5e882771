import { Rng } from './rng';
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
import { eligibleArms } from './eligibility';
import {
  checkGamma,
  checkPrior,
  coldDecision,
  CommonOptions,
  DEFAULT_COLD_PULLS,
  costOf,
  ensureCapacity,
  resolveAvailable,
  withoutAwaitedColdArms,
} from './common';

/**
 * Per-arm sufficient statistics of a context-free policy. The prior (pw pseudo-observations
 * of mean pm) is kept apart from the data sums so that forgetting decays toward it and merge
 * counts it once.
 */
export interface ArmStat {
  /** Prior weight (pseudo-observations) and prior mean. */
  pw: number;
  pm: number;
  /** Data: (decayed) count, sum of qualities, sum of squared qualities. */
  n: number;
  s: number;
  ss: number;
  /** Real observations, never decayed: what cold start counts. */
  pulls: number;
}

export interface CountingStats {
  t: number;
  arms: Record<ArmId, [number, number, number, number, number, number]>;
  removed: ArmId[];
  [extra: string]: unknown;
}

/** Shared machinery of epsilon-greedy, UCB1, discounted UCB and Thompson sampling. */
export abstract class CountingPolicy implements Policy {
  abstract readonly algorithm: string;
  protected readonly stats = new Map<ArmId, ArmStat>();
  protected readonly removed = new Set<ArmId>();
  protected readonly rng: Rng;
  protected readonly gamma: number;
  protected readonly coldPulls: number;
  /** Updates seen (not decayed). */
  protected t = 0;
  protected scores = new Float64Array(16);

  protected constructor(opts: CommonOptions, defaultGamma = 1) {
    this.rng = new Rng(opts.seed ?? 1);
    this.gamma = checkGamma(opts.gamma, defaultGamma);
    this.coldPulls = opts.coldPulls ?? DEFAULT_COLD_PULLS;
    const priors = opts.priors ?? {};
    for (const a of opts.arms ?? []) this.addArm(a, priors[a]);
    for (const a of Object.keys(priors)) this.addArm(a, priors[a]);
  }

  /** Algorithm parameters that toState must carry to rebuild an equal policy. */
  protected abstract params(): Record<string, unknown>;
  /** Decision among eligible arms, none of them cold. */
  protected abstract decideWarm(ctx: DecisionContext, arms: ArmId[], c: DecideConstraints): Decision;

  arms(): ArmId[] {
    return [...this.stats.keys()];
  }

  protected isCold(st: ArmStat): boolean {
    return st.pw <= 0 && st.pulls < this.coldPulls;
  }

  /** Point estimate of the quality; NaN when the arm has neither prior nor data. */
  protected mean(st: ArmStat): number {
    const w = st.pw + st.n;
    return w > 0 ? (st.pw * st.pm + st.s) / w : NaN;
  }

  /** What minQuality is checked against: an arm nobody knows anything about gets the benefit of the doubt. */
  protected qualityForEligibility(arm: ArmId): number {
    const m = this.estimate({}, arm).mean;
    const st = this.stats.get(arm)!;
    return st.pw + st.n > 0 ? m : 1;
  }

  decide(ctx: DecisionContext, available: readonly ArmId[], c: DecideConstraints): Decision {
    const avail = resolveAvailable(available, this.stats, this.removed, (a) => this.addArm(a));
    const arms = withoutAwaitedColdArms(
      eligibleArms(avail, c, (a) => this.qualityForEligibility(a)),
      (a) => {
        const st = this.stats.get(a)!;
        return st.pw > 0 ? null : st.pulls;
      },
      this.coldPulls,
      c.decided,
    );
    let cold: boolean[] | null = null;
    for (let i = 0; i < arms.length; i++) {
      if (this.isCold(this.stats.get(arms[i])!)) {
        cold ??= new Array<boolean>(arms.length).fill(false);
        cold[i] = true;
      }
    }
    if (cold) {
      this.scores = ensureCapacity(this.scores, arms.length);
      for (let i = 0; i < arms.length; i++) {
        const m = this.estimate(ctx, arms[i]).mean;
        this.scores[i] = m - c.lambda * costOf(c, arms[i]);
      }
      return coldDecision(arms, cold, this.scores, c, this.rng);
    }
    return this.decideWarm(ctx, arms, c);
  }

  update(_ctx: DecisionContext, arm: ArmId, o: Outcome): void {
    if (this.removed.has(arm)) return; // late feedback for a removed arm must not resurrect it
    if (!Number.isFinite(o.quality)) throw new Error(`quality must be finite, got ${o.quality}`);
    if (!this.stats.has(arm)) this.addArm(arm);
    if (this.gamma < 1) this.decayAll(this.gamma);
    this.observe(this.stats.get(arm)!, o.quality, 1);
    this.stats.get(arm)!.pulls++;
    this.t++;
  }

  protected observe(st: ArmStat, q: number, w: number): void {
    st.n += w;
    st.s += w * q;
    st.ss += w * q * q;
  }

  /**
   * Every arm decays on every update (Garivier & Moulines' discounting), so an arm that is no
   * longer pulled regains uncertainty and gets re-explored after a drift.
   */
  protected decayAll(g: number): void {
    for (const st of this.stats.values()) {
      st.n *= g;
      st.s *= g;
      st.ss *= g;
    }
  }

  estimate(_ctx: DecisionContext, arm: ArmId): QualityEstimate {
    const st = this.stats.get(arm);
    if (!st || st.pw + st.n <= 0) return { mean: 0.5, halfWidth: Infinity, n: 0 };
    const w = st.pw + st.n;
    const mean = (st.pw * st.pm + st.s) / w;
    // Shrunk variance: one pseudo-observation at 0.25, the largest variance a [0,1] quality can have.
    const dataVar = st.n > 0 ? Math.max(0, st.ss - (st.s * st.s) / st.n) : 0;
    const v = (0.25 + dataVar) / (1 + st.n);
    return { mean, halfWidth: 1.96 * Math.sqrt(v / w), n: w };
  }

  addArm(arm: ArmId, prior?: ArmPrior): void {
    if (this.stats.has(arm)) return;
    const p = checkPrior(prior);
    this.removed.delete(arm);
    this.stats.set(arm, { pw: p?.weight ?? 0, pm: p?.mean ?? 0.5, n: 0, s: 0, ss: 0, pulls: 0 });
  }

  removeArm(arm: ArmId): void {
    this.stats.delete(arm);
    this.removed.add(arm);
  }

  /** Extra state of a subclass (e.g. a sliding window). */
  protected extraState(): Record<string, unknown> {
    return {};
  }
  protected loadExtra(_s: CountingStats): void {
    /* no extra state by default */
  }
  protected mergeExtra(_o: CountingStats, _b: CountingStats | null): void {
    /* no extra state by default */
  }

  toState(): PolicyState {
    const arms: CountingStats['arms'] = {};
    for (const [a, st] of this.stats) arms[a] = [st.pw, st.pm, st.n, st.s, st.ss, st.pulls];
    const stats: CountingStats = { t: this.t, arms, removed: [...this.removed], ...this.extraState() };
    return { algorithm: this.algorithm, params: this.params(), arms: this.arms(), stats, rng: this.rng.state };
  }

  protected load(s: PolicyState): this {
    const st = s.stats as CountingStats;
    this.stats.clear();
    for (const a of s.arms) {
      const v = st.arms[a];
      this.stats.set(a, { pw: v[0], pm: v[1], n: v[2], s: v[3], ss: v[4], pulls: v[5] });
    }
    this.removed.clear();
    for (const a of st.removed ?? []) this.removed.add(a);
    this.t = st.t;
    if (s.rng !== undefined) this.rng.state = s.rng;
    this.loadExtra(st);
    return this;
  }

  merge(other: PolicyState, base?: PolicyState): void {
    if (other.algorithm !== this.algorithm) throw new Error(`cannot merge ${other.algorithm} into ${this.algorithm}`);
    if (base && base.algorithm !== this.algorithm) throw new Error(`base is ${base.algorithm}, not ${this.algorithm}`);
    const o = other.stats as CountingStats;
    const b = (base?.stats as CountingStats | undefined) ?? null;
    for (const a of other.arms) {
      const v = o.arms[a];
      const bv = b?.arms[a] ?? [0, 0, 0, 0, 0, 0];
      if (this.removed.has(a)) continue;
      const mine = this.stats.get(a);
      if (!mine) {
        this.stats.set(a, {
          pw: v[0],
          pm: v[1],
          n: v[2] - bv[2],
          s: v[3] - bv[3],
          ss: v[4] - bv[4],
          pulls: v[5] - bv[5],
        });
        continue;
      }
      mine.n += v[2] - bv[2];
      mine.s += v[3] - bv[3];
      mine.ss += v[4] - bv[4];
      mine.pulls += v[5] - bv[5];
    }
    for (const a of o.removed ?? []) if (!other.arms.includes(a)) this.removeArm(a);
    this.t += o.t - (b?.t ?? 0);
    this.mergeExtra(o, b);
  }
}
