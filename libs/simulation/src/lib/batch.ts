import { ArmId, DecisionContext, Policy } from '@llm-router/bandits';
import { BatchProblem, solveBatch } from '@llm-router/batch';
import { quantile } from './metrics';
import { ReplayOptions, ReplayRecorder, ReplayResult, ReplayRow, applyEvent, offered, realisedCost, runReplay, setupReplay } from './replay';

export interface BatchReplayOptions extends ReplayOptions {
  /** Queries per window (default 100). */
  batchSize?: number;
  /** Maximise the lower confidence bound of quality instead of its mean. */
  robust?: boolean;
  /** Solver time limit per window in ms (default 2000). */
  timeLimitMs?: number;
}

export interface ModeFigures {
  meanQuality: number;
  meanCost: number;
  budgetRatio: number | null;
  pctOfOracle: number;
}

export interface BatchReplayResult extends ReplayResult {
  perQuery: ModeFigures;
  batch: ModeFigures;
  /** 100 * (batch.meanQuality / perQuery.meanQuality - 1). */
  gainPct: number;
  batchSize: number;
  robust: boolean;
  solveMsP50: number | null;
  solveMsP99: number | null;
}

/** A policy that can price one prompt on one arm better than the per-model expectation. */
interface CostAware {
  expectedCost(ctx: DecisionContext, arm: ArmId, baseCost: number): number;
}

function isCostAware(p: Policy): p is Policy & CostAware {
  return typeof (p as Partial<CostAware>).expectedCost === 'function';
}

/** Quality that no solver would pick: an arm the row does not offer. */
const UNAVAILABLE = -10;

/**
 * Batch routing replay: the same rows in the same order, taken in windows of `batchSize`.
 * For each window the policy's current quality estimates (mean and confidence half-width)
 * and the expected costs go to libs/batch's solver under the window's share of the budget;
 * the assigned arms are then pulled and the policy learns from them, as the per-query replay
 * does. A window never straddles the scenario step, so the event lands on a window boundary.
 */
export async function runBatchReplay(rows: readonly ReplayRow[], options: BatchReplayOptions): Promise<ReplayResult & { solveMs: number[] }> {
  const s = setupReplay(rows, options);
  const size = options.batchSize ?? 100;
  if (!Number.isInteger(size) || size < 1) throw new Error(`batch size must be an integer >= 1, got ${size}`);
  const { policy, costModel, n, data, arms } = s;
  const k = arms.length;
  const rec = new ReplayRecorder(s, options, false);
  const solveMs: number[] = [];
  let spent = 0;
  let t = 0;
  while (t < n) {
    applyEvent(s, t);
    let end = Math.min(n, t + size);
    if (s.scen && t < s.scen.at && end > s.scen.at) end = s.scen.at;
    const m = end - t;
    const quality = new Float64Array(m * k);
    const halfWidth = new Float64Array(m * k);
    const cost = new Float64Array(m * k);
    const ctxs: DecisionContext[] = [];
    const oracles: number[] = [];
    for (let i = 0; i < m; i++) {
      const row = data[t + i];
      const ctx = s.contextOf(row);
      ctxs.push(ctx);
      const { available, oracle } = offered(s, row, t + i);
      oracles.push(oracle);
      for (let j = 0; j < k; j++) {
        const a = arms[j];
        const x = i * k + j;
        if (!available.includes(a)) {
          quality[x] = UNAVAILABLE;
          halfWidth[x] = 0;
          cost[x] = 0;
          continue;
        }
        const est = policy.estimate(ctx, a);
        const base = costModel.expectedCost(a);
        const c = isCostAware(policy) ? policy.expectedCost(ctx, a, base) : base;
        cost[x] = c;
        // Without a budget the cost weight enters the objective directly.
        quality[x] = (Number.isFinite(est.mean) ? est.mean : 0.5) - (s.budget === null ? s.baseLambda * c : 0);
        halfWidth[x] = est.halfWidth;
      }
    }
    let windowBudget: number | null = null;
    if (s.budget !== null) {
      // The window gets its share of what is left, so over- or under-spending in one window is
      // paid back by the next ones.
      const perQuery = (s.budget * n - spent) / (n - t);
      windowBudget = Math.max(0, Math.min(3 * s.budget, Math.max(s.budget / 3, perQuery))) * m;
    }
    const problem: BatchProblem = { n: m, k, quality, halfWidth, cost, budget: windowBudget, models: arms };
    const sol = await solveBatch(problem, { objective: options.robust ? 'lcb' : 'mean', timeLimitMs: options.timeLimitMs ?? 2000 });
    solveMs.push(sol.ms);
    for (let i = 0; i < m; i++) {
      const row = data[t + i];
      let j = sol.assignment[i];
      if (j < 0 || quality[i * k + j] === UNAVAILABLE) {
        // Defensive: an infeasible window (budget below the cheapest assignment) still routes
        // every query, to its cheapest offered arm.
        j = -1;
        for (let jj = 0; jj < k; jj++) if (quality[i * k + jj] !== UNAVAILABLE && (j < 0 || cost[i * k + jj] < cost[i * k + j])) j = jj;
      }
      const arm = arms[j];
      const q = row.arms[arm].reward;
      const c = realisedCost(s, row, arm, t + i);
      policy.update(ctxs[i], arm, { quality: q, costUsd: c });
      costModel.observe(arm, c);
      spent += c;
      rec.record(t + i, arm, q, c, s.baseLambda, oracles[i]);
      options.onProgress?.(t + i + 1, n);
    }
    t = end;
  }
  return { ...rec.result(), solveMs };
}

function figures(r: ReplayResult): ModeFigures {
  return { meanQuality: r.meanQuality, meanCost: r.meanCost, budgetRatio: r.budgetRatio, pctOfOracle: r.pctOfOracle };
}

/**
 * EVAL.md's batch mode: the per-query replay and the batch replay on the same order, seed
 * and budget, each with a fresh policy. The top-level figures are the batch run's; the
 * per-query run's decide times are reported, since batch routing has no per-query decide.
 */
export async function runBatchComparison(rows: readonly ReplayRow[], options: BatchReplayOptions): Promise<BatchReplayResult> {
  const perQuery = runReplay(rows, options);
  const { solveMs, ...batch } = await runBatchReplay(rows, { ...options, clock: undefined });
  return {
    ...batch,
    decideP50Us: perQuery.decideP50Us,
    decideP99Us: perQuery.decideP99Us,
    perQuery: figures(perQuery),
    batch: figures(batch),
    gainPct: 100 * (batch.meanQuality / perQuery.meanQuality - 1),
    batchSize: options.batchSize ?? 100,
    robust: !!options.robust,
    solveMsP50: quantile(solveMs, 0.5),
    solveMsP99: quantile(solveMs, 0.99),
  };
}
