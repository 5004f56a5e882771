import { ArmId, eligibleArms, QualityEstimate } from '@llm-router/bandits';
import {
  DiscountTier,
  EstimatedMix,
  PeriodBudget,
  RecentResiduals,
  SolverChoice,
  WindowEstimates,
  emptyWindowEstimates,
  halfWidthMultiplier,
  periodTotalUsd,
  planWindow,
  thinEvidenceFor,
  anyUnknownToPolicy,
  neverPulledModels,
  plansOnDraws,
  drawQualities,
  promptKind,
  type PromptKind,
  cheapestBill,
  KindLedger,
  firstWindowLikeForecast,
  probeRound,
  probeTopUp,
  type SingleProbeCall,
  singleProbeCalls,
  recentCheapestBillUsd,
  FREE_FORM,
} from '@llm-router/batch';
import { Rng } from '@llm-router/numerics';
import { QueryRequest } from '@llm-router/contracts';
import { SpendLedger } from '@llm-router/pacing';
import { BillTotals } from '@llm-router/pricing';
import { WindowDispatch } from './window-dispatch';
import type { KindBillRow, PromptBillRow } from './spend-store';

/**
 * The parts of a scope's engine a window needs (ScopeEngine from libs/core/engine fits). Narrow on
 * purpose: this module stays pure, and its tests run on real policies without any service.
 */
export interface WindowEngine {
  readonly policy: {
    /** The policy's name: a sampling one is planned on draws (`plansOnDraws`). */
    readonly algorithm: string;
    estimate(ctx: WindowContext, arm: ArmId): QualityEstimate;
    /** A policy that learns token usage per prompt (auto) prices each query on each model from `baseCost`. */
    expectedCost?(ctx: WindowContext, arm: ArmId, baseCost: number): number;
  };
  readonly costs: {
    expectedCost(model: string): number;
    /** Whether the model's usage was learnt from calls (a warm start's included): CostModel.learnt. Absent: none was. */
    learnt?(model: string): boolean;
  };
  features(text: string): Float64Array;
  arms(): string[];
}

/** What the policy estimates a query on: its text and its features. */
export type WindowContext = { features?: ArrayLike<number>; text?: string };

/**
 * Queries whose contexts are computed once: the forecast is re-estimated at every window, and
 * featurising its prompts again each time took half of that (42 of 87 ms for 892 prompts).
 */
export interface ContextualQueries {
  queries: readonly QueryRequest[];
  /** contexts[i] is queries[i]'s (`windowContexts`). */
  contexts: readonly WindowContext[];
  /** promptKinds[i] is queries[i]'s kind of prompt (libs/core/batch `promptKind`). */
  promptKinds: readonly PromptKind[];
}

/** What model.prices says about a model beyond its unit price. */
export interface WindowPriceInfo {
  selfHosted?: boolean;
  concurrency?: number;
  discountTiers?: readonly DiscountTier[];
}

export interface WindowEstimateOptions {
  priceOf(model: string): WindowPriceInfo | undefined;
  /** Two-sided level of the lower confidence bound the robust objective uses. */
  level: number;
  /** Level of the policy's `halfWidth` (QualityEstimate: ~95%). */
  halfWidthLevel?: number;
  /** Factor on a model's expected cost from its bills so far (libs/core/pricing costLevel); default 1. */
  costLevel?: (model: string) => number;
}

/** One window as the planner (libs/core/batch `planWindow`) takes it. */
export interface WindowInput {
  estimates: WindowEstimates;
  /** Column j of the estimates is models[j]. */
  models: string[];
  /** Row i of the estimates is queries[i]. */
  queries: QueryRequest[];
  /** What row i was estimated on. */
  contexts: readonly WindowContext[];
  /** Row i's kind of prompt (libs/core/batch `promptKind`): the kinds its bill prices. */
  promptKinds: readonly PromptKind[];
  /** Per model: a self-hosted model's concurrency (a window is dispatched at once), else Infinity. */
  capacity: number[];
  /** Per model: the cost level its expected costs were multiplied by (`costLevel`, 1 without bills). */
  levels: number[];
  /**
   * Per (query, model) at i * k + j: the expected cost before the level and any kind's factor,
   * what the next level and the kinds' factors are measured against (batch_bills.base_usd).
   */
  base: Float64Array;
  tiers: (DiscountTier[] | null)[];
}

export const POLICY_HALF_WIDTH_LEVEL = 0.95;

