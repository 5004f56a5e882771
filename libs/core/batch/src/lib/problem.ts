/**
 * Batch routing: n queries that may wait, k models, one model per query, maximise total
 * (expected or pessimistic) quality subject to a money budget, per-model concurrency and
 * volume discounts.
 *
 * Matrices are flat row-major Float64Arrays of length n*k: entry (i, j) is at i*k + j. One
 * allocation per matrix keeps the heuristic's inner loops on contiguous memory.
 */
import { normalQuantile } from '@llm-router/numerics';

/**
 * A volume-discount tier with ALL-UNITS semantics: once model j receives at least
 * `fromCalls` queries in the window, EVERY one of its queries (not only those above the
 * threshold) is priced at `cost[i][j] * factor`. When several tiers are reached, the one with
 * the highest `fromCalls` applies. Below the lowest threshold the factor is 1.
 *
 * All-units pricing is what providers' committed-volume deals look like, and it is the
 * harder case: total cost is not monotone in volume (adding one query can lower the bill),
 * so a solver may deliberately push a model over a threshold.
 *
 * Same field names as `DiscountTier` in libs/core/contracts (model.prices).
 */
export interface DiscountTier {
  fromCalls: number;
  factor: number;
}

export interface BatchProblem {
  /** Number of queries. */
  n: number;
  /** Number of models. */
  k: number;
  /** Quality mean q[i][j] in [0, 1] (any finite number works), length n*k. */
  quality: Float64Array;
  /**
   * Half-width of the confidence interval of q[i][j] at `halfWidthLevel` (two-sided, default
   * 0.95: what a bandit policy's `QualityEstimate.halfWidth` reports). Needed for the robust
   * objectives; length n*k.
   */
  halfWidth?: Float64Array;
  /** List-price cost in USD of answering query i with model j, length n*k, non-negative. */
  cost: Float64Array;
  /** Budget in USD for the whole window; null/undefined = unconstrained. */
  budget?: number | null;
  /**
   * Max queries model j may take in this window (GPU concurrency of self-hosted models);
   * a missing entry, Infinity or a negative value means unlimited.
   */
  capacity?: ArrayLike<number | undefined>;
  /** Volume-discount tiers per model (see DiscountTier for the all-units semantics). */
  tiers?: ReadonlyArray<readonly DiscountTier[] | undefined | null>;
  /** Model names, only used in warnings. */
  models?: readonly string[];
}

export type BatchObjective = 'mean' | 'lcb' | 'budgeted';

export interface BatchSolveOptions {
  /**
   * What to maximise:
   * - `mean`: sum of q.
   * - `lcb`: sum of the lower confidence bound q - z*h.
   * - `budgeted`: Bertsimas-Sim budgeted uncertainty: each chosen q may fall to q - z*h,
   *   but at most `gamma` of them do at once (the adversary picks which); maximise the
   *   worst case. gamma = 0 is `mean`, gamma >= n is `lcb`.
   */
  objective?: BatchObjective;
  /** Two-sided confidence level of the lower bound used by `lcb` and `budgeted`; default 0.95. */
  level?: number;
  /** Level at which `halfWidth` was computed; default 0.95. z = z(level) / z(halfWidthLevel). */
  halfWidthLevel?: number;
  /** Budgeted uncertainty: how many queries may deviate at once; default sqrt(n). */
  gamma?: number;
  /** Wall-clock limit for the ILP (the heuristic ignores it: it is always fast). */
  timeLimitMs?: number;
  /** ILP: relative MIP gap at which HiGHS stops; default 1e-4 (HiGHS' own default). */
  mipRelGap?: number;
  /** ILP: a starting assignment (e.g. the heuristic's) handed to HiGHS as incumbent. */
  warmStart?: Int32Array;
}

export interface BatchSolution {
  /** Model index per query; -1 only when the capacities cannot hold all n queries. */
  assignment: Int32Array;
  /** Value of the chosen objective for `assignment`. */
  objective: number;
  /** Upper bound on the optimum (LP / Lagrangian dual bound, or MIP dual bound); null if unknown. */
  bound: number | null;
  /** 100 * (bound - objective) / |bound|; null without a bound. */
  gapPct: number | null;
  solver: string;
  ms: number;
  /** True when the assignment meets every constraint (budget, capacity, one model per query). */
  feasible: boolean;
  /** Cost in USD of `assignment`, discounts applied. */
  totalCost: number;
  warnings: string[];
}

