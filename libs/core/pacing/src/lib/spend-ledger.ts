import { requireNonNegative } from '@llm-router/numerics';
export type BudgetPeriod = 'day' | 'month';

export interface SpendLedgerOptions {
  /** Budget per period in USD. */
  budgetUsd: number;
  /** Calendar period in UTC (default 'day'). */
  period?: BudgetPeriod;
  /** Past periods kept for reporting (default 3); older ones are forgotten. */
  keepPeriods?: number;
}

interface PeriodTotals {
  /** Period start, ms since epoch (UTC). */
  start: number;
  spentUsd: number;
  queries: number;
}

export interface SpendLedgerState {
  version: 1;
  budgetUsd: number;
  period: BudgetPeriod;
  keepPeriods: number;
  periods: PeriodTotals[];
}

const DAY_MS = 86_400_000;

function toMs(t: Date | number): number {
  const ms = typeof t === 'number' ? t : t.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`invalid time ${String(t)}`);
  return ms;
}

/**
 * Spend against a daily or monthly budget, in UTC calendar periods. Spend is filed under the
 * period of its own timestamp, so a late cost record (feedback and usage arrive late) lands
 * in the period it was incurred in, and a new period starts from a full budget without any
 * reset call. Only per-period totals are kept: memory stays constant however many queries
 * are recorded.
 */
export class SpendLedger {
  readonly budgetUsd: number;
  readonly period: BudgetPeriod;
  private readonly keep: number;
  private readonly periods = new Map<number, PeriodTotals>();

  constructor(opts: SpendLedgerOptions) {
    if (!(Number.isFinite(opts.budgetUsd) && opts.budgetUsd >= 0))
      throw new RangeError(`budgetUsd must be >= 0, got ${opts.budgetUsd}`);
    this.budgetUsd = opts.budgetUsd;
    this.period = opts.period ?? 'day';
    if (this.period !== 'day' && this.period !== 'month')
      throw new RangeError(`period must be 'day' or 'month', got ${String(this.period)}`);
    this.keep = Math.max(1, Math.floor(opts.keepPeriods ?? 3));
  }

  /** Start of the UTC period containing `at`. */
  periodStart(at: Date | number): number {
    const ms = toMs(at);
    if (this.period === 'day') return Math.floor(ms / DAY_MS) * DAY_MS;
    const d = new Date(ms);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }

  /** Start of the next period (exclusive end of this one). */
  periodEnd(at: Date | number): number {
    const start = this.periodStart(at);
    if (this.period === 'day') return start + DAY_MS;
    const d = new Date(start);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }

  /** Files one cost under the period of `at`. `queries` (default 1) feeds the traffic-rate estimate. */
  record(amountUsd: number, at: Date | number, queries = 1): void {
    requireNonNegative('spend', amountUsd);
    const start = this.periodStart(at);
    let p = this.periods.get(start);
    if (!p) {
      p = { start, spentUsd: 0, queries: 0 };
      this.periods.set(start, p);
      this.prune();
    }
    p.spentUsd += amountUsd;
    p.queries += queries;
  }

  spent(now: Date | number): number {
    return this.periods.get(this.periodStart(now))?.spentUsd ?? 0;
  }

  queries(now: Date | number): number {
    return this.periods.get(this.periodStart(now))?.queries ?? 0;
  }

  /** Budget left in the period of `now` (0 once overspent, never negative). */
  remaining(now: Date | number): number {
    return Math.max(0, this.budgetUsd - this.spent(now));
  }

  /**
   * Mean cost per query that spends exactly what is left by the end of the period:
   * remaining / (expectedQueriesPerDay * days left). It rises when traffic is lighter than
   * planned and falls after an expensive stretch, which is how the pacer's target follows
   * the money. At least one more query is assumed, so the last minutes of a period do not
   * divide by ~0; 0 when the budget is gone.
   */
  targetPerQuery(now: Date | number, expectedQueriesPerDay: number): number {
    if (!(Number.isFinite(expectedQueriesPerDay) && expectedQueriesPerDay > 0)) {
      throw new RangeError(`expectedQueriesPerDay must be > 0, got ${expectedQueriesPerDay}`);
    }
    const ms = toMs(now);
    const daysLeft = (this.periodEnd(ms) - ms) / DAY_MS;
    return this.remaining(ms) / Math.max(1, expectedQueriesPerDay * daysLeft);
  }

  /** Queries per day seen so far in this period (0 before the first one). */
  observedQueriesPerDay(now: Date | number): number {
    const ms = toMs(now);
    const elapsedDays = Math.max((ms - this.periodStart(ms)) / DAY_MS, 1 / 24);
    return this.queries(ms) / elapsedDays;
  }

  toState(): SpendLedgerState {
    return {
      version: 1,
      budgetUsd: this.budgetUsd,
      period: this.period,
      keepPeriods: this.keep,
      periods: [...this.periods.values()].sort((a, b) => a.start - b.start).map((p) => ({ ...p })),
    };
  }

  static fromState(s: SpendLedgerState): SpendLedger {
    if (s?.version !== 1)
      throw new Error(`unsupported SpendLedger state version ${(s as { version?: unknown })?.version}`);
    const l = new SpendLedger({ budgetUsd: s.budgetUsd, period: s.period, keepPeriods: s.keepPeriods });
    for (const p of s.periods) l.periods.set(p.start, { ...p });
    l.prune();
    return l;
  }

  private prune(): void {
    if (this.periods.size <= this.keep) return;
    const starts = [...this.periods.keys()].sort((a, b) => b - a);
    for (const s of starts.slice(this.keep)) this.periods.delete(s);
  }
}