/** Same text the router featurises in decide(), so estimates match what per-query routing sees. */
export function queryText(q: QueryRequest): string {
  return q.messages.map((m) => m.content).join('\n');
}

/**
 * The window's estimates from the scope's policy replica (quality mean and half-width per query
 * and model, with the query's features) and cost model (times each model's cost level). A model a
 * query's own maxCostUsd / minQuality excludes is unavailable to it.
 */
export function buildWindowEstimates(
  queries: QueryRequest[],
  engine: WindowEngine,
  opts: WindowEstimateOptions,
  given: Omit<ContextualQueries, 'queries'> = windowContexts(engine, queries),
): WindowInput {
  const { contexts } = given;
  const models = engine.arms();
  const n = queries.length;
  const k = models.length;
  if (k === 0) throw new Error('no model is available (no prices received yet?)');
  const z = halfWidthMultiplier(opts.level, opts.halfWidthLevel ?? POLICY_HALF_WIDTH_LEVEL);
  const e = emptyWindowEstimates(n, k);
  const base: Record<string, number> = {};
  const level: Record<string, number> = {};
  const costs: Record<string, number> = {};
  for (const m of models) {
    base[m] = engine.costs.expectedCost(m);
    level[m] = opts.costLevel?.(m) ?? 1;
    costs[m] = base[m] * level[m];
  }
  // As the batch replay prices them (libs/core/simulation batch.ts): per prompt where the policy
  // learns usage, so that a window is planned on the costs per-query routing decides with.
  const policy = engine.policy;
  const baseOf = policy.expectedCost
    ? (ctx: WindowContext, m: string) => policy.expectedCost!(ctx, m, base[m])
    : (_: WindowContext, m: string) => base[m];
  const baseCost = new Float64Array(n * k);

  for (let i = 0; i < n; i++) {
    const q = queries[i];
    const ctx = contexts[i];
    const est = models.map((m) => clampEstimate(engine.policy.estimate(ctx, m)));
    const c = q.constraints;
    const eligible =
      c.maxCostUsd === undefined && c.minQuality === undefined
        ? null
        : new Set(
            eligibleArms(
              models,
              { lambda: 0, costs, maxCostUsd: c.maxCostUsd, minQuality: c.minQuality },
              (a) => est[models.indexOf(a)].mean,
            ),
          );
    for (let j = 0; j < k; j++) {
      const x = i * k + j;
      const m = models[j];
      baseCost[x] = baseOf(ctx, m);
      e.cost[x] = baseCost[x] * level[m];
      if (eligible && !eligible.has(m)) continue;
      e.available[x] = 1;
      const { mean, halfWidth } = est[j];
      e.quality[x] = mean;
      // Quality lives in [0, 1], so no lower bound needs to go below 0. Capping also gives
      // unseen arms (infinite width) a finite, worst-possible bound of 0.
      e.halfWidth[x] = mean > 0 ? Math.min(halfWidth, mean / z) : 0;
    }
  }

  const capacity: number[] = [];
  const tiers: (DiscountTier[] | null)[] = [];
  for (const m of models) {
    const p = opts.priceOf(m);
    // A window is dispatched at once, so a self-hosted model's concurrency is what it can take per window.
    capacity.push(p?.selfHosted && p.concurrency ? p.concurrency : Infinity);
    tiers.push(p?.discountTiers?.length ? [...p.discountTiers] : null);
  }
  return {
    estimates: e,
    models,
    queries,
    contexts,
    promptKinds: given.promptKinds,
    capacity,
    tiers,
    levels: models.map((m) => level[m]),
    base: baseCost,
  };
}

/** Policies may extrapolate (linear ones) or know nothing; the solver needs finite qualities in [0, 1]. */
function clampEstimate(e: QualityEstimate): { mean: number; halfWidth: number } {
  const mean = Number.isFinite(e.mean) ? Math.min(1, Math.max(0, e.mean)) : 0.5;
  const halfWidth = e.halfWidth >= 0 ? e.halfWidth : Infinity;
  return { mean, halfWidth };
}

