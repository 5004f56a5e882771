import { ArmId, DecideConstraints, Decision, DecisionContext, PolicyState } from './policy';
import { argmaxDecision, CommonOptions, costOf, ensureCapacity } from './common';
import { CountingPolicy } from './counting-policy';

export interface EpsilonGreedyOptions extends CommonOptions {
  /** Fixed exploration rate (default 0.1); with `epsilonDecay` it is the ceiling instead. */
  epsilon?: number;
  /** Decaying schedule eps_t = min(epsilon, epsilonDecay / t) (t = updates seen + 1). */
  epsilonDecay?: number;
  /** Floor of the decaying schedule: keeps some exploration alive for drift (default 0). */
  epsilonMin?: number;
}

/**
 * Epsilon-greedy on the estimated mean quality minus lambda * cost. Propensities are exact:
 * the greedy arm has (1 - eps) + eps / k, every other eligible arm eps / k.
 */
export class EpsilonGreedyPolicy extends CountingPolicy {
  readonly algorithm = 'epsilon-greedy';
  private readonly epsilon: number;
  private readonly epsilonDecay?: number;
  private readonly epsilonMin: number;

  constructor(opts: EpsilonGreedyOptions = {}) {
    super(opts);
    this.epsilon = opts.epsilon ?? (opts.epsilonDecay !== undefined ? 1 : 0.1);
    this.epsilonDecay = opts.epsilonDecay;
    this.epsilonMin = opts.epsilonMin ?? 0;
    if (!(this.epsilon >= 0 && this.epsilon <= 1)) throw new Error(`epsilon must be in [0, 1], got ${this.epsilon}`);
    if (this.epsilonDecay !== undefined && !(this.epsilonDecay > 0)) throw new Error('epsilonDecay must be > 0');
  }

  /** Exploration rate the next decision uses. */
  currentEpsilon(): number {
    if (this.epsilonDecay === undefined) return this.epsilon;
    return Math.max(this.epsilonMin, Math.min(this.epsilon, this.epsilonDecay / (this.t + 1)));
  }

  protected params(): Record<string, unknown> {
    return {
      epsilon: this.epsilon,
      epsilonDecay: this.epsilonDecay,
      epsilonMin: this.epsilonMin,
      gamma: this.gamma,
      coldPulls: this.coldPulls,
    };
  }

  protected decideWarm(_ctx: DecisionContext, arms: ArmId[], c: DecideConstraints): Decision {
    const k = arms.length;
    const sc = (this.scores = ensureCapacity(this.scores, k));
    for (let i = 0; i < k; i++) {
      const m = this.mean(this.stats.get(arms[i])!);
      // No prior and no data is only possible with coldPulls = 0: be optimistic so it gets tried.
      sc[i] = (Number.isNaN(m) ? 1 : m) - c.lambda * costOf(c, arms[i]);
    }
    return argmaxDecision(arms, sc.subarray(0, k), this.rng, this.currentEpsilon());
  }

  static fromState(s: PolicyState): EpsilonGreedyPolicy {
    return new EpsilonGreedyPolicy({ ...(s.params as EpsilonGreedyOptions), arms: [] }).load(s);
  }
}
