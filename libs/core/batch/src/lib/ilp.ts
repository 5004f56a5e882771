import type { Highs, ModelData } from 'highs';
import { solveHeuristic } from './heuristic';
import {
  BatchProblem,
  BatchSolution,
  BatchSolveOptions,
  BatchSolver,
  Prepared,
  finish,
  now,
  prepare,
  preparedCost,
  tierFactor,
  toPrepared,
} from './problem';

let highsPromise: Promise<Highs> | null = null;

/**
 * Loads the HiGHS wasm module once per process: instantiation costs tens of milliseconds and
 * the runtime is reentrant across models, so every solve shares it.
 */
export function loadHighs(): Promise<Highs> {
  if (!highsPromise) {
    highsPromise = import('highs').then((mod) => {
      // CommonJS and ESM builds expose the loader differently; accept either shape.
      const m = mod as unknown as { default?: unknown };
      const loader = (
        typeof m.default === 'function' ? m.default : ((m.default as { default?: unknown })?.default ?? mod)
      ) as () => Promise<Highs>;
      return loader();
    });
    highsPromise.catch(() => {
      highsPromise = null;
    });
  }
  return highsPromise;
}

/** Default wall-clock limit: long enough for n=1000, k=8 to optimality, short enough not to stall a window. */
const DEFAULT_TIME_LIMIT_MS = 30_000;

/**
 * Exact solver: the assignment problem as a MILP solved by HiGHS.
 *
 *   max  sum s_ij x_ij  [- gamma*theta - sum p_i]                 (budgeted uncertainty)
 *   s.t. sum_j x_ij = 1                         for each query i
 *        sum_i x_ij <= C_j                      for each capacitated model j
 *        sum_{j untiered} c_ij x_ij + sum_{j tiered} e_j <= B
 *   tiers (all-units), for each tiered model j with tiers t (thresholds thr_t, factors f_t):
 *        sum_t z_jt = 1,   thr_t-weighted count bounds pick the tier the volume reaches,
 *        e_j >= f_t * sum_i c_ij x_ij - M_jt (1 - z_jt)
 *   budgeted uncertainty (Bertsimas-Sim dual of the adversary's choice):
 *        p_i + theta >= sum_j d_ij x_ij,  p, theta >= 0
 */
export class IlpSolver implements BatchSolver {
  readonly name = 'ilp';
  async solve(problem: BatchProblem, opts: BatchSolveOptions = {}): Promise<BatchSolution> {
    return solveIlp(problem, opts);
  }
}

export async function solveIlp(problem: BatchProblem, opts: BatchSolveOptions = {}): Promise<BatchSolution> {
  const t0 = now();
  const pp = prepare(problem, opts);
  const highs = await loadHighs();
  const warnings: string[] = [];
  if (pp.n === 0) return finish(problem, pp, new Int32Array(0), 0, 'ilp', t0, warnings);
  const timeLimitMs = opts.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
  const deadline = t0 + timeLimitMs;

  const warm = opts.warmStart ? toPrepared(pp, opts.warmStart) : null;
  const main = runModel(
    highs,
    pp,
    { mode: 'quality', budget: pp.budget },
    warm,
    Math.max(1, deadline - now()),
    opts.mipRelGap,
  );

  if (main.status === STATUS_INFEASIBLE && pp.budget !== null) {
    // Only the budget can make the model infeasible (the defer model absorbs surplus demand):
    // find the cheapest bill, then the best quality at that bill.
    const cheap = runModel(
      highs,
      pp,
      { mode: 'cost', budget: null },
      null,
      Math.max(1, (deadline - now()) / 2),
      opts.mipRelGap,
    );
    if (cheap.x) {
      const minCost = preparedCost(pp, cheap.x);
      const best = runModel(
        highs,
        pp,
        { mode: 'quality', budget: minCost * (1 + 1e-9) + 1e-12 },
        cheap.x,
        Math.max(1, deadline - now()),
        opts.mipRelGap,
      );
      const x = best.x ?? cheap.x;
      warnings.push(
        `budget ${pp.budget} USD is infeasible: the cheapest assignment costs ${preparedCost(pp, x)} USD; returning it`,
      );
      return finish(problem, pp, x, null, 'ilp', t0, warnings);
    }
  }
  if (main.x) {
    if (main.status !== STATUS_OPTIMAL)
      warnings.push(
        `HiGHS stopped before proving optimality (${statusName(main.status)}); returning its best assignment`,
      );
    return finish(problem, pp, main.x, main.bound, 'ilp', t0, warnings);
  }
  // No incumbent within the limit: the heuristic's answer is still a valid one.
  warnings.push(`HiGHS found no assignment (${statusName(main.status)}); fell back to the heuristic`);
  const h = solveHeuristic(problem, opts);
  return {
    ...h,
    solver: 'ilp(heuristic fallback)',
    bound: main.bound ?? h.bound,
    ms: now() - t0,
    warnings: [...h.warnings, ...warnings],
  };
}

