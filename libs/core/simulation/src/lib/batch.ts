import { ArmId, DecisionContext, Policy } from '@llm-router/bandits';
import { BatchProblem, halfWidthMultiplier, solveBatch } from '@llm-router/batch';
import { costLevel } from '@llm-router/pricing';
import { quantile } from './metrics';
import { orderRows } from './order';
import {
  ReplayOptions,
  ReplayRecorder,
  ReplayResult,
  ReplayRow,
  applyEvent,
  offered,
  realisedCost,
  runReplay,
  setupReplay,
} from './replay';

export interface BatchReplayOptions extends ReplayOptions {
  /** Queries per window (default 100). */
  batchSize?: number;
  /** Maximise the lower confidence bound of quality instead of its mean. */
  robust?: boolean;
  /** Solver time limit per window in ms (default 2000). */
  timeLimitMs?: number;
  /** Two-sided confidence level of the robust lower bound (default 0.3: docs/decisions/0006). */
  level?: number;
  /**
   * Queries at the head of each window that form an exploration sub-round (default 3; 0 = off):
   * they are planned first, on optimistic estimates, dispatched, and learnt from before the rest
   * of the window is planned. The replay treats the two sub-rounds as two successive assignments.
   */
  explore?: number;
}

export interface ModeFigures {
  meanQuality: number;
  meanCost: number;
  budgetRatio: number | null;
  pctOfOracle: number;
  /** Lowest mean quality over the windows of `batchSize` consecutive rows (the same windows for both modes). */
  worstWindowQuality: number;
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
 * Queries seen so far (their scores and expected costs per arm, as estimated when their window
 * was planned): the planner's picture of what money buys on a typical query, from which the
 * price of a dollar is set for the next window.
 */
class QueryPool {
  score: Float64Array;
  cost: Float64Array;
  n = 0;

  constructor(readonly k: number) {
    this.score = new Float64Array(1024 * k);
    this.cost = new Float64Array(1024 * k);
  }

  clear(): void {
    this.n = 0;
  }

  add(score: Float64Array, cost: Float64Array, m: number): void {
    const need = (this.n + m) * this.k;
    if (need > this.score.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(Math.max(need, 2 * a.length));
        b.set(a);
        return b;
      };
      this.score = grow(this.score);
      this.cost = grow(this.cost);
    }
    this.score.set(score.subarray(0, m * this.k), this.n * this.k);
    this.cost.set(cost.subarray(0, m * this.k), this.n * this.k);
    this.n += m;
  }

  /** Mean cost per query when every pooled query takes its best arm at price mu. */
  spendAt(mu: number): number {
    const { k, score, cost } = this;
    let total = 0;
    for (let i = 0; i < this.n; i++) {
      let best = -Infinity;
      let c = 0;
      for (let j = 0; j < k; j++) {
        const x = i * k + j;
        if (score[x] <= UNAVAILABLE) continue;
        const v = score[x] - mu * cost[x];
        if (v > best || (v === best && cost[x] < c)) {
          best = v;
          c = cost[x];
        }
      }
      total += c;
    }
    return this.n > 0 ? total / this.n : 0;
  }

  /**
   * The smallest price of a dollar (in score units) at which the pool spends at most `target`
   * per query: the dual price of the budget if the rest of the period looks like the past.
   */
  clearingPrice(target: number): number {
    if (this.spendAt(0) <= target) return 0;
    let lo = 0;
    let hi = 1;
    while (this.spendAt(hi) > target && hi < 1e15) {
      lo = hi;
      hi *= 4;
    }
    for (let it = 0; it < 60 && hi - lo > 1e-9 * hi; it++) {
      const mid = lo === 0 ? hi / 2 : Math.sqrt(lo * hi);
      if (this.spendAt(mid) > target) lo = mid;
      else hi = mid;
    }
    return hi;
  }
}