export interface BatchSolver {
  readonly name: string;
  solve(problem: BatchProblem, opts?: BatchSolveOptions): Promise<BatchSolution>;
}

/** Tier schedule of one model, normalised: thresholds ascending, thr[0] = 0. */
export interface TierSchedule {
  thr: number[];
  fac: number[];
}

/** Everything both solvers derive from a problem before solving. */
export interface Prepared {
  n: number;
  /** Models including the virtual "defer" model when capacities cannot hold n queries. */
  k: number;
  /** Real models (the defer model, when present, has index kReal). */
  kReal: number;
  /** Objective coefficient per (i, j): q, or q - z*h for `lcb`. */
  score: Float64Array;
  /** Budgeted uncertainty: deviation z*h per (i, j); null otherwise. */
  dev: Float64Array | null;
  gamma: number;
  cost: Float64Array;
  budget: number | null;
  /** Per model; Infinity = unlimited. */
  cap: Float64Array;
  /** Per model; null = no tiers. */
  tiers: (TierSchedule | null)[];
  objective: BatchObjective;
  warnings: string[];
}

export function validateProblem(p: BatchProblem): void {
  const { n, k } = p;
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(k) || k < 1)
    throw new RangeError(`batch: bad size n=${n} k=${k}`);
  if (p.quality.length !== n * k)
    throw new RangeError(`batch: quality has ${p.quality.length} entries, expected n*k=${n * k}`);
  if (p.cost.length !== n * k) throw new RangeError(`batch: cost has ${p.cost.length} entries, expected n*k=${n * k}`);
  if (p.halfWidth && p.halfWidth.length !== n * k)
    throw new RangeError(`batch: halfWidth has ${p.halfWidth.length} entries, expected ${n * k}`);
  for (let x = 0; x < n * k; x++) {
    if (!Number.isFinite(p.quality[x])) throw new RangeError(`batch: quality[${x}] is not finite`);
    if (!(p.cost[x] >= 0) || !Number.isFinite(p.cost[x]))
      throw new RangeError(`batch: cost[${x}] must be finite and >= 0`);
  }
  if (p.budget != null && !(p.budget >= 0)) throw new RangeError(`batch: budget must be >= 0`);
  for (const t of p.tiers ?? []) {
    for (const tier of t ?? []) {
      if (!(tier.fromCalls >= 0) || !(tier.factor > 0))
        throw new RangeError(`batch: bad discount tier ${JSON.stringify(tier)}`);
    }
  }
}

export function normaliseTiers(tiers: readonly DiscountTier[] | undefined | null): TierSchedule | null {
  if (!tiers || tiers.length === 0) return null;
  const sorted = [...tiers].sort((a, b) => a.fromCalls - b.fromCalls);
  const thr = [0];
  const fac = [1];
  for (const t of sorted) {
    const from = Math.ceil(t.fromCalls);
    if (from === thr[thr.length - 1]) fac[fac.length - 1] = t.factor;
    else {
      thr.push(from);
      fac.push(t.factor);
    }
  }
  if (thr.length === 1 && fac[0] === 1) return null;
  return { thr, fac };
}

/** Price factor that applies to all of a model's queries when it has `count` of them. */
export function tierFactor(s: TierSchedule | null, count: number): number {
  if (!s) return 1;
  let f = s.fac[0];
  for (let t = 1; t < s.thr.length; t++) {
    if (count >= s.thr[t]) f = s.fac[t];
    else break;
  }
  return f;
}

// Re-exported: part of this library's API since before it moved to numerics.
export { normalQuantile };

/** Multiplier of `halfWidth` that gives the lower bound at `level` (both two-sided). */
export function halfWidthMultiplier(level = 0.95, halfWidthLevel = 0.95): number {
  if (!(level > 0 && level < 1) || !(halfWidthLevel > 0 && halfWidthLevel < 1))
    throw new RangeError('batch: confidence levels must be in (0, 1)');
  return normalQuantile(0.5 + level / 2) / normalQuantile(0.5 + halfWidthLevel / 2);
}

