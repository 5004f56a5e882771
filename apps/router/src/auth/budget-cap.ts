import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ownValue } from '@llm-router/contracts';
import { APP_CONFIG } from '@llm-router/service';
import type { RouterConfig } from '../config';
import { ACCESS_DB, AccessDb, inTransaction } from './database';

/** The key side of a reservation: whose caps apply besides the scope's. */
export interface BudgetKey {
  keyHash: string;
  budgetDayUsd?: number;
  budgetMonthUsd?: number;
}

export type Reservation = { ok: true; id: string | null } | { ok: false; reason: string };

interface Counter {
  subject: string;
  period: string;
  capUsd: number;
  label: string;
}

const counterKey = (c: Counter) => `${c.subject}\u0000${c.period}`;

/** Budget periods in UTC: `d:2026-11-25` and `m:2026-11`. */
export const budgetPeriods = (now = new Date()) => {
  const iso = now.toISOString();
  return { day: `d:${iso.slice(0, 10)}`, month: `m:${iso.slice(0, 7)}` };
};

/**
 * Hard budget caps per scope and per key, per UTC day and month, shared by every router
 * through PostgreSQL. Before a call, reserve() books its worst-case cost on every counter
 * that has a cap, in one transaction that locks them in a fixed order and books only where
 * spent + reserved + amount <= cap; if any counter would pass its cap nothing is booked and
 * the call is refused. After the call, settle() releases the reservation and adds the
 * realised cost. A reservation never settled (its router died) is released after
 * BUDGET_RESERVATION_TTL_S by release(). The HTTP front door uses it; the Kafka path can call
 * the same two methods.
 */