/**
 * Per arm, how realised costs compare with the costs the plan expected. The policy's per-prompt
 * cost rests on a usage level that lags: a model nobody has called yet is assumed to use as
 * many tokens as the others (a reasoning flagship uses tens of times more), and a usage model
 * fitted against early expectations double-counts a level the cost model has since learnt.
 * Per-query routing corrects that after one call; a plan of hundreds of calls would not. The
 * planner multiplies its expected costs by `level`: realised over expected on the arm's recent
 * calls (libs/core/pricing `costLevel`).
 */
export class CostCalibration {
  private readonly calls: { realised: number; expected: number }[][];

  constructor(k: number) {
    this.calls = Array.from({ length: k }, () => []);
  }

  /** One call of `arm`: what it cost, and what the uncalibrated plan expected. */
  observe(arm: number, realised: number, expected: number): void {
    if (!(expected > 0) || !(realised >= 0)) return;
    const c = this.calls[arm];
    c.push({ realised, expected });
    if (c.length > CAL_WINDOW) c.shift();
  }

  level(arm: number): number {
    let realisedUsd = 0;
    let expectedUsd = 0;
    for (const x of this.calls[arm]) {
      realisedUsd += x.realised;
      expectedUsd += x.expected;
    }
    return costLevel({ realisedUsd, expectedUsd, calls: this.calls[arm].length });
  }
}

/** Recent calls per arm that the calibration keeps. */
const CAL_WINDOW = 200;
/** An arm whose calls in a window cost more than this multiple of their planned cost gets no more of them. */
const COST_SURPRISE = 3;

/**
 * The smallest price from which on `spend(price)` stays at most `target`, on a geometric grid: the
 * curve need not fall monotonically (it is a difference of two spends).
 */
function monotonePriceFor(spend: (mu: number) => number, target: number): number {
  let mu = GRID_MAX;
  if (spend(mu) > target) return mu;
  for (let x = GRID_MAX / GRID_STEP; x >= GRID_MIN; x /= GRID_STEP) {
    if (spend(x) > target) return mu;
    mu = x;
  }
  return spend(0) > target ? mu : 0;
}

const GRID_MIN = 1e-2;
const GRID_MAX = 1e7;
const GRID_STEP = 1.05;

/** Arm of query i with the best score - mu * cost (cheaper on ties). */
function bestAt(score: Float64Array, cost: Float64Array, k: number, i: number, mu: number): number {
  let best = -Infinity;
  let arg = -1;
  for (let j = 0; j < k; j++) {
    const x = i * k + j;
    if (score[x] <= UNAVAILABLE) continue;
    const v = score[x] - mu * cost[x];
    if (v > best || (v === best && cost[x] < cost[i * k + arg])) {
      best = v;
      arg = j;
    }
  }
  return arg;
}

function cheapest(cost: Float64Array, score: Float64Array, k: number, i: number): number {
  let arg = -1;
  for (let j = 0; j < k; j++) {
    const x = i * k + j;
    if (score[x] <= UNAVAILABLE) continue;
    if (arg < 0 || cost[x] < cost[i * k + arg]) arg = j;
  }
  return arg;
}

/**
 * Batch routing replay: the same rows in the same order, taken in windows of `batchSize`.
 * For each window the policy's current estimates (per-query quality mean and confidence
 * half-width, per-prompt expected cost) go to libs/core/batch's solver; the assigned arms are then
 * pulled and the policy learns from them only after the whole window is assigned.
 *
 * The window's budget is not a fixed share: a dual price of the dollar is set so that the
 * queries seen so far, each on its best arm at that price, would spend what is left per
 * remaining query. A window whose queries gain more per dollar than that price buys more
 * (a bank carries unspent money forward); a window of queries that gain little (easy prompts,
 * where the cheap model is nearly as good) spends little. Per-query routing with a pacer
 * cannot do this: it only learns it spent too much after the fact. A window never straddles
 * the scenario step, so the event lands on a window boundary.
 */