export interface AssignWindowOptions extends WindowEstimateOptions {
  /** Where the period's budget stands (`periodBudget`); null = no budget. */
  budget: PeriodBudget | null;
  /**
   * Queries of this scope routed earlier in the period (most recent last, at most ROUTED_MIX_MAX),
   * with their contexts: the picture of the mix for the dual price (RoutedMix).
   */
  routed: ContextualQueries;
  /**
   * The period's expected mix (the warm-start file's prompts), re-estimated each window as the
   * batch replay does: the dual price then holds against the whole mix rather than the kinds of
   * query seen so far (libs/core/batch dualPriceOfDollar). Empty = none.
   */
  forecast?: ContextualQueries;
  robust: boolean;
  solver?: SolverChoice;
  timeLimitMs?: number;
  /**
   * Whether a bill of the model came back this period. A model with none that the policy has never
   * pulled either (so its usage is unlearnt too) has only the price list's guess for a cost, and a
   * window gives it one call (planWindow's `unpricedArms`). auto counts only its own calls as pulls:
   * a warm-started auto's first window gives every model one call until its first bill, which
   * measured better than trusting the warm start's usage (docs/decisions/0057), unless the window's
   * prompts are a mix like the forecast's and the warm start taught the model's usage (0065). Default: every
   * model priced.
   */
  billed?: (model: string) => boolean;
  /**
   * Per model, the billed calls its cost level rests on: a dear call (DEAR_CALL_TARGETS per-query
   * targets) of a model with few must fit the budget at COST_SURPRISE times its cost (libs/core/batch
   * DispatchOptions.thinEvidence). Absent = every model's level is proven.
   */
  billedCalls?: (model: string) => number;
  /** Parts a window that could overspend is dispatched in (WindowDispatch); default 1. */
  maxParts?: number;
  /** Times more parts for the period's last window (WindowDispatchOptions.lastWindowSplit). */
  lastWindowSplit?: number;
  /**
   * The scope's recent residuals (`WindowResiduals`): the window's estimates are corrected by
   * them before it is planned, as the batch replay corrects them with a warm start. Absent = off.
   */
  residuals?: RecentResiduals;
  /**
   * Plan the window as an exploration sub-round (libs/core/batch planWindow's `exploration`):
   * optimistic estimates, and the models the policy has never pulled sampled round-robin.
   */
  explore?: boolean;
  /**
   * Draws for a policy that samples its posterior (`plansOnDraws`): the window is planned on one
   * draw of each estimate, as the batch replay plans it (docs/decisions/0047). Absent = means.
   */
  draws?: Rng;
  /** Price the window, its routed mix and its forecast per kind of prompt (BATCH_KIND_COSTS); absent = off. */
  kindCosts?: KindCostInput;
  /** Per query, the model column it goes to (a probe, `windowProbe`): no solve. Absent = planned. */
  given?: Int32Array;
}

/** What a window is priced per kind of prompt on, from the period's bills (libs/core/batch KindLedger, docs/decisions/0050). */
export interface KindCostInput {
  /** The period's bills per model and kind of prompt, for the kinds of the prompts priced (SpendStore.kindBills). */
  bills: readonly KindBillRow[];
  /** The period's bills per model and prompt, for the prompts priced (SpendStore.promptBills); absent = none. */
  promptBills?: readonly PromptBillRow[];
  /**
   * The warm-start file's prompts per kind key (libs/core/batch `kindCounts`, counted once per
   * process): kinds the usage model was fitted on keep its price.
   */
  warmStart: ReadonlyMap<string, number>;
  /** Per model, its recent bills (SpendStore.recentBills): realised over base cost, and its mean bill. */
  recent: Readonly<Record<string, { realisedUsd: number; baseUsd: number; calls: number }>>;
}

/** The period's bills per kind of prompt over a window's models, as the batch replay keeps them. */
class WindowKinds {
  readonly ledger: KindLedger;
  /** Per model column: realised over base cost on its recent bills, null before any. */
  private readonly ratios: (number | null)[];

  constructor(
    private readonly models: readonly string[],
    private readonly input: KindCostInput,
  ) {
    this.ledger = new KindLedger(models.length);
    this.ledger.addWarmCounts(input.warmStart);
    for (const b of input.bills) {
      const j = models.indexOf(b.model);
      if (j >= 0) this.ledger.addKind(j, b.kind, b);
    }
    for (const b of input.promptBills ?? []) {
      const j = models.indexOf(b.model);
      if (j >= 0) this.ledger.addPrompt(j, b.prompt, b);
    }
    this.ratios = models.map((m) => {
      const r = input.recent[m];
      return r && r.calls > 0 && r.baseUsd > 0 ? r.realisedUsd / r.baseUsd : null;
    });
  }

