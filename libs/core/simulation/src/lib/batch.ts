import { ArmId, DecisionContext, Policy, Rng } from '@llm-router/bandits';
import { CostModel } from '@llm-router/pricing';
import {
  CostCalibration,
  MIX_SAMPLE_MAX,
  strideSample,
  thinEvidenceFor,
  anyUnknownToPolicy,
  neverPulledModels,
  plansOnDraws,
  drawQualities,
  DispatchCheck,
  EstimatedMix,
  ExploreSetting,
  PeriodBudget,
  RecentResiduals,
  type RecentCorrectionSetting,
  recentCorrectionFor,
  WindowEstimates,
  emptyWindowEstimates,
  explorationHead,
  explorationSize,
  halfWidthMultiplier,
  periodTotalUsd,
  planWindow,
  FREE_FORM,
  KindLedger,
  firstWindowLikeForecast,
  cheapestBill,
  promptKind,
  type PromptKind,
  probeRound,
  probeTopUp,
  singleProbeCalls,
  type SingleProbeCall,
  recentCheapestBillUsd,
} from '@llm-router/batch';
import { quantile } from './metrics';
import { orderRows } from './order';
import { sourceBound } from './source-bound';
import { PlanOnTruth, applyPlanOnTruth, sourceMeans } from './plan-on-truth';
import { SourceFigures, sourceBreakdown } from './source-breakdown';
import {
  ReplayOptions,
  ReplayRecorder,
  ReplayResult,
  ReplayRow,
  ReplaySetup,
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
   * Queries at the head of each window that form an exploration sub-round (default
   * DEFAULT_EXPLORE, none, as the batch-planner app; `auto`: 3, or 6 with the recent-residual
   * correction): they are planned first, on optimistic estimates, dispatched, and learnt from
   * before the rest of the window is planned. The replay treats the two sub-rounds as two
   * successive assignments.
   */
  explore?: ExploreSetting;
  /**
   * Correct the policy's estimates by each arm's recent residuals on the query's kind of prompt
   * (`RecentResiduals`). `auto` (default): on with a warm start, whose priors hold the policy's
   * estimates still while the mix drifts; off without one, where the policy, still learning,
   * follows the drift itself and the correction would count it twice (docs/decisions/0028).
   */
  recentCorrection?: RecentCorrectionSetting;
  /**
   * Price each window per kind of prompt from the bills, and probe each new kind before the rest
   * of its window is planned (`KindLedger`, `probeRound`; default true, as the batch-planner app's
   * BATCH_KIND_COSTS; docs/decisions/0050).
   */
  kindCosts?: boolean;
  /**
   * A diagnostic: plan each round on the replayed rows' true mean quality and/or cost per source
   * and model in place of the estimates (`PlanOnTruth`). Needs the stationary scenario.
   */
  planOnTruth?: PlanOnTruth;
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
  /**
   * With a budget: what a planner that knew every source's true mean quality and cost could
   * reach on this order (`sourceBound`), as meanQuality and as gainPct over `perQuery`; `window*`:
   * knowing them window by window, offline.
   */
  sourceBound: {
    onlineMeanQuality: number;
    onlineGainPct: number;
    bestScaledPriceFactor: number;
    bestScaledGainPct: number;
    offlineMeanQuality: number;
    offlineGainPct: number;
    windowOfflineMeanQuality: number;
    windowOfflineGainPct: number;
  } | null;
  /**
   * Source by source, in order of first appearance: how each mode served the source's rows and
   * the source's part of gainPct (`sourceBreakdown`); null for a file without sources, or a
   * scenario (its price event is not in the rows' costs).
   */
  bySource: SourceFigures[] | null;
}

/** A policy that can price one prompt on one arm better than the per-model expectation. */
interface CostAware {
  expectedCost(ctx: DecisionContext, arm: ArmId, baseCost: number): number;
}

function isCostAware(p: Policy): p is Policy & CostAware {
  return typeof (p as Partial<CostAware>).expectedCost === 'function';
}

/**
 * A query as the planner sees it before it is routed: its context, the arms it offers, and its
 * prompt's kind (`promptKind`, taken once: the routed mix and the forecast are priced per kind
 * again at every round).
 */
interface PendingQuery {
  ctx: DecisionContext;
  available: readonly ArmId[];
  kind: PromptKind;
}

/**
 * Window estimates: the policy's per-query quality (mean clipped to [0, 1], 95% half-width) and
 * per-prompt expected cost times the arm's cost calibration, for each query and offered arm.
 */