@Injectable()
export class BudgetCap {
  /** Counter rows (subject, period) this router has created or seen: they are never deleted while their period runs. */
  private readonly knownCounters = new Set<string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: Pick<RouterConfig, 'SCOPE_BUDGETS' | 'BUDGET_RESERVATION_TTL_S'>,
    @Inject(ACCESS_DB) private readonly db: AccessDb,
  ) {}

  private counters(scope: string, key: BudgetKey | undefined, now: Date): Counter[] {
    const { day, month } = budgetPeriods(now);
    const s = ownValue(this.config.SCOPE_BUDGETS, scope) ?? {};
    const out: Counter[] = [];
    const add = (subject: string, period: string, cap: number | undefined, label: string) => {
      if (cap !== undefined) out.push({ subject, period, capUsd: cap, label });
    };
    add(`scope:${scope}`, day, s.dayUsd, `daily budget of scope ${scope}`);
    add(`scope:${scope}`, month, s.monthUsd, `monthly budget of scope ${scope}`);
    if (key) {
      add(`key:${key.keyHash}`, day, key.budgetDayUsd, 'daily budget of this API key');
      add(`key:${key.keyHash}`, month, key.budgetMonthUsd, 'monthly budget of this API key');
    }
    // One lock order for every transaction: two reservations never wait on each other in a cycle.
    return out.sort((a, b) => (a.subject + a.period < b.subject + b.period ? -1 : 1));
  }

  /**
   * Books amountUsd on every capped counter of the scope and key; id null when nothing is
   * capped. One statement (docs/decisions/0025): it locks the counters in the fixed order,
   * books on all of them and records the reservation only if every one has room, so the
   * counters are locked for one round trip, not for a transaction of several.
   */
  async reserve(scope: string, key: BudgetKey | undefined, amountUsd: number, now = new Date()): Promise<Reservation> {
    const counters = this.counters(scope, key, now);
    if (counters.length === 0) return { ok: true, id: null };
    await this.ensureCounters(counters);
    const booked = await this.book(counters, amountUsd);
    if (booked !== 'missing') return booked;
    // A counter row was deleted since this router created it (an operator reset): create it again.
    for (const c of counters) this.knownCounters.delete(counterKey(c));
    await this.ensureCounters(counters);
    const retried = await this.book(counters, amountUsd);
    if (retried === 'missing') throw new Error('budget counters disappeared while reserving; try again');
    return retried;
  }

  /** The reservation statement; 'missing' when a counter row is gone (nothing was booked then). */
  private async book(counters: Counter[], amountUsd: number): Promise<Reservation | 'missing'> {
    const subjects = counters.map((c) => c.subject);
    const periods = counters.map((c) => c.period);
    const id = randomUUID();
    const { rows } = await this.db.query<{ short: number | null; found: number }>(
      `WITH wanted AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::float8[]) WITH ORDINALITY AS t(subject, period, cap, n)),
       locked AS (
         SELECT b.subject, b.period, b.spent_usd, b.reserved_usd, w.cap, w.n
           FROM budget_counters b JOIN wanted w ON b.subject = w.subject AND b.period = w.period
          ORDER BY w.n FOR UPDATE OF b),
       short AS (SELECT min(n) AS n FROM locked WHERE spent_usd + reserved_usd + $4 > cap),
       ok AS (SELECT (SELECT n FROM short) IS NULL AND (SELECT count(*) FROM locked) = $6 AS ok),
       booked AS (
         UPDATE budget_counters b SET reserved_usd = b.reserved_usd + $4 FROM locked l
          WHERE b.subject = l.subject AND b.period = l.period AND (SELECT ok FROM ok)),
       reservation AS (
         INSERT INTO budget_reservations (id, subjects, periods, amount_usd)
         SELECT $5, $1, $2, $4 WHERE (SELECT ok FROM ok))
       SELECT (SELECT n FROM short)::int AS short, (SELECT count(*) FROM locked)::int AS found`,
      [subjects, periods, counters.map((c) => c.capUsd), amountUsd, id, counters.length],
    );
    const { short, found } = rows[0];
    if (found < counters.length) return 'missing';
    if (short === null) return { ok: true, id };
    const counter = counters[short - 1];
    return {
      ok: false,
      reason: `the ${counter.label} ($${counter.capUsd}) cannot cover this request's worst case ($${amountUsd.toPrecision(3)})`,
    };
  }

  /** Creates the period's counter rows once per router: the reservation statement can only lock rows that exist. */
  private async ensureCounters(counters: Counter[]): Promise<void> {
    const missing = counters.filter((c) => !this.knownCounters.has(counterKey(c)));
    if (missing.length === 0) return;
    await this.db.query(
      `INSERT INTO budget_counters (subject, period) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT DO NOTHING`,
      [missing.map((c) => c.subject), missing.map((c) => c.period)],
    );
    if (this.knownCounters.size > 100_000) this.knownCounters.clear();
    for (const c of missing) this.knownCounters.add(counterKey(c));
  }

  /**
   * Releases a reservation and adds the realised cost to its counters, in one statement. A
   * reservation already released by release() still gets its cost counted: the money was spent.
   */
  async settle(id: string | null, actualUsd: number): Promise<void> {
    if (!id) return;
    await this.db.query(
      `WITH settled AS (DELETE FROM budget_reservations WHERE id = $1 RETURNING subjects, periods, amount_usd)
       UPDATE budget_counters b SET reserved_usd = greatest(0, b.reserved_usd - settled.amount_usd),
                                    spent_usd = b.spent_usd + $2
         FROM settled, unnest(settled.subjects, settled.periods) AS t(subject, period)
        WHERE b.subject = t.subject AND b.period = t.period`,
      [id, Math.max(0, actualUsd)],
    );
  }

  /** Frees the amount of reservations older than the TTL; their rows stay until settled or a day old. */
  async release(): Promise<number> {
    return inTransaction(this.db, async (c) => {
      const { rows } = await c.query<{ subjects: string[]; periods: string[]; amount_usd: number }>(
        `WITH stale AS (
           SELECT id, amount_usd FROM budget_reservations
            WHERE amount_usd > 0 AND created_at < now() - make_interval(secs => $1)
            FOR UPDATE SKIP LOCKED)
         UPDATE budget_reservations r SET amount_usd = 0 FROM stale WHERE r.id = stale.id
         RETURNING r.subjects, r.periods, stale.amount_usd`,
        [this.config.BUDGET_RESERVATION_TTL_S],
      );
      for (const r of rows)
        await c.query(
          `UPDATE budget_counters b SET reserved_usd = greatest(0, b.reserved_usd - $3)
             FROM unnest($1::text[], $2::text[]) AS t(subject, period)
            WHERE b.subject = t.subject AND b.period = t.period`,
          [r.subjects, r.periods, r.amount_usd],
        );
      await c.query(`DELETE FROM budget_reservations WHERE created_at < now() - interval '1 day'`);
      return rows.length;
    });
  }
}