  /** Prices `wi` per kind in place; its kinds (null: free text) and which entries' models were billed on them. */
  price(wi: WindowInput): { kinds: (string | null)[]; billed: Uint8Array } {
    const kinds = this.ledger.kindsOf(wi.promptKinds);
    return { kinds, billed: this.ledger.price(wi.estimates, wi.base, kinds, this.ratios) };
  }

  /** The cheapest recent mean bill of a model billed often enough (recentCheapestBillUsd). */
  recentCheapestUsd(): number | null {
    return recentCheapestBillUsd(this.models.map((m) => this.input.recent[m] ?? { realisedUsd: 0, calls: 0 }));
  }
}

/**
 * Plans a window with libs/core/batch's window planner (the same code as the batch replay): the
 * app supplies the estimates, costs and the period's budget; the planner decides the dual price
 * and the assignment, and the returned WindowDispatch sends it through the replay's dispatch
 * check, part by part, with the bills of each part before the next.
 */
export async function planWindowDispatch(
  queries: QueryRequest[],
  engine: WindowEngine,
  opts: AssignWindowOptions,
): Promise<WindowDispatch> {
  const wi = buildWindowEstimates(queries, engine, opts);
  const byKind = opts.kindCosts && new WindowKinds(wi.models, opts.kindCosts);
  // The later queries' kinds are not known: their reserve is not priced per kind (WindowPlanInput.laterCheapestUsd).
  const laterCheapestUsd = byKind
    ? Math.max(cheapestBill(wi.estimates) / wi.queries.length, byKind.recentCheapestUsd() ?? 0)
    : undefined;
  const costKinds = byKind?.price(wi);
  // The residuals are measured against the policy's own estimates, not the corrected ones.
  const residuals = opts.residuals;
  const policyQuality = residuals && wi.estimates.quality.slice();
  const kinds = residuals?.kindsOf(wi.contexts.map((c) => c.text ?? ''));
  if (residuals && kinds) residuals.apply(wi.estimates, wi.models, kinds);
  const z = opts.robust ? halfWidthMultiplier(opts.level, opts.halfWidthLevel ?? POLICY_HALF_WIDTH_LEVEL) : 0;
  const routed = new EstimatedMix(wi.models.length);
  const forecast = new EstimatedMix(wi.models.length);
  if (opts.budget) {
    const f = opts.forecast;
    const mix = (qs: QueryRequest[], given?: ContextualQueries) => {
      const m = buildWindowEstimates(qs, engine, opts, given);
      byKind?.price(m);
      return m.estimates;
    };
    routed.add(mix([...opts.routed.queries], opts.routed), z);
    // Without a forecast, this window is the picture of what is to come too.
    if (!f || f.queries.length === 0) routed.add(wi.estimates, z);
    else forecast.add(mix([...f.queries], f), z);
  }
  // A period's first window like the warm-start file's mix is not held (docs/decisions/0065).
  const firstLikeForecast =
    !!byKind &&
    opts.budget?.routedQueries === 0 &&
    !!opts.forecast &&
    firstWindowLikeForecast(byKind.ledger, wi.promptKinds, opts.forecast.promptKinds);
  // After the mixes: the price of a dollar is set on what the policy believes, not on a draw.
  if (opts.draws && !opts.robust && plansOnDraws(engine.policy.algorithm))
    drawQualities(wi.estimates, opts.draws, opts.halfWidthLevel ?? POLICY_HALF_WIDTH_LEVEL);
  const plan = await planWindow({
    estimates: wi.estimates,
    budget: opts.budget,
    routed,
    forecast,
    robust: opts.robust,
    level: opts.level,
    halfWidthLevel: opts.halfWidthLevel ?? POLICY_HALF_WIDTH_LEVEL,
    solver: opts.solver,
    timeLimitMs: opts.timeLimitMs,
    capacity: wi.capacity,
    tiers: wi.tiers,
    models: wi.models,
    unpricedArms: opts.billed && unpricedModels(wi, engine, opts.billed, firstLikeForecast),
    exploration: opts.explore
      ? { unpulledArms: neverPulledModels(engine.policy, wi.contexts[0], wi.models) }
      : undefined,
    assignment: opts.given,
    laterCheapestUsd,
  });
  const b = opts.budget;
  const billedCalls = opts.billedCalls;
  return new WindowDispatch(plan, wi, {
    periodTotalUsd: b && periodTotalUsd(b),
    spentUsd: b?.spentUsd ?? 0,
    maxParts: opts.maxParts ?? 1,
    lastWindowSplit: opts.lastWindowSplit,
    policyQuality,
    kinds,
    costKinds: costKinds && { kinds: costKinds.kinds.map((c) => c ?? FREE_FORM), billed: costKinds.billed },
    thinEvidence:
      billedCalls &&
      thinEvidenceFor(
        wi.models.map((m) => billedCalls(m)),
        b,
      ),
  });
}