function windowEstimator(s: ReplaySetup) {
  const { policy, costModel, arms } = s;
  const k = arms.length;
  return (queries: readonly PendingQuery[], levels: readonly number[]): WindowEstimates => {
    const e = emptyWindowEstimates(queries.length, k);
    queries.forEach(({ ctx, available }, i) => {
      for (let j = 0; j < k; j++) {
        const a = arms[j];
        const x = i * k + j;
        if (!available.includes(a)) continue;
        e.available[x] = 1;
        const est = policy.estimate(ctx, a);
        const base = costModel.expectedCost(a);
        const c = isCostAware(policy) ? policy.expectedCost(ctx, a, base) : base;
        e.cost[x] = c * levels[j];
        // Quality lives in [0, 1] but the policy's model is additive: on prompts that are easy for
        // every model it predicts more than 1 for the stronger ones and so overstates what an
        // upgrade buys exactly where it buys least. Without a budget the cost weight enters the
        // objective directly.
        const mean = Number.isFinite(est.mean) ? Math.min(QMAX, Math.max(0, est.mean)) : 0.5;
        e.quality[x] = mean - (s.budget === null ? s.baseLambda * c : 0);
        e.halfWidth[x] = Number.isFinite(est.halfWidth) ? est.halfWidth : 1;
      }
    });
    return e;
  };
}

/**
 * Where the next sub-round of the replay ends, and whether it is a window's exploration sub-round
 * (`explore`: its size for the window starting at t).
 */
function nextSubRound(s: ReplaySetup, t: number, windowEnd: number, size: number, explore: (t: number) => number) {
  if (t < windowEnd) return { end: windowEnd, windowEnd, exploring: false };
  // A new window: [t, windowEnd). Its first queries may be a sub-round of their own.
  let end = Math.min(s.n, t + size);
  if (s.scen && t < s.scen.at && end > s.scen.at) end = s.scen.at;
  const head = explorationHead(end - t, explore(t));
  return { end: t + (head || end - t), windowEnd: end, exploring: head > 0 };
}