export async function runBatchReplay(
  rows: readonly ReplayRow[],
  options: BatchReplayOptions,
): Promise<ReplayResult & { solveMs: number[] }> {
  const s = setupReplay(rows, options);
  const size = options.batchSize ?? 100;
  if (!Number.isInteger(size) || size < 1) throw new Error(`batch size must be an integer >= 1, got ${size}`);
  const { policy, costModel, n, data, arms } = s;
  const k = arms.length;
  const rec = new ReplayRecorder(s, options, false);
  const solveMs: number[] = [];
  const pool = new QueryPool(k);
  const z = options.robust ? halfWidthMultiplier(options.level ?? DEFAULT_ROBUST_LEVEL) : 0;
  const total = s.budget !== null ? s.budget * n : null;
  const seen: { ctx: DecisionContext; available: readonly ArmId[] }[] = [];
  // The warm-start file's prompts are the planner's forecast of the period's mix of queries: with
  // them the price of a dollar is set against the whole period (what the forecast mix would
  // spend, minus what the queries already seen would have spent at that price), not against
  // the sources seen so far, which on an adversarial order (by source) are the wrong picture.
  // Only their prompts are used, re-estimated each window with what the policy knows then.
  const forecastRows: { ctx: DecisionContext; available: readonly ArmId[] }[] = [];
  const wsRows = options.warmStart ?? [];
  const wsStride = Math.max(1, Math.ceil(wsRows.length / POOL_MAX));
  for (let p = 0; p < wsRows.length; p += wsStride) {
    const r = wsRows[p];
    forecastRows.push({ ctx: s.contextOf(r), available: arms.filter((a) => r.arms[a] !== undefined) });
  }
  const forecast = new QueryPool(k);
  const calibration = new CostCalibration(k);
  let spent = 0;
  let t = 0;
  const explore = Math.max(0, Math.floor(options.explore ?? DEFAULT_EXPLORE));
  let windowEnd = 0;
  while (t < n) {
    applyEvent(s, t);
    let end: number;
    let optimistic = false;
    if (t >= windowEnd) {
      // A new window: [t, windowEnd). Its first `explore` queries are a sub-round of their own.
      windowEnd = Math.min(n, t + size);
      if (s.scen && t < s.scen.at && windowEnd > s.scen.at) windowEnd = s.scen.at;
      optimistic = explore > 0 && windowEnd - t > 2 * explore;
      end = optimistic ? t + explore : windowEnd;
    } else end = windowEnd;
    const m = end - t;
    const quality = new Float64Array(m * k);
    const halfWidth = new Float64Array(m * k);
    const cost = new Float64Array(m * k);
    const score = new Float64Array(m * k);
    const ctxs: DecisionContext[] = [];
    const offeredCosts: Record<ArmId, number>[] = [];
    const oracles: number[] = [];
    const levels = arms.map((_, j) => calibration.level(j));
    const fill = (ctx: DecisionContext, available: readonly ArmId[], i: number, out: Estimates) => {
      for (let j = 0; j < k; j++) {
        const a = arms[j];
        const x = i * k + j;
        if (!available.includes(a)) {
          out.quality[x] = out.score[x] = UNAVAILABLE;
          out.halfWidth[x] = 0;
          out.cost[x] = 0;
          continue;
        }
        const est = policy.estimate(ctx, a);
        const base = costModel.expectedCost(a);
        const c = isCostAware(policy) ? policy.expectedCost(ctx, a, base) : base;
        out.cost[x] = c * levels[j];
        // Without a budget the cost weight enters the objective directly.
        // Quality lives in [0, 1] but the policy's model is additive: on prompts that are easy for
        // every model it predicts more than 1 for the stronger ones and so overstates what an
        // upgrade buys exactly where it buys least.
        const mean = Number.isFinite(est.mean) ? Math.min(QMAX, Math.max(0, est.mean)) : 0.5;
        out.quality[x] = mean - (s.budget === null ? s.baseLambda * c : 0);
        out.halfWidth[x] = Number.isFinite(est.halfWidth) ? est.halfWidth : 1;
        out.score[x] = out.quality[x] - z * out.halfWidth[x];
      }
    };
    const cur: Estimates = { quality, halfWidth, cost, score };
    for (let i = 0; i < m; i++) {
      const row = data[t + i];
      const ctx = s.contextOf(row);
      ctxs.push(ctx);
      const { available, oracle } = offered(s, row, t + i);
      oracles.push(oracle);
      // The costs the row is offered at are kept for update(): the per-prompt usage model learns
      // from the realised cost against that expectation; without it batch planning would price
      // every prompt at its model's mean cost while per-query routing prices each one.
      offeredCosts.push(costModel.costs(available));
      fill(ctx, available, i, cur);
      seen.push({ ctx, available });
    }
    // The pool is re-estimated with what the policy knows now: estimates frozen at the time of
    // their window would keep the cold start's "every arm is alike" and bias the price down.
    const past: Estimates = {
      quality: new Float64Array(k),
      halfWidth: new Float64Array(k),
      cost: new Float64Array(k),
      score: new Float64Array(k),
    };
    if (total !== null && end < n) {
      const stride = Math.max(1, Math.ceil((seen.length - m) / POOL_MAX));
      pool.clear();
      for (let p = seen.length - m - 1; p >= 0; p -= stride) {
        fill(seen[p].ctx, seen[p].available, 0, past);
        pool.add(past.score, past.cost, 1);
      }
      // Without a forecast the current window joins the past as the picture of what is to come.
      if (forecastRows.length === 0) pool.add(score, cost, m);
      forecast.clear();
      for (const f of forecastRows) {
        fill(f.ctx, f.available, 0, past);
        forecast.add(past.score, past.cost, 1);
      }
    }
    let windowBudget: number | null = null;
    let reserve = 0;
    let objective = quality;
    if (total !== null) {
      const left = total - spent;
      const after = n - end;
      let cheap = 0;
      for (let i = 0; i < m; i++) cheap += cost[i * k + cheapest(cost, score, k, i)];
      // Every later query must still afford its cheapest arm, whatever this window takes.
      reserve = after > 0 ? (after * cheap) / m : 0;
      windowBudget = Math.max(cheap, left - reserve);
      if (after > 0) {
        // The window maximises quality - mu * cost: it buys an upgrade only if it gains more
        // per dollar than the money would buy later, and the bank (what is left) is the cap.
        // The pool only knows the kinds of query seen so far: if they are cheap to upgrade, the
        // price that spends the bank on them would buy the flagship for small gains and leave
        // nothing for the dearer kinds still to come. So the price never falls below the
        // pacer's neutral one (a target per query buys a hundredth of a quality point), a floor
        // that fades out over the last quarter of the period so that its last windows can still
        // spend the bank.
        const floor = (NEUTRAL_PRICE / s.budget!) * Math.min(1, (FLOOR_FADE * after) / n);
        let mu: number;
        if (forecast.n > 0) {
          // The period at price mu spends n * forecast(mu); the t queries already routed would have
          // spent pool(mu) of that, so the rest (this window on) is expected to spend the
          // difference (at least its cheapest arms). The price makes that equal what is left.
          const pastN = pool.n;
          const rest = (x: number) =>
            Math.max(((n - t) * cheap) / m, n * forecast.spendAt(x) - (pastN > 0 ? t * pool.spendAt(x) : 0));
          mu = monotonePriceFor(rest, Math.max(0, left));
        } else mu = pool.clearingPrice(Math.max(0, left) / (n - t));
        mu = Math.max(floor, mu);
        objective = new Float64Array(m * k);
        let maxCost = 1e-300;
        for (let x = 0; x < m * k; x++) maxCost = Math.max(maxCost, cost[x]);
        for (let x = 0; x < m * k; x++)
          objective[x] =
            quality[x] === UNAVAILABLE ? UNAVAILABLE : quality[x] - mu * cost[x] - (TIE * cost[x]) / maxCost;
      }
    }
    let forced: Int32Array | null = null;
    if (optimistic) {
      // Exploration sub-round: optimism in the face of uncertainty (mean + half-width, at most
      // one point more) at the same price of a dollar, so the arms whose value on this kind of
      // query is least known get sampled before the rest of the window is committed. Arms never
      // pulled are sampled round-robin, except those whose expected cost per call is more than
      // COLD_CAP targets (one call of them would spend the budget of many queries).
      const cold: number[] = [];
      for (let j = 0; j < k; j++) {
        const x = j; // row 0's offer stands for the window's
        if (quality[x] === UNAVAILABLE) continue;
        const e = policy.estimate(ctxs[0], arms[j]);
        if (e.n === 0 && (s.budget === null || cost[x] <= COLD_CAP * s.budget)) cold.push(j);
      }
      const opt = new Float64Array(m * k);
      for (let x = 0; x < m * k; x++) {
        opt[x] = quality[x] === UNAVAILABLE ? UNAVAILABLE : objective[x] + Math.min(1, halfWidth[x]);
      }
      objective = opt;
      if (cold.length > 0) {
        forced = new Int32Array(m);
        for (let i = 0; i < m; i++) forced[i] = cold[i % cold.length];
        if (forced.some((j, i) => quality[i * k + j] === UNAVAILABLE)) forced = null;
      }
    }
    const problem: BatchProblem = { n: m, k, quality: objective, halfWidth, cost, budget: windowBudget, models: arms };
    const sol = forced
      ? { assignment: forced, ms: 0 }
      : await solveBatch(problem, {
          objective: options.robust && !optimistic ? 'lcb' : 'mean',
          level: options.level ?? DEFAULT_ROBUST_LEVEL,
          timeLimitMs: options.timeLimitMs ?? 2000,
        });
    solveMs.push(sol.ms);
    const plan = Int32Array.from(sol.assignment);
    for (let i = 0; i < m; i++)
      if (plan[i] < 0 || quality[i * k + plan[i]] === UNAVAILABLE) plan[i] = cheapest(cost, score, k, i);
    // The plan is fixed before any outcome of the window is seen; dispatch only checks the bill.
    // A query goes to its cheapest arm instead of the planned one when
    // - the ledger says the call no longer fits: what is spent, this call, the rest of the plan
    //   and the later queries' cheapest arms (which they take whatever is left) would pass the
    //   period's budget; or
    // - under a budget, its arm has already cost this window more than COST_SURPRISE times what
    //   the plan expected of those calls: the plan priced it on a usage it does not have.
    let planned = 0;
    for (let i = 0; i < m; i++) planned += cost[i * k + plan[i]];
    const armExpected = new Float64Array(k);
    const armRealised = new Float64Array(k);
    const outcomes: { arm: ArmId; q: number; c: number }[] = [];
    for (let i = 0; i < m; i++) {
      const row = data[t + i];
      let j = plan[i];
      planned -= cost[i * k + j];
      const overBudget = total !== null && spent + cost[i * k + j] + planned + reserve > total * DISPATCH_CAP;
      const surprised = total !== null && armRealised[j] > COST_SURPRISE * armExpected[j];
      if (overBudget || surprised) j = cheapest(cost, score, k, i);
      const arm = arms[j];
      const q = row.arms[arm].reward;
      const c = realisedCost(s, row, arm, t + i);
      spent += c;
      armExpected[j] += cost[i * k + j];
      armRealised[j] += c;
      calibration.observe(j, c, cost[i * k + j] / levels[j]);
      outcomes.push({ arm, q, c });
      rec.record(t + i, arm, q, c, s.baseLambda, oracles[i]);
      options.onProgress?.(t + i + 1, n);
    }
    for (let i = 0; i < m; i++) {
      const o = outcomes[i];
      policy.update(ctxs[i], o.arm, { quality: o.q, costUsd: o.c, expectedCostUsd: offeredCosts[i][o.arm] });
      costModel.observe(o.arm, o.c);
    }
    t = end;
  }
  return { ...rec.result(), solveMs };
}

