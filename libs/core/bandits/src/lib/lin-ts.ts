import { ArmId, DecideConstraints, Decision, PolicyState } from './policy';
import { argmaxIndex, DEFAULT_PROPENSITY_FLOOR, ensureCapacity, sampledProbabilities } from './common';
import { LinearOptions, LinearPolicy } from './linear-policy';

export interface LinTsOptions extends LinearOptions {
  /** Posterior scale: theta_a ~ N(A_a^-1 b_a, v^2 A_a^-1) (Agrawal & Goyal 2013). Default 0.5. */
  v?: number;
  /** Extra Monte Carlo draws for the propensity estimate (default 64); see ThompsonOptions. */
  propensityDraws?: number;
  propensityFloor?: number;
}

/**
 * Linear Thompson sampling, one posterior per arm.
 *
 * The decision only depends on theta_a through x . theta_a, which under the posterior is
 * exactly N(x . theta_hat_a, v^2 x' A_a^-1 x). Sampling that scalar is the same distribution of
 * decisions as sampling the d-dimensional theta_a via a Cholesky factor of A_a^-1, at O(d^2)
 * per arm (shared with LinUCB) instead of O(d^3) per arm per decision.
 *
 * Propensities: Monte Carlo over `propensityDraws` extra draws of the k scalars (cheap: no
 * d-dimensional work), with the real draw counted, floored and renormalised to sum to 1.
 */
export class LinTsPolicy extends LinearPolicy {
  readonly algorithm = 'lints';
  private readonly v: number;
  private readonly draws: number;
  private readonly floor: number;
  private wins = new Float64Array(16);

  constructor(opts: LinTsOptions) {
    super(opts);
    this.v = opts.v ?? 0.5;
    this.draws = opts.propensityDraws ?? 64;
    this.floor = opts.propensityFloor ?? DEFAULT_PROPENSITY_FLOOR;
    if (!(this.v >= 0)) throw new Error(`v must be >= 0, got ${this.v}`);
    if (!(Number.isInteger(this.draws) && this.draws >= 1)) throw new Error('propensityDraws must be an integer >= 1');
    if (!(this.floor >= 0 && this.floor < 1)) throw new Error('propensityFloor must be in [0, 1)');
  }

  protected params(): Record<string, unknown> {
    return { ...this.baseParams(), v: this.v, propensityDraws: this.draws, propensityFloor: this.floor };
  }

  private sampleAll(k: number): void {
    const sc = this.scores;
    for (let i = 0; i < k; i++) sc[i] = this.means[i] + this.v * this.sds[i] * this.rng.normal() - this.costs[i];
  }

  protected choose(arms: ArmId[], _c: DecideConstraints): Decision {
    const k = arms.length;
    this.sampleAll(k);
    const chosen = argmaxIndex(this.scores, k);
    const scores = Array.from(this.scores.subarray(0, k));
    if (k === 1) return sampledProbabilities(arms, scores, [1], 1, 0, 0);
    const wins = (this.wins = ensureCapacity(this.wins, k));
    wins.fill(0, 0, k);
    wins[chosen] = 1;
    for (let m = 0; m < this.draws; m++) {
      this.sampleAll(k);
      wins[argmaxIndex(this.scores, k)]++;
    }
    return sampledProbabilities(arms, scores, wins, this.draws + 1, chosen, this.floor);
  }

  static fromState(s: PolicyState): LinTsPolicy {
    return new LinTsPolicy({ ...(s.params as unknown as LinTsOptions), arms: [] }).load(s);
  }
}