/**
 * Batch routing replay: the same rows in the same order, taken in windows of `batchSize`. Each
 * (sub-)round is planned by libs/core/batch's `planWindow` on the policy's current estimates
 * (dual price of the dollar from the queries routed so far or the warm-start forecast, the bank as
 * the cap, an exploration sub-round at the head of each window), dispatched through its
 * `DispatchCheck`, and learnt from only after the whole round is dispatched. A window never
 * straddles the scenario step, so the event lands on a window boundary.
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
  if (options.planOnTruth && s.scen)
    throw new Error(
      "batch mode: planning on the rows' truth needs the stationary scenario (a price event is not in the rows)",
    );
  const truth = options.planOnTruth ? { setting: options.planOnTruth, means: sourceMeans(data, arms) } : null;
  const rec = new ReplayRecorder(s, options, false);
  const solveMs: number[] = [];
  const level = options.level ?? DEFAULT_ROBUST_LEVEL;
  const z = options.robust ? halfWidthMultiplier(level) : 0;
  // The per-model cost level is learnt here, from the bills, and only here: the cost model keeps
  // its warm-start usage, as the batch-planner app's does. Had it learnt the same bills, the level
  // (realised over the expectation the plan was made with) would multiply an expectation that
  // already holds them (docs/decisions/0041).
  const calibration = new CostCalibration(k);
  // The router that makes each call learns the model's usage from it (RoutingService: costs.observe)
  // and logs its own expected cost with the decision, which the policy's per-prompt usage model
  // learns against. So the expectations the policy learns from here come from a copy of the cost
  // model that learns each call, as the router's does, apart from the planner's (decision 0053).
  const routerCosts = CostModel.fromState(costModel.toState());
  const estimate = windowEstimator(s);
  const routedQueries: PendingQuery[] = [];
  const routed = new EstimatedMix(k);
  // The warm-start file's prompts are the forecast of the period's mix (prompts only, re-estimated
  // each window with what the policy knows then): docs/replay.md, "Batch mode".
  const forecastQueries: PendingQuery[] = strideSample(options.warmStart ?? [], MIX_SAMPLE_MAX).map((r) => ({
    ctx: s.contextOf(r),
    available: arms.filter((a) => r.arms[a] !== undefined),
    kind: promptKind(r.prompt),
  }));
  const forecast = new EstimatedMix(k);
  // A policy that samples its posterior is planned on a draw of it (docs/decisions/0047).
  const draws = plansOnDraws(policy.algorithm) && !options.robust ? new Rng(options.seed ?? 1) : null;
  const correctionOn = recentCorrectionOn(options);
  const recent = correctionOn ? new RecentResiduals() : null;
  recent?.count((options.warmStart ?? []).map((r) => r.prompt));
  // As the batch-planner app: the sub-round's size is settled per window, for its first query.
  const explore = (at: number) =>
    explorationSize(correctionOn, options.explore, () => {
      const ctx = s.contextOf(data[at]);
      return anyUnknownToPolicy(policy, ctx, offered(s, data[at], at).available);
    });
  // Costs per kind of prompt, learnt from the bills, and a probe of each new kind before the
  // rest of its window is planned (docs/decisions/0050).
  const kindsOn = options.kindCosts ?? true;
  const ledger = new KindLedger(k);
  ledger.countWarmStart((options.warmStart ?? []).map((r) => r.prompt));
  /** Per arm: realised over guessed on its recent calls, null before the first (KindLedger.factor). */
  const ratios = () => arms.map((_, j) => calibration.ratio(j));
  /**
   * The window's estimates priced per kind; `base`: each entry's cost before any level;
   * `cheapestPerQuery`: the mean cheapest bill per query before the kinds' prices (the later
   * queries' kinds are not known: WindowPlanInput.laterCheapestUsd).
   */
  const estimateByKind = (queries: readonly PendingQuery[], levels: readonly number[]) => {
    const e = estimate(queries, levels);
    const base = e.cost.map((c, x) => c / levels[x % k]);
    const cheapestPerQuery = cheapestBill(e) / queries.length;
    const kinds = kindsOn ? ledger.kindsOf(queries.map((q) => q.kind)) : null;
    const kindBilled = kinds ? ledger.price(e, base, kinds, ratios()) : undefined;
    return { e, base, kinds, kindBilled, cheapestPerQuery };
  };
  /** Row r as the planner sees it, and the best quality it offers. */
  const pendingAt = (r: number): { query: PendingQuery; oracle: number } => {
    const { available, oracle } = offered(s, data[r], r);
    return { query: { ctx: s.contextOf(data[r]), available, kind: promptKind(data[r].prompt) }, oracle };
  };
  let spent = 0;
  let routedCount = 0;
  /** One round: the rows `idx`, planned together (or sent to `given` arms), dispatched, and learnt from. */
  const runRound = async (idx: readonly number[], exploring: boolean, given?: Int32Array) => {
    const m = idx.length;
    const queries: PendingQuery[] = [];
    const oracles: number[] = [];
    for (const r of idx) {
      const { query, oracle } = pendingAt(r);
      queries.push(query);
      oracles.push(oracle);
    }
    // Calibration levels as the round is planned (the dispatch observes against them).
    const levels = arms.map((_, j) => calibration.level(j));
    const { e: estimates, base, kinds: costKinds, kindBilled, cheapestPerQuery } = estimateByKind(queries, levels);
    const policyQuality = estimates.quality.slice();
    const texts = queries.map((q) => q.ctx.text ?? '');
    const kinds = recent?.kindsOf(texts) ?? [];
    recent?.apply(estimates, arms, kinds);
    if (truth)
      applyPlanOnTruth(
        estimates,
        idx.map((r) => data[r].source),
        truth.means,
        truth.setting,
      );
    const budget: PeriodBudget | null =
      s.budget === null
        ? null
        : { perQueryUsd: s.budget, expectedQueries: n, routedQueries: routedCount, spentUsd: spent };
    if (budget && routedCount + m < n) {
      // Re-estimated with what the policy knows now: estimates frozen at the time of their window
      // would keep the cold start's "every arm is alike" and bias the price down.
      routed.clear();
      routed.add(estimateByKind(strideSample(routedQueries, MIX_SAMPLE_MAX, true), levels).e, z);
      if (forecastQueries.length === 0) routed.add(estimates, z);
      forecast.clear();
      if (forecastQueries.length > 0) forecast.add(estimateByKind(forecastQueries, levels).e, z);
    }
    routedQueries.push(...queries);
    // After the mixes, as the batch-planner app: the price is set on what the policy believes.
    if (draws) drawQualities(estimates, draws);
    const unpulled = neverPulledModels(policy, queries[0].ctx, arms);
    const firstLikeForecast =
      routedCount === 0 &&
      kindsOn &&
      firstWindowLikeForecast(
        ledger,
        queries.map((q) => q.kind),
        forecastQueries.map((f) => f.kind),
      );
    const cheapestLater = costKinds ? recentCheapestBillUsd(arms.map((_, j) => calibration.recentBills(j))) : null;
    const plan = await planWindow({
      estimates,
      budget,
      routed,
      forecast,
      robust: !!options.robust,
      level,
      timeLimitMs: options.timeLimitMs ?? 2000,
      models: arms,
      // As the batch-planner app: neither called in this run nor pulled by the policy. auto counts
      // only its own calls as pulls, so a warm start's first window holds every model (0057),
      // unless its prompts are a mix like the forecast's and the warm start taught the model's
      // usage (0065).
      unpricedArms: calibration
        .unpricedArms()
        .filter((j) => unpulled.includes(j) && !(firstLikeForecast && costModel.learnt(arms[j]))),
      exploration: exploring ? { unpulledArms: unpulled } : undefined,
      assignment: given,
      laterCheapestUsd: costKinds ? Math.max(cheapestPerQuery, cheapestLater ?? 0) : undefined,
    });
    if (!given) solveMs.push(plan.solution.ms);
    const total = budget && periodTotalUsd(budget);
    const dispatch = new DispatchCheck(estimates, plan.assignment, total, spent, plan.reserveUsd, {
      dualPrice: plan.dualPrice,
      spendAllLeft: plan.lastWindow,
      thinEvidence: thinEvidenceFor(
        arms.map((_, j) => calibration.bills(j)),
        budget,
      ),
      kinds: costKinds?.map((c) => c ?? FREE_FORM),
      kindBilled,
    });
    const outcomes: { arm: ArmId; q: number; c: number; expected: number }[] = [];
    for (let i = 0; i < m; i++) {
      const r = idx[i];
      const row = data[r];
      const j = dispatch.armFor(i);
      const arm = arms[j];
      const q = row.arms[arm].reward;
      const c = realisedCost(s, row, arm, r);
      spent += c;
      dispatch.settle(i, j, c);
      calibration.observe(j, c, base[i * k + j]);
      ledger.observe(j, queries[i].kind, c, base[i * k + j]);
      // The per-prompt usage model learns the realised cost against what the router expected of the
      // call when it made it, having learnt the bills before it (decision 0053); without an
      // expectation batch planning would price every prompt at its model's mean cost.
      outcomes.push({ arm, q, c, expected: routerCosts.expectedCost(arm) });
      routerCosts.observe(arm, c);
      rec.record(r, arm, q, c, s.baseLambda, oracles[i]);
      options.onProgress?.(routedCount + i + 1, n);
    }
    recent?.count(texts);
    for (let i = 0; i < m; i++) {
      const o = outcomes[i];
      policy.update(queries[i].ctx, o.arm, { quality: o.q, costUsd: o.c, expectedCostUsd: o.expected });
      recent?.observe(o.arm, kinds[i], policyQuality[i * k + arms.indexOf(o.arm)], o.q);
    }
    routedCount += m;
  };
  /** The window of rows `idx` as the probe sees it: priced per kind on the bills so far. */
  const probeView = (idx: readonly number[]) => {
    const queries = idx.map((r) => pendingAt(r).query);
    const levels = arms.map((_, j) => calibration.level(j));
    const { e, kinds } = estimateByKind(queries, levels);
    return { e, kinds: kinds! };
  };
  /**
   * The probe of the window of rows `idx` (see probeRound), and its single calls of models not
   * billed before (`singleProbeCalls`, what its second stage tops up); null when it has none.
   */
  const probeOf = (idx: readonly number[]) => {
    const { e, kinds } = probeView(idx);
    const priced = arms.map((_, j) => calibration.priced(j));
    const p = probeRound(ledger, e, kinds, s.budget!, (j) => priced[j]);
    if (p.rows.length === 0) return null;
    return {
      rows: p.rows.map((i) => idx[i]),
      arms: Int32Array.from(p.arms),
      single: singleProbeCalls(p, kinds, (j) => priced[j]),
    };
  };
  /** The probe's second stage on the rest of its window, `idx`, once the first stage is billed (see probeTopUp). */
  const topUpOf = (idx: readonly number[], single: readonly SingleProbeCall[]) => {
    const { e, kinds } = probeView(idx);
    const p = probeTopUp(single, e, kinds, s.budget!, { priced: (j) => calibration.priced(j) });
    return p.rows.length === 0 ? null : { rows: p.rows.map((i) => idx[i]), arms: Int32Array.from(p.arms) };
  };
  let t = 0;
  let windowEnd = 0;
  while (t < n) {
    applyEvent(s, t);
    // The routers hear the same price event (model.prices).
    const moved = s.scen && t === s.scen.at ? costModel.price(s.scen.arm) : undefined;
    if (moved) routerCosts.setPrice(moved);
    const newWindow = t >= windowEnd;
    if (newWindow) recent?.nextWindow();
    const round = nextSubRound(s, t, windowEnd, size, explore);
    windowEnd = round.windowEnd;
    const end = round.end;
    let idx = Array.from({ length: end - t }, (_, i) => t + i);
    // As the batch-planner app: a window that is not the period's last, under a budget, with
    // exploration not turned off, probes its new kinds first.
    const probe =
      newWindow && !round.exploring && kindsOn && options.explore !== 0 && s.budget !== null && end < n
        ? probeOf(idx)
        : null;
    if (probe) {
      await runRound(probe.rows, false, probe.arms);
      const taken = new Set(probe.rows);
      idx = idx.filter((r) => !taken.has(r));
      // Its second stage: the models it called once, priced now by their bills (probeTopUp).
      const topUp = probe.single.length > 0 && idx.length > 0 ? topUpOf(idx, probe.single) : null;
      if (topUp) {
        await runRound(topUp.rows, false, topUp.arms);
        const more = new Set(topUp.rows);
        idx = idx.filter((r) => !more.has(r));
      }
    }
    if (idx.length > 0) await runRound(idx, round.exploring);
    t = end;
  }
  return { ...rec.result(), solveMs };
}