/**
 * The probe of a window (libs/core/batch `probeRound`): rows of the window, and the model column
 * each goes to, for its kinds of prompt no earlier prompt has shown; the planner sends them and
 * learns from them before it plans the rest, as the batch replay does (docs/decisions/0050).
 */
export function windowProbe(
  queries: QueryRequest[],
  engine: WindowEngine,
  opts: ProbeInput,
): { rows: number[]; arms: number[]; single: SingleProbeCall[] } {
  const { wi, ledger, kinds, priced } = probeView(queries, engine, opts);
  const probe = probeRound(ledger, wi.estimates, kinds, opts.perQueryUsd, priced);
  return { ...probe, single: singleProbeCalls(probe, kinds, priced) };
}

/**
 * The second stage of a window's probe (libs/core/batch `probeTopUp`): rows of the rest of the
 * window, `queries`, priced on the first stage's bills, and the model column each goes to, for the
 * models the first stage called once (`single`, from `windowProbe`); the planner sends them and
 * learns from them before it plans the rest, as the batch replay does (docs/decisions/0056).
 */
export function windowProbeTopUp(
  queries: QueryRequest[],
  engine: WindowEngine,
  opts: ProbeInput,
  single: readonly SingleProbeCall[],
): { rows: number[]; arms: number[] } {
  const { wi, kinds, priced } = probeView(queries, engine, opts);
  return probeTopUp(single, wi.estimates, kinds, opts.perQueryUsd, { priced });
}

/**
 * What a window's probe is priced on: the estimates' options, the period's bills per kind, the
 * per-query target, and which models have a bill this period.
 */
export type ProbeInput = WindowEstimateOptions & {
  kindCosts: KindCostInput;
  perQueryUsd: number;
  billed: (model: string) => boolean;
};

/** The window as either stage of its probe sees it: priced per kind on the period's bills. */
function probeView(queries: QueryRequest[], engine: WindowEngine, opts: ProbeInput) {
  const wi = buildWindowEstimates(queries, engine, opts);
  const byKind = new WindowKinds(wi.models, opts.kindCosts);
  const { kinds } = byKind.price(wi);
  return { wi, ledger: byKind.ledger, kinds, priced: (j: number) => opts.billed(wi.models[j]) };
}

/**
 * Columns of the models neither billed nor ever pulled by the policy (AssignWindowOptions.billed);
 * in a period's first window like its forecast (`firstWindowLikeForecast`), only those whose usage
 * the warm start did not teach either (docs/decisions/0065).
 */
function unpricedModels(
  wi: WindowInput,
  engine: WindowEngine,
  billed: (model: string) => boolean,
  firstLikeForecast: boolean,
): number[] {
  return neverPulledModels(engine.policy, wi.contexts[0], wi.models).filter(
    (j) => !billed(wi.models[j]) && !(firstLikeForecast && (engine.costs.learnt?.(wi.models[j]) ?? false)),
  );
}

/**
 * Whether the scope has a model the policy knows nothing of, as it estimates them for the window's
 * first query `first`: the default BATCH_EXPLORE (`unknown`) heads such a window with the
 * exploration sub-round (which samples only the models that query offers).
 */
export function offersUnknownModel(engine: WindowEngine, first: QueryRequest): boolean {
  const ctx = windowContexts(engine, [first]).contexts[0];
  return anyUnknownToPolicy(engine.policy, ctx, engine.arms());
}

/** The queries with their contexts, as the policy estimates them. */
export function windowContexts(
  engine: Pick<WindowEngine, 'features'>,
  queries: readonly QueryRequest[],
): ContextualQueries {
  const texts = queries.map(queryText);
  let kinds: PromptKind[] | undefined;
  return {
    queries,
    contexts: texts.map((text) => ({ features: engine.features(text), text })),
    // Taken at first use: only a window's own rows and the kinds' prices need them, and the
    // forecast, kept across windows, takes them once.
    get promptKinds() {
      return (kinds ??= texts.map(promptKind));
    },
  };
}

