import { Rng } from './rng';
import { ArmId, DecideConstraints, Decision, DecisionContext, Policy } from './policy';

/**
 * Seeded synthetic routing problems for tests, examples and benchmarks: the real reward
 * datasets stay out of the repository, these are generated.
 */
export interface BanditProblem {
  readonly arms: ArmId[];
  /** Context of query t. */
  context(t: number): DecisionContext;
  /** Expected quality of an arm for a context. */
  mean(arm: ArmId, ctx: DecisionContext): number;
  /** One observed quality in [0, 1]. */
  sample(arm: ArmId, ctx: DecisionContext): number;
}

/** Context-free arms with Bernoulli quality of the given means (which may be changed later, for drift). */
export class BernoulliProblem implements BanditProblem {
  readonly arms: ArmId[];
  private readonly rng: Rng;
  constructor(
    public means: Record<ArmId, number>,
    seed = 1,
  ) {
    this.arms = Object.keys(means);
    this.rng = new Rng(seed);
  }
  context(): DecisionContext {
    return {};
  }
  mean(arm: ArmId): number {
    return this.means[arm];
  }
  sample(arm: ArmId): number {
    return this.rng.next() < this.means[arm] ? 1 : 0;
  }
}

export interface LinearProblemOptions {
  /** True coefficients per arm: mean(arm, x) = clamp(theta . x, 0, 1). */
  thetas: Record<ArmId, number[]>;
  seed?: number;
  /** Observed quality: 'bernoulli' of the mean (default) or mean + N(0, noise^2) clipped to [0, 1]. */
  noise?: 'bernoulli' | number;
}

/**
 * Linear contextual problem: x = [1, u_1 .. u_{d-1}] with u uniform in [-1, 1], quality linear
 * in x per arm (clamped to [0, 1]).
 */
export class LinearProblem implements BanditProblem {
  readonly arms: ArmId[];
  readonly d: number;
  private readonly rng: Rng;
  private readonly noise: 'bernoulli' | number;
  constructor(private readonly opts: LinearProblemOptions) {
    this.arms = Object.keys(opts.thetas);
    this.d = opts.thetas[this.arms[0]].length;
    this.rng = new Rng(opts.seed ?? 1);
    this.noise = opts.noise ?? 'bernoulli';
  }
  /** Random coefficients: base quality in [0.3, 0.7], slopes up to +-0.4 / sqrt(d - 1) (k arms named arm0..). */
  static random(k: number, d: number, seed = 1): LinearProblem {
    const r = new Rng(seed * 7919 + 1);
    const thetas: Record<ArmId, number[]> = {};
    for (let a = 0; a < k; a++) {
      const t = [0.3 + 0.4 * r.next()];
      for (let j = 1; j < d; j++) t.push(((r.next() * 2 - 1) * 0.4) / Math.sqrt(d - 1));
      thetas[`arm${a}`] = t;
    }
    return new LinearProblem({ thetas, seed });
  }
  context(): DecisionContext {
    const x = new Float64Array(this.d);
    x[0] = 1;
    for (let j = 1; j < this.d; j++) x[j] = this.rng.next() * 2 - 1;
    return { features: x };
  }
  mean(arm: ArmId, ctx: DecisionContext): number {
    const t = this.opts.thetas[arm];
    const x = ctx.features!;
    let s = 0;
    for (let j = 0; j < this.d; j++) s += t[j] * x[j];
    return Math.min(1, Math.max(0, s));
  }
  sample(arm: ArmId, ctx: DecisionContext): number {
    const m = this.mean(arm, ctx);
    if (this.noise === 'bernoulli') return this.rng.next() < m ? 1 : 0;
    return Math.min(1, Math.max(0, m + this.noise * this.rng.normal()));
  }
}

export interface SimulationResult {
  choices: ArmId[];
  /** Whether each choice was the best arm by expected reward (quality - lambda * cost) among those offered. */
  best: boolean[];
  decisions: Decision[];
  /** Mean expected reward of the choices. */
  meanReward: number;
}

export interface SimulationOptions {
  /** Constraints for step t (default: lambda 0, no costs). */
  constraints?: (t: number) => DecideConstraints;
  /** Arms offered at step t (default: all the problem's arms). */
  available?: (t: number) => ArmId[];
  /** Called before step t (drift, price changes, hot add/remove). */
  before?: (t: number) => void;
}

/** Runs decide -> observe -> update for `steps` queries (bandit feedback: only the chosen arm is seen). */
export function simulate(
  policy: Policy,
  problem: BanditProblem,
  steps: number,
  opts: SimulationOptions = {},
): SimulationResult {
  const choices: ArmId[] = [];
  const best: boolean[] = [];
  const decisions: Decision[] = [];
  let total = 0;
  for (let t = 0; t < steps; t++) {
    opts.before?.(t);
    const c = opts.constraints?.(t) ?? { lambda: 0, costs: {} };
    const avail = opts.available?.(t) ?? problem.arms;
    const ctx = problem.context(t);
    const dec = policy.decide(ctx, avail, c);
    const reward = (a: ArmId) => problem.mean(a, ctx) - c.lambda * (c.costs[a] ?? 0);
    let top = -Infinity;
    for (const a of avail) top = Math.max(top, reward(a));
    choices.push(dec.arm);
    decisions.push(dec);
    best.push(reward(dec.arm) >= top - 1e-12);
    total += reward(dec.arm);
    policy.update(ctx, dec.arm, {
      quality: problem.sample(dec.arm, ctx),
      costUsd: c.costs[dec.arm] ?? 0,
      decidedWith: c,
    });
  }
  return { choices, best, decisions, meanReward: total / steps };
}

/** Fraction of `flags` that are true in [from, to). */
export function shareTrue(flags: boolean[], from = 0, to = flags.length): number {
  let n = 0;
  for (let i = from; i < to; i++) if (flags[i]) n++;
  return n / Math.max(1, to - from);
}