/** Default two-sided level of the robust lower bound (docs/decisions/0006-batch-costs-and-robust-level.md). */
export const DEFAULT_ROBUST_LEVEL = 0.3;

/**
 * Sizes of the exploration sub-round and the settings of the residual correction; they live with
 * the window planner, which the batch-planner app shares.
 */
export {
  AUTO_EXPLORE,
  CORRECTED_EXPLORE,
  DEFAULT_EXPLORE,
  parseExploreSetting,
  type ExploreSetting,
  RECENT_CORRECTION_SETTINGS,
  type RecentCorrectionSetting,
} from '@llm-router/batch';

/** Whether the replay corrects the window's estimates by the recent residuals (BatchReplayOptions.recentCorrection). */
export function recentCorrectionOn(options: BatchReplayOptions): boolean {
  return recentCorrectionFor(options.recentCorrection ?? 'auto', (options.warmStart ?? []).length > 0);
}

/** Upper end of the quality scale. */
const QMAX = 1;

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
  // Scenarios move an arm's price or offer at a step neither the bound nor the rows' costs model.
  const scenarioRun = !!options.scenario && options.scenario.name !== 'stationary';
  const { solveMs, ...batch } = await runBatchReplay(rows, { ...options, clock: undefined });
  // The replayed order, a pure function of (rows, order, seed), for the figures per source.
  const ordered = orderRows(rows, batch.order, batch.seed);
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
    sourceBound: options.budget == null || scenarioRun ? null : boundFigures(ordered, options, perQuery.meanQuality),
    bySource:
      scenarioRun || !rows.some((r) => r.source !== undefined)
        ? null
        : sourceBreakdown(ordered, perQuery, batch, options.budget ?? null),
  };
}

/** `ordered`: the rows in the replayed order. */
function boundFigures(ordered: readonly ReplayRow[], options: BatchReplayOptions, perQueryQuality: number) {
  const size = options.batchSize ?? 100;
  const b = sourceBound(ordered, options.budget!, size);
  const best = b.bestScaled;
  const gain = (q: number) => 100 * (q / perQueryQuality - 1);
  return {
    onlineMeanQuality: b.onlineMeanQuality,
    onlineGainPct: gain(b.onlineMeanQuality),
    bestScaledPriceFactor: best.factor,
    bestScaledGainPct: gain(best.meanQuality),
    offlineMeanQuality: b.offlineMeanQuality,
    offlineGainPct: gain(b.offlineMeanQuality),
    windowOfflineMeanQuality: b.windowOfflineMeanQuality,
    windowOfflineGainPct: gain(b.windowOfflineMeanQuality),
  };
}