/** Earlier queries of a scope re-estimated for the dual price of each window. */
export const ROUTED_MIX_MAX = 1000;

/** No queries: a period that has routed none yet. */
export const NO_QUERIES: ContextualQueries = Object.freeze({ queries: [], contexts: [], promptKinds: [] });

export type BudgetPeriodName = 'daily' | 'monthly';

export const BATCH_PACE_BY = ['time', 'queries'] as const;
export type BatchPaceBy = (typeof BATCH_PACE_BY)[number];

export interface PeriodBudgetInput {
  /** Budget of the period; undefined/null = none. */
  periodBudgetUsd?: number | null;
  period: BudgetPeriodName;
  /** What the spend ledger holds for this scope and period (reconciled with the bills). */
  spentUsd: number;
  /** Queries the ledger has counted this period. */
  queries: number;
  /** Batch queries expected over a whole period. */
  expectedQueriesPerPeriod: number;
  /**
   * How the rest of the period is foreseen: `time` expects the period's queries spread evenly over
   * its time (the default, for a stream), `queries` expects exactly `expectedQueriesPerPeriod` in
   * all, whenever they come (a job of known size, such as a dataset to route under a budget).
   */
  paceBy?: BatchPaceBy;
  windowSize: number;
  now: number;
}

export interface PeriodBudgetState {
  /** For the planner; null when there is no budget. */
  budget: PeriodBudget | null;
  /** Left of the period before this window. */
  remainingUsd: number | null;
  /** spend_ledger period key: `2026-11-25` (daily) or `2026-11` (monthly), UTC. */
  periodKey: string;
}

export function ledgerPeriod(period: BudgetPeriodName): 'day' | 'month' {
  return period === 'monthly' ? 'month' : 'day';
}

/**
 * What the period has spent: the ledger holds each window's expected bill when it was planned;
 * for the decisions whose bill is already known (rewarded), the difference between what they
 * cost and what was expected of them is added. A model that uses more tokens than its price
 * table assumes then shrinks the next windows' budget instead of overspending unseen. Never
 * below zero.
 */
export function reconciledSpend(ledgerUsd: number, billed: Readonly<Record<string, BillTotals>>): number {
  return Math.max(0, ledgerUsd + billingError(billed));
}

/** Realised minus expected cost over every model's billed calls. */
export function billingError(billed: Readonly<Record<string, BillTotals>>): number {
  let e = 0;
  for (const b of Object.values(billed)) e += b.realisedUsd - b.expectedUsd;
  return e;
}

export function periodKey(period: BudgetPeriodName, now: number): string {
  const iso = new Date(now).toISOString();
  return period === 'monthly' ? iso.slice(0, 7) : iso.slice(0, 10);
}

/**
 * Where the period stands for the planner: the queries still expected are those of the rest of
 * the period at the expected rate, or those of the expected count not yet routed (`paceBy`), and at
 * least this window, so the period counts the queries routed
 * so far plus those; its budget per query is the period's budget over that count. The planner
 * then gives the window what is left minus a reserve for the later queries' cheapest models, at a
 * dual price of the dollar (libs/core/batch `planWindow`); a window at least as large as the
 * expected rest is the period's last and may spend all that is left.
 */
export function periodBudget(b: PeriodBudgetInput): PeriodBudgetState {
  const key = periodKey(b.period, b.now);
  if (b.periodBudgetUsd == null) return { budget: null, remainingUsd: null, periodKey: key };
  const ledger = new SpendLedger({ budgetUsd: b.periodBudgetUsd, period: ledgerPeriod(b.period) });
  ledger.record(Math.max(0, b.spentUsd), b.now, b.queries);
  const days = (ledger.periodEnd(b.now) - ledger.periodStart(b.now)) / 86_400_000;
  const daysLeft = (ledger.periodEnd(b.now) - b.now) / 86_400_000;
  const rest =
    b.paceBy === 'queries' ? b.expectedQueriesPerPeriod - b.queries : (b.expectedQueriesPerPeriod / days) * daysLeft;
  const stillExpected = Math.max(b.windowSize, rest);
  const expectedQueries = b.queries + stillExpected;
  return {
    budget: {
      perQueryUsd: b.periodBudgetUsd / expectedQueries,
      expectedQueries,
      routedQueries: b.queries,
      spentUsd: Math.max(0, b.spentUsd),
    },
    remainingUsd: ledger.remaining(b.now),
    periodKey: key,
  };
}
