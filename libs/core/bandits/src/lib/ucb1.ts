import { ArmId, DecideConstraints, Decision, DecisionContext, PolicyState } from './policy';
import { argmaxDecision, COLD_SCORE, CommonOptions, costOf, ensureCapacity } from './common';
import { ArmStat, CountingPolicy } from './counting-policy';

export interface Ucb1Options extends CommonOptions {
  /** Multiplier of the exploration bonus alpha * sqrt(2 ln T / n) (default 1, Auer et al.). */
  alpha?: number;
}

/**
 * UCB1 on quality: score = mean + alpha * sqrt(2 ln T / n) - lambda * cost, deterministic
 * argmax, so the propensity is 1 (or 1/t when t arms tie exactly). Prior pseudo-observations
 * count in n and T, so a warm-started arm is explored less.
 */
export class Ucb1Policy extends CountingPolicy {
  readonly algorithm: string = 'ucb1';
  protected readonly alpha: number;

  constructor(opts: Ucb1Options = {}, defaultGamma = 1) {
    super(opts, defaultGamma);
    this.alpha = opts.alpha ?? 1;
    if (!(this.alpha >= 0)) throw new Error(`alpha must be >= 0, got ${this.alpha}`);
  }

  protected params(): Record<string, unknown> {
    return { alpha: this.alpha, gamma: this.gamma, coldPulls: this.coldPulls };
  }

  protected bonus(n: number, logT: number): number {
    return this.alpha * Math.sqrt((2 * logT) / n);
  }

  /** Total (effective) observations over all arms: the T of the bonus. */
  protected totalN(): number {
    let T = 0;
    for (const st of this.stats.values()) T += st.pw + st.n;
    return T;
  }

  protected ucb(st: ArmStat, logT: number): number {
    const n = st.pw + st.n;
    // Only reachable with coldPulls = 0: an arm with nothing known has an infinite bonus.
    if (n <= 0) return COLD_SCORE;
    return (st.pw * st.pm + st.s) / n + this.bonus(n, logT);
  }

  /** Upper confidence bound of an arm's quality (for callers that want optimistic estimates). */
  upperBound(arm: ArmId): number {
    const st = this.stats.get(arm);
    if (!st) return COLD_SCORE;
    return this.ucb(st, Math.log(Math.max(this.totalN(), 1)));
  }

  protected decideWarm(_ctx: DecisionContext, arms: ArmId[], c: DecideConstraints): Decision {
    const k = arms.length;
    const logT = Math.log(Math.max(this.totalN(), 1));
    const sc = (this.scores = ensureCapacity(this.scores, k));
    for (let i = 0; i < k; i++) sc[i] = this.ucb(this.stats.get(arms[i])!, logT) - c.lambda * costOf(c, arms[i]);
    return argmaxDecision(arms, sc.subarray(0, k), this.rng, 0);
  }

  static fromState(s: PolicyState): Ucb1Policy {
    return new Ucb1Policy({ ...(s.params as Ucb1Options), arms: [] }).load(s);
  }
}
