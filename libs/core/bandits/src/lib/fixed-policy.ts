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
import { costOf } from './common';

export interface FixedOptions {
  /** The arm this baseline always picks. */
  arm: ArmId;
  arms?: ArmId[];
}

/**
 * `fixed:<arm>` baseline: always the same arm. When that arm is not offered or is excluded
 * by the per-query constraints (e.g. maxCostUsd), it falls back to the cheapest eligible arm,
 * deterministically. Propensity 1. It keeps running means per arm so estimate() is useful
 * (e.g. as the baseline of a conservative wrapper), but they never affect its choice.
 */
export class FixedPolicy implements Policy {
  readonly algorithm = 'fixed';
  readonly arm: ArmId;
  private readonly known = new Map<ArmId, { n: number; s: number; ss: number }>();
  private readonly removed = new Set<ArmId>();

  constructor(opts: FixedOptions) {
    if (!opts.arm) throw new Error('fixed policy needs an arm');
    this.arm = opts.arm;
    for (const a of opts.arms ?? [opts.arm]) this.addArm(a);
  }

  arms(): ArmId[] {
    return [...this.known.keys()];
  }

  decide(_ctx: DecisionContext, available: readonly ArmId[], c: DecideConstraints): Decision {
    const avail = available.filter((a) => !this.removed.has(a));
    for (const a of avail) this.addArm(a);
    const arms = eligibleArms(avail, c, (a) => this.estimate({}, a).mean);
    const arm = arms.includes(this.arm) ? this.arm : arms.reduce((x, y) => (costOf(c, y) < costOf(c, x) ? y : x));
    const scores: Record<ArmId, number> = {};
    const probabilities: Record<ArmId, number> = {};
    for (const a of arms) {
      scores[a] = a === arm ? 1 : 0;
      probabilities[a] = a === arm ? 1 : 0;
    }
    return { arm, propensity: 1, scores, probabilities };
  }

  update(_ctx: DecisionContext, arm: ArmId, o: Outcome): void {
    if (this.removed.has(arm)) return;
    this.addArm(arm);
    const s = this.known.get(arm)!;
    s.n++;
    s.s += o.quality;
    s.ss += o.quality * o.quality;
  }

  estimate(_ctx: DecisionContext, arm: ArmId): QualityEstimate {
    const s = this.known.get(arm);
    if (!s || s.n === 0) return { mean: 0.5, halfWidth: Infinity, n: 0 };
    const mean = s.s / s.n;
    const v = (0.25 + Math.max(0, s.ss - s.s * mean)) / (1 + s.n);
    return { mean, halfWidth: 1.96 * Math.sqrt(v / s.n), n: s.n };
  }

  addArm(arm: ArmId, _prior?: ArmPrior): void {
    if (this.known.has(arm)) return;
    this.removed.delete(arm);
    this.known.set(arm, { n: 0, s: 0, ss: 0 });
  }

  removeArm(arm: ArmId): void {
    this.known.delete(arm);
    this.removed.add(arm);
  }

  toState(): PolicyState {
    const stats: Record<ArmId, [number, number, number]> = {};
    for (const [a, s] of this.known) stats[a] = [s.n, s.s, s.ss];
    return {
      algorithm: this.algorithm,
      params: { arm: this.arm },
      arms: this.arms(),
      stats: { arms: stats, removed: [...this.removed] },
    };
  }

  merge(other: PolicyState, base?: PolicyState): void {
    const o = (other.stats as { arms: Record<ArmId, [number, number, number]> }).arms;
    const b = (base?.stats as { arms: Record<ArmId, [number, number, number]> } | undefined)?.arms ?? {};
    for (const a of other.arms) {
      if (this.removed.has(a)) continue;
      this.addArm(a);
      const s = this.known.get(a)!;
      const bv = b[a] ?? [0, 0, 0];
      s.n += o[a][0] - bv[0];
      s.s += o[a][1] - bv[1];
      s.ss += o[a][2] - bv[2];
    }
  }

  static fromState(s: PolicyState): FixedPolicy {
    const p = new FixedPolicy({ arm: (s.params as { arm: ArmId }).arm, arms: [] });
    const st = s.stats as { arms: Record<ArmId, [number, number, number]>; removed?: ArmId[] };
    for (const a of s.arms) p.known.set(a, { n: st.arms[a][0], s: st.arms[a][1], ss: st.arms[a][2] });
    for (const a of st.removed ?? []) p.removed.add(a);
    return p;
  }
}
