import { ArmId, DecideConstraints, Decision, DecisionContext, PolicyState, QualityEstimate } from './policy';
import {
  argmaxIndex,
  clamp01,
  CommonOptions,
  costOf,
  DEFAULT_PROPENSITY_FLOOR,
  ensureCapacity,
  sampledProbabilities,
} from './common';
import { ArmStat, CountingPolicy } from './counting-policy';

export interface ThompsonOptions extends CommonOptions {
  /**
   * 'beta': Beta-Bernoulli on quality in [0, 1]; a fractional quality q counts as q successes
   * and 1 - q failures. 'gaussian': Normal likelihood, known variance (`variance`) or unknown
   * (Normal-Gamma posterior). Default 'beta'.
   */
  kind?: 'beta' | 'gaussian';
  /** Beta hyperprior, before any ArmPrior (default 1, 1: uniform). */
  a0?: number;
  b0?: number;
  /** Gaussian: prior mean and weight (pseudo-observations) before any ArmPrior (default 0.5, 1). */
  priorMean?: number;
  priorWeight?: number;
  /** Gaussian with known noise variance; omit for unknown variance. */
  variance?: number;
  /** Gaussian unknown variance: Gamma prior on the precision, shape and rate (default 2, 0.1: E[var] ~ 0.1). */
  shape0?: number;
  rate0?: number;
  /**
   * Extra Monte Carlo draws used to estimate the chosen arm's propensity (default 64). With the
   * real draw counted in, every probability is >= propensityFloor + (1 - k floor) / (draws + 1)
   * for the chosen arm, so IPS weights are bounded by 1 / propensityFloor.
   */
  propensityDraws?: number;
  propensityFloor?: number;
}

/**
 * Thompson sampling on quality. score = posterior sample - lambda * cost. The choice
 * probabilities are estimated by Monte Carlo (see `propensityDraws`) with a floor, so that
 * off-policy evaluation weights stay bounded; they sum to 1 over the eligible arms.
 */
export class ThompsonPolicy extends CountingPolicy {
  readonly algorithm = 'thompson';
  private readonly kind: 'beta' | 'gaussian';
  private readonly a0: number;
  private readonly b0: number;
  private readonly priorMean: number;
  private readonly priorWeight: number;
  private readonly variance?: number;
  private readonly shape0: number;
  private readonly rate0: number;
  private readonly draws: number;
  private readonly floor: number;
  private wins = new Float64Array(16);
  private costs = new Float64Array(16);
  private post1 = new Float64Array(16);
  private post2 = new Float64Array(16);
  private post3 = new Float64Array(16);
  private post4 = new Float64Array(16);

  constructor(opts: ThompsonOptions = {}) {
    super(opts);
    this.kind = opts.kind ?? 'beta';
    this.a0 = opts.a0 ?? 1;
    this.b0 = opts.b0 ?? 1;
    this.priorMean = opts.priorMean ?? 0.5;
    this.priorWeight = opts.priorWeight ?? 1;
    this.variance = opts.variance;
    this.shape0 = opts.shape0 ?? 2;
    this.rate0 = opts.rate0 ?? 0.1;
    this.draws = opts.propensityDraws ?? 64;
    this.floor = opts.propensityFloor ?? DEFAULT_PROPENSITY_FLOOR;
    if (this.kind !== 'beta' && this.kind !== 'gaussian') throw new Error(`unknown thompson kind ${String(this.kind)}`);
    if (!(this.a0 > 0 && this.b0 > 0)) throw new Error('a0 and b0 must be > 0');
    if (!(this.priorWeight > 0)) throw new Error('priorWeight must be > 0');
    if (this.variance !== undefined && !(this.variance > 0)) throw new Error('variance must be > 0');
    if (!(this.shape0 > 0 && this.rate0 > 0)) throw new Error('shape0 and rate0 must be > 0');
    if (!(Number.isInteger(this.draws) && this.draws >= 1)) throw new Error('propensityDraws must be an integer >= 1');
    if (!(this.floor >= 0 && this.floor < 1)) throw new Error('propensityFloor must be in [0, 1)');
  }

  protected params(): Record<string, unknown> {
    return {
      kind: this.kind,
      a0: this.a0,
      b0: this.b0,
      priorMean: this.priorMean,
      priorWeight: this.priorWeight,
      variance: this.variance,
      shape0: this.shape0,
      rate0: this.rate0,
      propensityDraws: this.draws,
      propensityFloor: this.floor,
      gamma: this.gamma,
      coldPulls: this.coldPulls,
    };
  }

