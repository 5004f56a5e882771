import { ArmId, eligibleArms, QualityEstimate } from '@llm-router/bandits';
import { BatchObjective, BatchProblem, BatchSolution, DiscountTier, halfWidthMultiplier } from '@llm-router/batch';
import { QueryRequest } from '@llm-router/contracts';
import { SpendLedger } from '@llm-router/pacing';
import { BillTotals } from '@llm-router/pricing';

/**
 * The parts of a scope's engine a window needs (ScopeEngine from libs/core/engine fits). Narrow on
 * purpose: this module stays pure, and its tests run on real policies without any service.
 */
export interface WindowEngine {
  readonly policy: { estimate(ctx: { features?: ArrayLike<number>; text?: string }, arm: ArmId): QualityEstimate };
  readonly costs: { expectedCost(model: string): number };
  features(text: string): Float64Array;
  arms(): string[];
}

/** What model.prices says about a model beyond its unit price. */
export interface WindowPriceInfo {
  selfHosted?: boolean;
  concurrency?: number;
  discountTiers?: readonly DiscountTier[];
}

export interface WindowProblemOptions {
  priceOf(model: string): WindowPriceInfo | undefined;
  /** USD the window may spend; null = unbinding. */
  budgetUsd: number | null;
  /** Two-sided level of the lower confidence bound the robust objective uses. */
  level: number;
  /** Level of the policy's `halfWidth` (QualityEstimate: ~95%). */
  halfWidthLevel?: number;
  /** Factor on a model's expected cost from its bills so far (libs/core/pricing costLevel); default 1. */
  costLevel?: (model: string) => number;
}

export interface WindowProblem {
  problem: BatchProblem;
  /** Column j of the problem is models[j]. */
  models: string[];
  /** Row i of the problem is queries[i]. */
  queries: QueryRequest[];
}

/**
 * A quality no eligible model can score below (eligible scores are kept >= 0): models a
 * query's own constraints exclude get it, so the solver takes them only when the budget
 * leaves no other choice.
 */
export const INELIGIBLE_QUALITY = -1;

export const POLICY_HALF_WIDTH_LEVEL = 0.95;

/** Same text the router featurises in decide(), so estimates match what per-query routing sees. */
export function queryText(q: QueryRequest): string {
  return q.messages.map((m) => m.content).join('\n');
}

export function buildWindowProblem(
  queries: QueryRequest[],
  engine: WindowEngine,
  opts: WindowProblemOptions,
): WindowProblem {
  const models = engine.arms();
  const n = queries.length;
  const k = models.length;
  if (k === 0) throw new Error('no model is available (no prices received yet?)');
  const z = halfWidthMultiplier(opts.level, opts.halfWidthLevel ?? POLICY_HALF_WIDTH_LEVEL);
  const quality = new Float64Array(n * k);
  const halfWidth = new Float64Array(n * k);
  const cost = new Float64Array(n * k);
  const costs: Record<string, number> = {};
  for (const m of models) costs[m] = engine.costs.expectedCost(m) * (opts.costLevel?.(m) ?? 1);

  for (let i = 0; i < n; i++) {
    const q = queries[i];
    const text = queryText(q);
    const ctx = { features: engine.features(text), text };
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
      cost[x] = costs[m];
      if (eligible && !eligible.has(m)) {
        quality[x] = INELIGIBLE_QUALITY;
        halfWidth[x] = 0;
        continue;
      }
      const e = est[j];
      quality[x] = e.mean;
      // Quality lives in [0, 1], so no lower bound needs to go below 0. Capping also gives
      // unseen arms (infinite width) a finite, worst-possible bound of 0 instead of the
      // solver's "rank last" penalty, which would rank them below ineligible models.
      halfWidth[x] = e.mean > 0 ? Math.min(e.halfWidth, e.mean / z) : 0;
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
    problem: { n, k, quality, halfWidth, cost, budget: opts.budgetUsd, capacity, tiers, models },
    models,
    queries,
  };
}

/** Policies may extrapolate (linear ones) or know nothing; the solver needs finite qualities in [0, 1]. */
function clampEstimate(e: QualityEstimate): { mean: number; halfWidth: number } {
  const mean = Number.isFinite(e.mean) ? Math.min(1, Math.max(0, e.mean)) : 0.5;
  const halfWidth = e.halfWidth >= 0 ? e.halfWidth : Infinity;
  return { mean, halfWidth };
}

export interface WindowAssignment {
  query: QueryRequest;
  model: string;
  /** This query's share of the window's expected bill (its model's cost, discounts spread pro rata). */
  expectedUsd: number;
}

export interface WindowPlan {
  assignments: WindowAssignment[];
  /** Queries the capacities could not hold: they wait for the next window. */
  deferred: QueryRequest[];
  /** Expected bill of the assignments, discounts applied. */
  expectedCostUsd: number;
}

export function planFromSolution(wp: WindowProblem, s: BatchSolution): WindowPlan {
  if (s.assignment.length !== wp.queries.length)
    throw new Error(`solution has ${s.assignment.length} entries for ${wp.queries.length} queries`);
  const assignments: WindowAssignment[] = [];
  const deferred: QueryRequest[] = [];
  const { k, cost } = wp.problem;
  let listTotal = 0;
  wp.queries.forEach((query, i) => {
    const j = s.assignment[i];
    if (j < 0) deferred.push(query);
    else {
      assignments.push({ query, model: wp.models[j], expectedUsd: cost[i * k + j] });
      listTotal += cost[i * k + j];
    }
  });
  // Volume discounts price the window, not a query: each query carries its share of the bill.
  const share = listTotal > 0 ? s.totalCost / listTotal : 0;
  for (const a of assignments) a.expectedUsd *= share;
  return { assignments, deferred, expectedCostUsd: s.totalCost };
}

export function objectiveFor(robust: boolean): BatchObjective {
  return robust ? 'lcb' : 'mean';
}

export type BudgetPeriodName = 'daily' | 'monthly';

export interface WindowBudgetInput {
  /** Budget of the period; undefined/null = none. */
  periodBudgetUsd?: number | null;
  period: BudgetPeriodName;
  /** What the spend ledger holds for this scope and period. */
  spentUsd: number;
  queries: number;
  /** Batch queries expected over a whole period. */
  expectedQueriesPerPeriod: number;
  windowSize: number;
  now: number;
}

export interface WindowBudget {
  /** USD this window may spend; null when there is no budget. */
  windowUsd: number | null;
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
 * The window's share of what is left: the pacer's per-query target (remaining spread over
 * the queries still expected this period) times the window's size, never more than what is
 * left, so a window larger than the expected traffic cannot overdraw the period.
 */
export function windowBudget(b: WindowBudgetInput): WindowBudget {
  const key = periodKey(b.period, b.now);
  if (b.periodBudgetUsd == null) return { windowUsd: null, remainingUsd: null, periodKey: key };
  const ledger = new SpendLedger({ budgetUsd: b.periodBudgetUsd, period: ledgerPeriod(b.period) });
  ledger.record(Math.max(0, b.spentUsd), b.now, b.queries);
  const days = (ledger.periodEnd(b.now) - ledger.periodStart(b.now)) / 86_400_000;
  const perQuery = ledger.targetPerQuery(b.now, b.expectedQueriesPerPeriod / days);
  const remaining = ledger.remaining(b.now);
  return { windowUsd: Math.min(remaining, perQuery * b.windowSize), remainingUsd: remaining, periodKey: key };
}