interface Estimates {
  quality: Float64Array;
  halfWidth: Float64Array;
  cost: Float64Array;
  score: Float64Array;
}

/** Past queries re-estimated per window (a stride sample beyond this many). */
const POOL_MAX = 2000;

/** Quality the most expensive arm of a window loses to break ties towards cheaper arms. */
const TIE = 1e-3;

/** Quality points bought by one target's worth of money at the pacer's starting lambda (libs/core/simulation pacer.ts). */
const NEUTRAL_PRICE = 0.01;

/** The price floor holds until the last 1/FLOOR_FADE of the period, then falls linearly to 0. */
const FLOOR_FADE = 4;

/** Default two-sided level of the robust lower bound (docs/decisions/0006-batch-costs-and-robust-level.md). */
export const DEFAULT_ROBUST_LEVEL = 0.3;

/** Default size of the exploration sub-round at the head of each window. */
export const DEFAULT_EXPLORE = 3;

/** An arm never pulled is explored only if one call is expected to cost at most this many per-query targets. */
const COLD_CAP = 20;

/** Upper end of the quality scale. */
const QMAX = 1;

/** Dispatch never lets the period's spend pass this multiple of its budget. */
const DISPATCH_CAP = 1;

/** Mean realised quality of each window of `size` consecutive rows. */
export function windowQualities(rows: readonly ReplayRow[], r: ReplayResult, size: number): number[] {
  // The replay's row order is a pure function of (rows, order, seed), so the picks map back to rows.
  const data = orderRows(rows, r.order, r.seed);
  const out: number[] = [];
  for (let t = 0; t < data.length; t += size) {
    const end = Math.min(data.length, t + size);
    let sum = 0;
    for (let i = t; i < end; i++) sum += data[i].arms[r.arms[r.picks[i]]].reward;
    out.push(sum / (end - t));
  }
  return out;
}