export function prepare(p: BatchProblem, opts: BatchSolveOptions = {}): Prepared {
  validateProblem(p);
  const { n } = p;
  const kReal = p.k;
  const objective = opts.objective ?? 'mean';
  const warnings: string[] = [];
  if (objective !== 'mean' && !p.halfWidth) throw new RangeError(`batch: objective '${objective}' needs halfWidth`);
  const z = objective === 'mean' ? 0 : halfWidthMultiplier(opts.level, opts.halfWidthLevel);

  const capReal = new Float64Array(kReal);
  let capTotal = 0;
  for (let j = 0; j < kReal; j++) {
    const c = p.capacity?.[j];
    capReal[j] = c == null || !(c >= 0) || !Number.isFinite(c) ? Infinity : Math.floor(c);
    capTotal += Math.min(capReal[j], n);
  }
  // When the capacities cannot hold every query, a virtual zero-cost "defer" model takes
  // exactly the surplus: the problem stays feasible, each real model is filled to capacity,
  // and the deferred queries (assignment -1) are the ones the window can best do without.
  const defer = capTotal < n ? n - capTotal : 0;
  const k = defer > 0 ? kReal + 1 : kReal;
  if (defer > 0) warnings.push(`capacities hold only ${capTotal} of ${n} queries: ${defer} deferred (assignment -1)`);

  let qMin = Infinity;
  let qMax = -Infinity;
  for (let x = 0; x < n * kReal; x++) {
    qMin = Math.min(qMin, p.quality[x]);
    qMax = Math.max(qMax, p.quality[x]);
  }
  // An arm nobody has seen has an infinite half-width; a finite penalty larger than the
  // whole quality range ranks it last without feeding the ILP a huge coefficient.
  const unseenPenalty = n > 0 ? qMax - qMin + 1 : 1;
  const score = new Float64Array(n * k);
  const cost = new Float64Array(n * k);
  const dev = objective === 'budgeted' ? new Float64Array(n * k) : null;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < kReal; j++) {
      const src = i * kReal + j;
      const dst = i * k + j;
      const h = p.halfWidth ? Math.max(0, p.halfWidth[src]) : 0;
      const hz = Number.isFinite(h) ? z * h : unseenPenalty;
      score[dst] = objective === 'lcb' ? p.quality[src] - hz : p.quality[src];
      if (dev) dev[dst] = hz;
      cost[dst] = p.cost[src];
    }
  }
  const cap = new Float64Array(k);
  cap.set(capReal);
  if (defer > 0) cap[kReal] = defer;
  const tiers: (TierSchedule | null)[] = [];
  for (let j = 0; j < k; j++) tiers.push(j < kReal ? normaliseTiers(p.tiers?.[j]) : null);
  const gamma = objective === 'budgeted' ? Math.max(0, opts.gamma ?? Math.sqrt(n)) : 0;
  return { n, k, kReal, score, dev, gamma, cost, budget: p.budget ?? null, cap, tiers, objective, warnings };
}

/** Total cost of an assignment over the prepared problem, discounts applied. */
export function preparedCost(pp: Prepared, x: Int32Array): number {
  const { n, k } = pp;
  const spend = new Float64Array(k);
  const count = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const j = x[i];
    spend[j] += pp.cost[i * k + j];
    count[j]++;
  }
  let total = 0;
  for (let j = 0; j < k; j++) total += tierFactor(pp.tiers[j], count[j]) * spend[j];
  return total;
}

/**
 * Bertsimas-Sim protection: the largest total deviation the adversary can inflict by
 * lowering at most gamma of the chosen scores (the fractional part of gamma lowers one more
 * query by that fraction).
 */
export function protection(devs: Float64Array | number[], gamma: number): number {
  if (gamma <= 0) return 0;
  const sorted = Float64Array.from(devs).sort().reverse();
  const g = Math.min(gamma, sorted.length);
  const whole = Math.floor(g);
  let s = 0;
  for (let t = 0; t < whole; t++) s += sorted[t];
  if (whole < sorted.length) s += (g - whole) * sorted[whole];
  return s;
}

/** Objective value of an assignment over the prepared problem. */
export function preparedObjective(pp: Prepared, x: Int32Array): number {
  const { n, k } = pp;
  let s = 0;
  for (let i = 0; i < n; i++) s += pp.score[i * k + x[i]];
  if (pp.dev) {
    const d = new Float64Array(n);
    for (let i = 0; i < n; i++) d[i] = pp.dev[i * k + x[i]];
    s -= protection(d, pp.gamma);
  }
  return s;
}

/**
 * The one budget test every part of this library uses: a bill may exceed B by a relative 1e-9
 * (plus 1e-12 USD), the rounding a sum of n prices picks up. Budgets set to exactly the
 * cheapest bill then stay feasible, and solvers, checks and tests agree on the verdict.
 */
