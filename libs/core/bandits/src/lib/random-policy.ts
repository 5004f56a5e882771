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

/** The `random` baseline: uniform over eligible arms. Learns nothing; useful as a floor and for logging. */
export class RandomPolicy implements Policy {
  readonly algorithm = 'random';
  private readonly known = new Set<ArmId>();
  private readonly rng: Rng;

  constructor(opts: { arms?: ArmId[]; seed?: number } = {}) {
    this.rng = new Rng(opts.seed ?? 1);
    for (const a of opts.arms ?? []) this.known.add(a);
  }

  arms(): ArmId[] {
    return [...this.known];
  }

  decide(_ctx: DecisionContext, available: readonly ArmId[], c: DecideConstraints): Decision {
    const arms = eligibleArms(available, c, () => 0.5);
    const p = 1 / arms.length;
    const arm = arms[this.rng.int(arms.length)];
    const probabilities: Record<ArmId, number> = {};
    const scores: Record<ArmId, number> = {};
    for (const a of arms) {
      probabilities[a] = p;
      scores[a] = 0;
    }
    return { arm, propensity: p, scores, probabilities };
  }

  update(_ctx: DecisionContext, arm: ArmId, _o: Outcome): void {
    this.known.add(arm);
  }

  estimate(): QualityEstimate {
    return { mean: 0.5, halfWidth: Infinity, n: 0 };
  }

  addArm(arm: ArmId, _prior?: ArmPrior): void {
    this.known.add(arm);
  }

  removeArm(arm: ArmId): void {
    this.known.delete(arm);
  }

  toState(): PolicyState {
    return { algorithm: this.algorithm, params: {}, arms: this.arms(), stats: null, rng: this.rng.state };
  }

  merge(other: PolicyState): void {
    for (const a of other.arms) this.known.add(a);
  }

  static fromState(s: PolicyState): RandomPolicy {
    const p = new RandomPolicy({ arms: s.arms });
    if (s.rng !== undefined) p.rng.state = s.rng;
    return p;
  }
}
