import { requireNonNegative, requirePositive } from '@llm-router/numerics';

/**
 * Online dual descent on the budget constraint E[cost] <= target.
 *
 * The router maximises quality - lambda * cost per query; lambda is the Lagrange multiplier
 * of the budget constraint. After each query the pacer moves lambda along the constraint's
 * (normalised) violation e = (cost - target) / target:
 *
 *   additive:        lambda <- clip(lambda + eta * scale * e, 0, lambdaMax)
 *   multiplicative:  lambda <- clip((lambda + scale) * exp(eta * e) - scale, 0, lambdaMax)
 *
 * Either way the steps telescope: sum(e) = (g(lambda_T) - g(lambda_0)) / eta with g the
 * identity/scale or log(lambda + scale). So as long as lambda stays inside its bounds the
 * mean cost over T queries is off target by O(1 / (eta * T)): the budget is held on average,
 * and the oscillation of lambda around the break-even point is what randomises between the
 * two arms that bracket the target.
 *
 * Multiplicative is the default because the right lambda spans orders of magnitude (about
 * 0.5 to choose between two strong models that differ by 1 quality point at $0.02, about 300
 * to choose between a small and a large model at $0.0005), and a multiplicative step covers
 * that range in a few dozen queries whatever the scale. `scale` (default 0.01 / target: the
 * lambda at which spending the target costs 1 quality point) only sets how fast lambda
 * leaves and reaches 0.
 */
export type PacerMode = 'multiplicative' | 'additive';

export interface BudgetPacerOptions {
  /** Target mean cost per query in USD; null or undefined = unbinding (lambda stays lambda0). */
  target?: number | null;
  /** Step size (default 0.05). */
  eta?: number;
  /** Starting lambda (default 0). */
  lambda0?: number;
  /** Upper bound on lambda (default 1e6, i.e. $1e-6 weighs one quality point). */
  lambdaMax?: number;
  /** Lower bound on lambda while a target binds (default 0). */
  lambdaMin?: number;
  /** Observations before lambda starts moving (default 0). */
  warmup?: number;
  mode?: PacerMode;
  /** Lambda units per unit of normalised violation (default 0.01 / target). */
  scale?: number;
}

export interface BudgetPacerState {
  version: 1;
  mode: PacerMode;
  lambda: number;
  target: number | null;
  eta: number;
  lambda0: number;
  lambdaMax: number;
  /** Absent in states written before it existed: 0. */
  lambdaMin?: number;
  warmup: number;
  scale: number | null;
  n: number;
  totalCost: number;
}

export class BudgetPacer {
  private lam: number;
  private tgt: number | null;
  private readonly eta: number;
  private readonly lambda0: number;
  readonly lambdaMax: number;
  readonly lambdaMin: number;
  private readonly warmup: number;
  readonly mode: PacerMode;
  /** null = derived from the target, so that it follows the ledger's target. */
  private readonly fixedScale: number | null;
  private n = 0;
  private total = 0;

  constructor(opts: BudgetPacerOptions = {}) {
    this.eta = requirePositive('eta', opts.eta ?? 0.05);
    this.lambdaMax = requirePositive('lambdaMax', opts.lambdaMax ?? 1e6);
    this.lambdaMin = clamp(requireNonNegative('lambdaMin', opts.lambdaMin ?? 0), 0, this.lambdaMax);
    this.lambda0 = clamp(requireNonNegative('lambda0', opts.lambda0 ?? 0), this.lambdaMin, this.lambdaMax);
    this.warmup = requireNonNegative('warmup', opts.warmup ?? 0);
    this.mode = opts.mode ?? 'multiplicative';
    this.fixedScale = opts.scale === undefined ? null : requirePositive('scale', opts.scale);
    this.tgt = null;
    this.setTarget(opts.target ?? null);
    this.lam = this.lambda0;
  }

  get lambda(): number {
    if (this.tgt !== null && this.tgt <= 0) return this.lambdaMax;
    return this.lam;
  }

  get target(): number | null {
    return this.tgt;
  }

  /** Observations so far and their mean cost (what the budget ratio is computed from). */
  get count(): number {
    return this.n;
  }

  get meanCost(): number {
    return this.n > 0 ? this.total / this.n : 0;
  }

  /**
   * Changes the target (e.g. from SpendLedger.targetPerQuery). Lambda carries over: the dual
   * variable is the memory of past over- and under-spending. A target <= 0 (budget spent)
   * pins lambda at lambdaMax until a positive target returns; null unbinds the constraint.
   */
  setTarget(target: number | null): void {
    if (target !== null && !Number.isFinite(target))
      throw new RangeError(`target must be finite or null, got ${target}`);
    this.tgt = target;
  }

  /** Records the realised (or expected) cost of one query and returns the new lambda. */
  update(costUsd: number): number {
    if (!Number.isFinite(costUsd) || costUsd < 0)
      throw new RangeError(`cost must be a finite number >= 0, got ${costUsd}`);
    this.n++;
    this.total += costUsd;
    const t = this.tgt;
    if (t === null || t <= 0 || this.n <= this.warmup) return this.lambda;
    return this.step((costUsd - t) / t);
  }

  /**
   * One dual step on a normalised violation `e` without counting a query: a correction, such
   * as the difference between a call's expected and realised cost once the bill is known.
   */
  nudge(e: number): number {
    if (!Number.isFinite(e)) throw new RangeError(`violation must be finite, got ${e}`);
    const t = this.tgt;
    if (t === null || t <= 0 || this.n <= this.warmup) return this.lambda;
    return this.step(e);
  }

  /** Sets lambda directly (clipped to [lambdaMin, lambdaMax]), e.g. to seed a replica from the fleet's value. */
  setLambda(lambda: number): void {
    this.lam = clamp(requireNonNegative('lambda', lambda), this.lambdaMin, this.lambdaMax);
  }

  private step(e: number): number {
    const t = this.tgt as number;
    const s = this.fixedScale ?? 0.01 / t;
    let next: number;
    if (this.mode === 'additive') next = this.lam + this.eta * s * e;
    else next = (this.lam + s) * Math.exp(this.eta * e) - s;
    // NaN can only come from inf - inf on absurd inputs; treat it as "hit the ceiling".
    this.lam = Number.isNaN(next) ? this.lambdaMax : clamp(next, this.lambdaMin, this.lambdaMax);
    return this.lambda;
  }

  toState(): BudgetPacerState {
    return {
      version: 1,
      mode: this.mode,
      lambda: this.lam,
      target: this.tgt,
      eta: this.eta,
      lambda0: this.lambda0,
      lambdaMax: this.lambdaMax,
      lambdaMin: this.lambdaMin,
      warmup: this.warmup,
      scale: this.fixedScale,
      n: this.n,
      totalCost: this.total,
    };
  }

  static fromState(s: BudgetPacerState): BudgetPacer {
    if (s?.version !== 1)
      throw new Error(`unsupported BudgetPacer state version ${(s as { version?: unknown })?.version}`);
    const p = new BudgetPacer({
      target: s.target,
      eta: s.eta,
      lambda0: s.lambda0,
      lambdaMax: s.lambdaMax,
      lambdaMin: s.lambdaMin ?? 0,
      warmup: s.warmup,
      mode: s.mode,
      scale: s.scale ?? undefined,
    });
    p.lam = clamp(requireNonNegative('lambda', s.lambda), p.lambdaMin, p.lambdaMax);
    p.n = requireNonNegative('n', s.n);
    p.total = requireNonNegative('totalCost', s.totalCost);
    return p;
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