const STATUS_OPTIMAL = 7;
const STATUS_INFEASIBLE = 8;
const STATUS_NAMES: Record<number, string> = {
  7: 'optimal',
  8: 'infeasible',
  9: 'unbounded or infeasible',
  13: 'time limit reached',
  14: 'iteration limit reached',
  15: 'unknown',
};
function statusName(s: number): string {
  return STATUS_NAMES[s] ?? `status ${s}`;
}

interface ModelSpec {
  /** `quality`: maximise the objective; `cost`: minimise the bill (infeasible-budget fallback). */
  mode: 'quality' | 'cost';
  budget: number | null;
}

interface RunResult {
  status: number;
  x: Int32Array | null;
  bound: number | null;
}

/** Column layout of one built model. */
interface Layout {
  data: ModelData;
  nx: number;
  /** Per tiered model: first z column, number of tiers, e column. */
  tierCols: { j: number; z0: number; T: number; e: number }[];
  theta: number;
  p0: number;
  /** Costs enter the model multiplied by this (see build). */
  costScale: number;
}

function build(highs: Highs, pp: Prepared, spec: ModelSpec): Layout {
  const { n, k } = pp;
  const nx = n * k;
  const costMatters = spec.mode === 'cost' || spec.budget !== null;
  // Costs in units of the budget: the budget row's right-hand side becomes 1, so HiGHS'
  // absolute feasibility tolerance acts as a relative one, whatever the currency scale.
  let maxCost = 0;
  for (let t = 0; t < nx; t++) maxCost = Math.max(maxCost, pp.cost[t]);
  const costScale = spec.budget !== null && spec.budget > 0 ? 1 / spec.budget : maxCost > 0 ? 1 / maxCost : 1;
  const cs = (t: number): number => pp.cost[t] * costScale;
  const robust = spec.mode === 'quality' && pp.dev !== null && pp.gamma > 0;

  const colCost: number[] = [];
  const colLower: number[] = [];
  const colUpper: number[] = [];
  const integrality: (0 | 1)[] = [];
  const addCol = (obj: number, lo: number, hi: number, integer: boolean): number => {
    colCost.push(obj);
    colLower.push(lo);
    colUpper.push(hi);
    integrality.push(integer ? 1 : 0);
    return colCost.length - 1;
  };
  for (let t = 0; t < nx; t++) addCol(spec.mode === 'quality' ? pp.score[t] : 0, 0, 1, true);

  const tiered: number[] = [];
  if (costMatters) for (let j = 0; j < k; j++) if (pp.tiers[j]) tiered.push(j);
  const isTiered = new Uint8Array(k);
  for (const j of tiered) isTiered[j] = 1;
  const tierCols: Layout['tierCols'] = [];
  for (const j of tiered) {
    const T = (pp.tiers[j] as { thr: number[] }).thr.length;
    const z0 = colCost.length;
    for (let t = 0; t < T; t++) addCol(0, 0, 1, true);
    const e = addCol(spec.mode === 'cost' ? 1 : 0, 0, highs.infinity, false);
    tierCols.push({ j, z0, T, e });
  }
  let theta = -1;
  let p0 = -1;
  if (robust) {
    theta = addCol(-pp.gamma, 0, highs.infinity, false);
    p0 = colCost.length;
    for (let i = 0; i < n; i++) addCol(-1, 0, highs.infinity, false);
  }
  if (spec.mode === 'cost') {
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) if (!isTiered[j]) colCost[i * k + j] = cs(i * k + j);
  }

  // Rows, CSR.
  const starts: number[] = [0];
  const indices: number[] = [];
  const values: number[] = [];
  const rowLower: number[] = [];
  const rowUpper: number[] = [];
  const inf = highs.infinity;
  const endRow = (lo: number, hi: number): void => {
    rowLower.push(lo);
    rowUpper.push(hi);
    starts.push(indices.length);
  };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      indices.push(i * k + j);
      values.push(1);
    }
    endRow(1, 1);
  }
  for (let j = 0; j < k; j++) {
    if (pp.cap[j] >= n) continue;
    for (let i = 0; i < n; i++) {
      indices.push(i * k + j);
      values.push(1);
    }
    endRow(-inf, pp.cap[j]);
  }
  if (spec.budget !== null) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) {
        const c = cs(i * k + j);
        if (isTiered[j] || c === 0) continue;
        indices.push(i * k + j);
        values.push(c);
      }
    }
    for (const tc of tierCols) {
      indices.push(tc.e);
      values.push(1);
    }
    endRow(-inf, spec.budget * costScale);
  }
  for (const tc of tierCols) {
    const { j, z0, T, e } = tc;
    const sched = pp.tiers[j] as { thr: number[]; fac: number[] };
    for (let t = 0; t < T; t++) {
      indices.push(z0 + t);
      values.push(1);
    }
    endRow(1, 1);
    // count >= thr of the chosen tier
    for (let i = 0; i < n; i++) {
      indices.push(i * k + j);
      values.push(1);
    }
    for (let t = 0; t < T; t++) {
      if (sched.thr[t] === 0) continue;
      indices.push(z0 + t);
      values.push(-sched.thr[t]);
    }
    endRow(0, inf);
    // count <= next threshold - 1 of the chosen tier
    for (let i = 0; i < n; i++) {
      indices.push(i * k + j);
      values.push(1);
    }
    for (let t = 0; t < T; t++) {
      const upper = t + 1 < T ? sched.thr[t + 1] - 1 : n;
      if (upper === 0) continue;
      indices.push(z0 + t);
      values.push(-upper);
    }
    endRow(-inf, 0);
    // e_j >= f_t * spend_j when tier t is chosen. M_jt: the largest spend the capacity allows.
    const colCosts: number[] = [];
    for (let i = 0; i < n; i++) colCosts.push(cs(i * k + j));
    colCosts.sort((a, b) => b - a);
    const most = Math.min(n, pp.cap[j]);
    let maxSpend = 0;
    for (let t = 0; t < most; t++) maxSpend += colCosts[t];
    for (let t = 0; t < T; t++) {
      const M = sched.fac[t] * maxSpend;
      indices.push(e);
      values.push(1);
      for (let i = 0; i < n; i++) {
        const c = cs(i * k + j);
        if (c === 0) continue;
        indices.push(i * k + j);
        values.push(-sched.fac[t] * c);
      }
      if (M > 0) {
        indices.push(z0 + t);
        values.push(-M);
      }
      endRow(-M, inf);
    }
  }
  if (robust) {
    const dev = pp.dev as Float64Array;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) {
        const d = dev[i * k + j];
        if (d === 0) continue;
        indices.push(i * k + j);
        values.push(-d);
      }
      indices.push(theta);
      values.push(1);
      indices.push(p0 + i);
      values.push(1);
      endRow(0, inf);
    }
  }

  const numCols = colCost.length;
  const numRows = rowLower.length;
  const data: ModelData = {
    numCols,
    numRows,
    sense: spec.mode === 'quality' ? highs.constants.objectiveSense.maximize : highs.constants.objectiveSense.minimize,
    colCost: Float64Array.from(colCost),
    colLower: Float64Array.from(colLower),
    colUpper: Float64Array.from(colUpper),
    rowLower: Float64Array.from(rowLower),
    rowUpper: Float64Array.from(rowUpper),
    matrix: {
      format: 'csr',
      numRows,
      numCols,
      starts: Int32Array.from(starts),
      indices: Int32Array.from(indices),
      values: Float64Array.from(values),
    },
    integrality: Int32Array.from(integrality) as unknown as ModelData['integrality'],
  };
  return { data, nx, tierCols, theta, p0, costScale };
}

