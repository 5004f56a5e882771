import { requirePositive } from '@llm-router/numerics';
import { BudgetPeriod, SpendLedger, SpendLedgerState } from './spend-ledger';

/**
 * The fleet's side of pacing, run by the reward aggregator that owns a scope: it files the
 * realised cost of every answered decision of every router in a daily or monthly ledger, and
 * turns what is left of the period into the per-query budget that routers pace against.
 *
 * Routers pace their own decisions with no delay (QueryPacer); this loop is the slow, outer
 * one, so it is damped: the published budget moves by at most `maxStep` (relative) per
 * update, never jumps, and a late snapshot costs little. It never exceeds the configured
 * per-query target, so a period budget can only tighten pacing.
 */
export interface FleetBudgetOptions {
  /** Per-query target in USD (BUDGET_PER_QUERY_USD); null = none. */
  perQueryUsd?: number | null;
  /** Budget per period in USD (BUDGET_USD); null = none. */
  periodBudgetUsd?: number | null;
  period?: BudgetPeriod;
  /** Queries per day assumed until traffic has been seen for an hour (default 10,000). */
  expectedQueriesPerDay?: number;
  /** Largest relative change of the published budget per update (default 0.2). */
  maxStep?: number;
}

export interface FleetBudgetState {
  version: 1;
  published: number | null;
  ledger: SpendLedgerState | null;
}

/** A per-query budget is never published as 0: a spent period still routes, to the cheapest model. */
export const MIN_PER_QUERY_USD = 1e-9;

export class FleetBudget {
  private readonly perQuery: number | null;
  private readonly ledger: SpendLedger | null;
  private readonly expectedPerDay: number;
  private readonly maxStep: number;
  private published: number | null = null;

  constructor(opts: FleetBudgetOptions) {
    this.perQuery = optionalPositive('perQueryUsd', opts.perQueryUsd);
    const periodBudget = optionalPositive('periodBudgetUsd', opts.periodBudgetUsd);
    this.ledger = periodBudget === null ? null : new SpendLedger({ budgetUsd: periodBudget, period: opts.period });
    this.expectedPerDay = optionalPositive('expectedQueriesPerDay', opts.expectedQueriesPerDay) ?? 10_000;
    const step = opts.maxStep ?? 0.2;
    if (!(step > 0 && step < 1)) throw new RangeError(`maxStep must be in (0, 1), got ${step}`);
    this.maxStep = step;
  }

  /** Whether there is anything to pace against. */
  get binding(): boolean {
    return this.perQuery !== null || this.ledger !== null;
  }

  /**
   * One answered decision's realised cost, filed under the period it was incurred in; a cost
   * that answered no query (an LLM judge's call) is filed with `queries` 0, so that it spends
   * the budget without counting as traffic.
   */
  record(realisedUsd: number, at: Date | number, queries = 1): void {
    this.ledger?.record(realisedUsd, at, queries);
  }

  /** Spent in the period of `now` (0 without a period budget). */
  spent(now: Date | number): number {
    return this.ledger?.spent(now) ?? 0;
  }

  /** Left in the period of `now` (null without a period budget). */
  remaining(now: Date | number): number | null {
    return this.ledger ? this.ledger.remaining(now) : null;
  }

  /**
   * The per-query budget routers should pace against now, damped against the last one
   * published; null when nothing binds. Call it when publishing a snapshot.
   */
  update(now: Date | number): number | null {
    const goal = this.goal(now);
    if (goal === null) return (this.published = null);
    if (this.published === null) return (this.published = goal);
    const lo = this.published * (1 - this.maxStep);
    const hi = this.published * (1 + this.maxStep);
    this.published = Math.max(MIN_PER_QUERY_USD, Math.min(hi, Math.max(lo, goal)));
    return this.published;
  }

  toState(): FleetBudgetState {
    return { version: 1, published: this.published, ledger: this.ledger?.toState() ?? null };
  }

  /** Restores the ledger's periods and the last published budget into a budget built from the current options. */
  restore(s: FleetBudgetState | null | undefined): void {
    if (!s) return;
    if (s.version !== 1)
      throw new Error(`unsupported FleetBudget state version ${(s as { version?: unknown }).version}`);
    // The spend is replayed into a ledger built from today's options: a changed budget applies at once.
    if (this.ledger && s.ledger) for (const p of s.ledger.periods) this.ledger.record(p.spentUsd, p.start, p.queries);
    this.published = s.published !== null && s.published > 0 ? s.published : null;
  }

  private goal(now: Date | number): number | null {
    let goal = this.perQuery;
    if (this.ledger) {
      const seen = this.ledger.observedQueriesPerDay(now);
      // Until an hour of traffic has been seen the rate estimate is noise; use the assumption.
      const elapsedH = (toMs(now) - this.ledger.periodStart(now)) / 3_600_000;
      const perDay = elapsedH >= 1 && seen > 0 ? seen : this.expectedPerDay;
      const share = Math.max(MIN_PER_QUERY_USD, this.ledger.targetPerQuery(now, perDay));
      goal = goal === null ? share : Math.min(goal, share);
    }
    return goal;
  }
}

function toMs(t: Date | number): number {
  return typeof t === 'number' ? t : t.getTime();
}

function optionalPositive(name: string, x: number | null | undefined): number | null {
  if (x === null || x === undefined) return null;
  return requirePositive(name, x);
}
