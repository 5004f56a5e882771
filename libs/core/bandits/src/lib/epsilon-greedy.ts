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
  /**
   * Which models an exploration step draws from: `contenders` (default), those that could still
   * be the best at the current price of a dollar (quality 1 at their cost scores at least the
   * greedy model's score), or `all`, every model (the textbook rule, which under a budget
   * spends a flagship's price on a share of eps / k of the queries whatever lambda says).
   */
  exploreAmong?: ExploreAmong;
}

export type ExploreAmong = 'contenders' | 'all';
export const EXPLORE_AMONG: readonly ExploreAmong[] = ['contenders', 'all'];

/** The `exploreAmong` option checked, `contenders` when absent. */
export function exploreAmongOption(value: ExploreAmong | undefined): ExploreAmong {
  const rule = value ?? 'contenders';
  if (!EXPLORE_AMONG.includes(rule))
    throw new RangeError(`exploreAmong must be one of ${EXPLORE_AMONG.join(', ')}, got ${String(rule)}`);
  return rule;
}

/**
 * The most each arm could score, quality being at most 1: 1 - lambda * cost (argmaxDecision's
 * `ceilings`). Undefined without a price of a dollar or under `all`: every arm is explored.
 */
export function exploreCeilings(
  rule: ExploreAmong,
  arms: readonly ArmId[],
  c: DecideConstraints,
  out: Float64Array,
): Float64Array | undefined {
  if (rule === 'all' || !(c.lambda > 0)) return undefined;
  for (let i = 0; i < arms.length; i++) out[i] = 1 - c.lambda * costOf(c, arms[i]);
  return out;
}

/**
 * Epsilon-greedy on the estimated mean quality minus lambda * cost. Propensities are exact:
 * the greedy arm has (1 - eps) + eps / m, every other explored arm eps / m, where m counts the
 * arms the exploration rule keeps (all k under `all` or at lambda 0).
 */
export class EpsilonGreedyPolicy extends CountingPolicy {
  readonly algorithm = 'epsilon-greedy';
  private readonly epsilon: number;
  private readonly epsilonDecay?: number;
  private readonly epsilonMin: number;
  private readonly exploreAmong: ExploreAmong;
  private ceilings = new Float64Array(0);

  constructor(opts: EpsilonGreedyOptions = {}) {
    super(opts);
    this.epsilon = opts.epsilon ?? (opts.epsilonDecay !== undefined ? 1 : 0.1);
    this.epsilonDecay = opts.epsilonDecay;
    this.epsilonMin = opts.epsilonMin ?? 0;
    this.exploreAmong = exploreAmongOption(opts.exploreAmong);
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
      exploreAmong: this.exploreAmong,
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
    this.ceilings = ensureCapacity(this.ceilings, k);
    const ceilings = exploreCeilings(this.exploreAmong, arms, c, this.ceilings);
    return argmaxDecision(arms, sc.subarray(0, k), this.rng, this.currentEpsilon(), ceilings);
  }

  static fromState(s: PolicyState): EpsilonGreedyPolicy {
    return new EpsilonGreedyPolicy({ ...(s.params as EpsilonGreedyOptions), arms: [] }).load(s);
  }
}