export function budgetLimit(budget: number): number {
  return budget * (1 + 1e-9) + 1e-12;
}

export function withinBudget(cost: number, budget: number | null | undefined): boolean {
  return budget == null || cost <= budgetLimit(budget);
}

export interface Check {
  feasible: boolean;
  totalCost: number;
  violations: string[];
}

/** Checks an assignment against the ORIGINAL problem (real models only). */
export function checkAssignment(p: BatchProblem, x: Int32Array): Check {
  const violations: string[] = [];
  const counts = new Int32Array(p.k);
  const spend = new Float64Array(p.k);
  if (x.length !== p.n) violations.push(`assignment has ${x.length} entries, expected ${p.n}`);
  for (let i = 0; i < x.length; i++) {
    const j = x[i];
    if (j === -1) {
      violations.push(`query ${i} unassigned`);
      continue;
    }
    if (!Number.isInteger(j) || j < 0 || j >= p.k) {
      violations.push(`query ${i} has model ${j}`);
      continue;
    }
    counts[j]++;
    spend[j] += p.cost[i * p.k + j];
  }
  let totalCost = 0;
  for (let j = 0; j < p.k; j++) {
    totalCost += tierFactor(normaliseTiers(p.tiers?.[j]), counts[j]) * spend[j];
    const c = p.capacity?.[j];
    if (c != null && c >= 0 && Number.isFinite(c) && counts[j] > c)
      violations.push(`model ${modelName(p, j)} has ${counts[j]} queries > capacity ${c}`);
  }
  if (!withinBudget(totalCost, p.budget)) violations.push(`cost ${totalCost} > budget ${p.budget}`);
  return { feasible: violations.length === 0, totalCost, violations };
}

/** Objective value of an assignment over the original problem (-1 entries contribute 0). */
export function assignmentObjective(p: BatchProblem, x: Int32Array, opts: BatchSolveOptions = {}): number {
  const pp = prepare(p, opts);
  const xx = toPrepared(pp, x);
  return preparedObjective(pp, xx) - deferredScore(pp, xx);
}

export function modelName(p: { models?: readonly string[] }, j: number): string {
  return p.models?.[j] ?? `#${j}`;
}

/** Maps -1 (deferred) to the virtual defer model. */
export function toPrepared(pp: Prepared, x: Int32Array): Int32Array {
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] < 0 ? pp.kReal : x[i];
  return out;
}

/** Maps the virtual defer model back to -1. */
export function fromPrepared(pp: Prepared, x: Int32Array): Int32Array {
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] >= pp.kReal ? -1 : x[i];
  return out;
}

/** Score the defer model contributes (it has score 0, kept for clarity should that change). */
function deferredScore(pp: Prepared, x: Int32Array): number {
  let s = 0;
  for (let i = 0; i < pp.n; i++) if (x[i] >= pp.kReal) s += pp.score[i * pp.k + x[i]];
  return s;
}

/** Builds the public solution record from a prepared-space assignment. */
export function finish(
  p: BatchProblem,
  pp: Prepared,
  x: Int32Array,
  bound: number | null,
  solver: string,
  t0: number,
  extraWarnings: string[],
): BatchSolution {
  const objective = preparedObjective(pp, x);
  const assignment = fromPrepared(pp, x);
  const check = checkAssignment(p, assignment);
  const deferred = pp.k > pp.kReal;
  const budgetOk = withinBudget(check.totalCost, pp.budget);
  // Deferral is the documented answer to too little capacity, not a violation of it, so
  // feasibility here means: budget and capacities hold for the queries placed.
  const feasible = deferred
    ? budgetOk && check.violations.every((v) => v.includes('unassigned') || v.includes('cost'))
    : check.feasible;
  // A bound of the budget-constrained problem says nothing about an over-budget fallback.
  const b = bound == null || !budgetOk ? null : bound;
  let gapPct = b == null ? null : (100 * (b - objective)) / Math.max(Math.abs(b), 1e-12);
  if (gapPct != null && gapPct < 0 && gapPct > -1e-6) gapPct = 0;
  return {
    assignment,
    objective,
    bound: b,
    gapPct,
    solver,
    ms: now() - t0,
    feasible,
    totalCost: check.totalCost,
    warnings: [...pp.warnings, ...extraWarnings],
  };
}

export function now(): number {
  return globalThis.performance ? globalThis.performance.now() : Date.now();
}