/** Lowest window mean of the realised quality, over consecutive windows of `size` rows. */
export function worstWindowQuality(rows: readonly ReplayRow[], r: ReplayResult, size: number): number {
  return Math.min(...windowQualities(rows, r, size));
}

function figures(rows: readonly ReplayRow[], r: ReplayResult, size: number): ModeFigures {
  return {
    meanQuality: r.meanQuality,
    meanCost: r.meanCost,
    budgetRatio: r.budgetRatio,
    pctOfOracle: r.pctOfOracle,
    worstWindowQuality: worstWindowQuality(rows, r, size),
  };
}

/**
 * EVAL.md's batch mode: the per-query replay and the batch replay on the same order, seed
 * and budget, each with a fresh policy. The top-level figures are the batch run's; the
 * per-query run's decide times are reported, since batch routing has no per-query decide.
 */
export async function runBatchComparison(
  rows: readonly ReplayRow[],
  options: BatchReplayOptions,
): Promise<BatchReplayResult> {
  const perQuery = runReplay(rows, options);
  const { solveMs, ...batch } = await runBatchReplay(rows, { ...options, clock: undefined });
  return {
    ...batch,
    decideP50Us: perQuery.decideP50Us,
    decideP99Us: perQuery.decideP99Us,
    perQuery: figures(rows, perQuery, options.batchSize ?? 100),
    batch: figures(rows, batch, options.batchSize ?? 100),
    gainPct: 100 * (batch.meanQuality / perQuery.meanQuality - 1),
    batchSize: options.batchSize ?? 100,
    robust: !!options.robust,
    solveMsP50: quantile(solveMs, 0.5),
    solveMsP99: quantile(solveMs, 0.99),
  };
}