/** Full column vector for an assignment: lets HiGHS start from a known incumbent. */
function startVector(pp: Prepared, lay: Layout, x: Int32Array): Float64Array {
  const { n, k } = pp;
  const v = new Float64Array(lay.data.numCols);
  const count = new Int32Array(k);
  const spend = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    v[i * k + x[i]] = 1;
    count[x[i]]++;
    spend[x[i]] += pp.cost[i * k + x[i]];
  }
  for (const tc of lay.tierCols) {
    const sched = pp.tiers[tc.j] as { thr: number[]; fac: number[] };
    let t = 0;
    while (t + 1 < tc.T && count[tc.j] >= sched.thr[t + 1]) t++;
    v[tc.z0 + t] = 1;
    v[tc.e] = tierFactor(sched, count[tc.j]) * spend[tc.j] * lay.costScale;
  }
  if (lay.theta >= 0) {
    const dev = pp.dev as Float64Array;
    const d = new Float64Array(n);
    for (let i = 0; i < n; i++) d[i] = dev[i * k + x[i]];
    const sorted = Float64Array.from(d).sort().reverse();
    const g = Math.ceil(pp.gamma);
    const theta = g >= n ? 0 : sorted[g - 1];
    v[lay.theta] = theta;
    for (let i = 0; i < n; i++) v[lay.p0 + i] = Math.max(0, d[i] - theta);
  }
  return v;
}