  /**
   * Posterior parameters: beta: [alpha, beta]; gaussian: [mean, kappa] and, for unknown
   * variance, the Gamma shape and rate of the precision.
   */
  private posterior(st: ArmStat): [number, number, number, number] {
    if (this.kind === 'beta') {
      const m = Math.min(1, Math.max(0, st.pm));
      return [this.a0 + st.pw * m + st.s, this.b0 + st.pw * (1 - m) + (st.n - st.s), 0, 0];
    }
    // Normal(-Gamma) conjugate update; the ArmPrior adds to the base prior's weight.
    const k0 = this.priorWeight + st.pw;
    const m0 = (this.priorWeight * this.priorMean + st.pw * st.pm) / k0;
    const kn = k0 + st.n;
    const xbar = st.n > 0 ? st.s / st.n : 0;
    const mn = (k0 * m0 + st.s) / kn;
    if (this.variance !== undefined) return [mn, kn, 0, 0];
    const sse = st.n > 0 ? Math.max(0, st.ss - st.s * xbar) : 0;
    const an = this.shape0 + st.n / 2;
    const bn = this.rate0 + sse / 2 + (k0 * st.n * (xbar - m0) * (xbar - m0)) / (2 * kn);
    return [mn, kn, an, bn];
  }

  /** A Beta posterior needs successes <= trials: clamp out-of-range qualities into [0, 1]. */
  protected override observe(st: ArmStat, q: number, w: number): void {
    super.observe(st, this.kind === 'beta' ? clamp01(q) : q, w);
  }

  private sample(i: number): number {
    const p1 = this.post1[i];
    const p2 = this.post2[i];
    if (this.kind === 'beta') return this.rng.beta(p1, p2);
    if (this.variance !== undefined) return p1 + Math.sqrt(this.variance / p2) * this.rng.normal();
    // sigma^2 ~ InvGamma(a, b), then mu ~ N(mean, sigma^2 / kappa).
    const var_ = this.post4[i] / this.rng.gamma(this.post3[i]);
    return p1 + Math.sqrt(var_ / p2) * this.rng.normal();
  }

  protected decideWarm(_ctx: DecisionContext, arms: ArmId[], c: DecideConstraints): Decision {
    const k = arms.length;
    this.post1 = ensureCapacity(this.post1, k);
    this.post2 = ensureCapacity(this.post2, k);
    this.post3 = ensureCapacity(this.post3, k);
    this.post4 = ensureCapacity(this.post4, k);
    this.costs = ensureCapacity(this.costs, k);
    for (let i = 0; i < k; i++) {
      const p = this.posterior(this.stats.get(arms[i])!);
      this.post1[i] = p[0];
      this.post2[i] = p[1];
      this.post3[i] = p[2];
      this.post4[i] = p[3];
      this.costs[i] = c.lambda * costOf(c, arms[i]);
    }
    const sc = (this.scores = ensureCapacity(this.scores, k));
    for (let i = 0; i < k; i++) sc[i] = this.sample(i) - this.costs[i];
    const chosen = argmaxIndex(sc, k);
    const scores = Array.from(sc.subarray(0, k));
    if (k === 1) return sampledProbabilities(arms, scores, [1], 1, 0, 0);
    // Monte Carlo estimate of every arm's win probability under the same posterior.
    const wins = (this.wins = ensureCapacity(this.wins, k));
    wins.fill(0, 0, k);
    wins[chosen] = 1;
    for (let m = 0; m < this.draws; m++) {
      for (let i = 0; i < k; i++) sc[i] = this.sample(i) - this.costs[i];
      wins[argmaxIndex(sc, k)]++;
    }
    return sampledProbabilities(arms, scores, wins, this.draws + 1, chosen, this.floor);
  }

  override estimate(_ctx: DecisionContext, arm: ArmId): QualityEstimate {
    const st = this.stats.get(arm);
    if (!st) return { mean: 0.5, halfWidth: Infinity, n: 0 };
    const p = this.posterior(st);
    const n = st.pw + st.n;
    let mean: number;
    let sd: number;
    if (this.kind === 'beta') {
      const s = p[0] + p[1];
      mean = p[0] / s;
      sd = Math.sqrt((p[0] * p[1]) / (s * s * (s + 1)));
    } else {
      mean = p[0];
      // Known variance: sd of the mean; unknown: scale of the Student-t marginal of the mean.
      sd = this.variance !== undefined ? Math.sqrt(this.variance / p[1]) : Math.sqrt(p[3] / (p[2] * p[1]));
    }
    // Neither a pull nor a prior of its own: the hyperprior is shared by every model and says
    // nothing of this one, so the estimate has no bounds, as every other policy's (a batch
    // planner explores such a model instead of planning on the hyperprior's mean).
    return { mean, halfWidth: n === 0 ? Infinity : 1.96 * sd, n };
  }

  static fromState(s: PolicyState): ThompsonPolicy {
    return new ThompsonPolicy({ ...(s.params as ThompsonOptions), arms: [] }).load(s);
  }
}
