import { ArmId, DecideConstraints, Decision, PolicyState } from './policy';
import { argmaxDecision } from './common';
import { LinearOptions, LinearPolicy } from './linear-policy';

export interface LinUcbOptions extends LinearOptions {
  /** Width of the confidence bonus alpha * sqrt(x' A^-1 x) (default 1). */
  alpha?: number;
}

/**
 * Disjoint LinUCB (Li et al. 2010): score = theta_a . x + alpha sqrt(x' A_a^-1 x) - lambda * cost.
 * Deterministic argmax, so propensities are exact (1, or 1/t among t exact ties).
 *
 * Cost per decision: one packed outer product of x (d(d+1)/2) and, per arm, one dot product
 * of that length with the packed A^-1 plus a d-dot for the mean; no allocation of size d or d^2.
 */
export class LinUcbPolicy extends LinearPolicy {
  readonly algorithm = 'linucb';
  private readonly alpha: number;

  constructor(opts: LinUcbOptions) {
    super(opts);
    this.alpha = opts.alpha ?? 1;
    if (!(this.alpha >= 0)) throw new Error(`alpha must be >= 0, got ${this.alpha}`);
  }

  protected params(): Record<string, unknown> {
    return { ...this.baseParams(), alpha: this.alpha };
  }

  protected choose(arms: ArmId[], _c: DecideConstraints): Decision {
    const k = arms.length;
    const sc = this.scores;
    for (let i = 0; i < k; i++) sc[i] = this.means[i] + this.alpha * this.sds[i] - this.costs[i];
    return argmaxDecision(arms, sc.subarray(0, k), this.rng, 0);
  }

  static fromState(s: PolicyState): LinUcbPolicy {
    return new LinUcbPolicy({ ...(s.params as unknown as LinUcbOptions), arms: [] }).load(s);
  }
}