function runModel(
  highs: Highs,
  pp: Prepared,
  spec: ModelSpec,
  warm: Int32Array | null,
  timeLimitMs: number,
  mipRelGap?: number,
): RunResult {
  const lay = build(highs, pp, spec);
  const model = highs.createModel();
  try {
    model.options.set({
      output_flag: false,
      time_limit: timeLimitMs / 1000,
      mip_rel_gap: mipRelGap ?? 1e-4,
      // Tight enough that an assignment HiGHS calls feasible passes withinBudget() too.
      mip_feasibility_tolerance: 1e-9,
      primal_feasibility_tolerance: 1e-9,
    });
    model.passModel(lay.data);
    if (warm) {
      try {
        model.setSolution({ colValue: startVector(pp, lay, warm) });
      } catch {
        // An infeasible start is only a hint; HiGHS solves without it.
      }
    }
    model.run();
    const status = model.getModelStatus();
    let x: Int32Array | null = null;
    const primal = Number(model.info.get('primal_solution_status'));
    if (primal === 2) {
      const col = model.getSolution().colValue;
      x = new Int32Array(pp.n);
      for (let i = 0; i < pp.n; i++) {
        let bj = 0;
        for (let j = 1; j < pp.k; j++) if (col[i * pp.k + j] > col[i * pp.k + bj]) bj = j;
        x[i] = bj;
      }
    }
    let bound: number | null = null;
    if (spec.mode === 'quality' && (status === STATUS_OPTIMAL || x)) {
      const b = Number(model.info.get('mip_dual_bound'));
      bound = Number.isFinite(b) ? b : null;
    }
    return { status, x, bound };
  } finally {
    model.dispose();
  }
}
