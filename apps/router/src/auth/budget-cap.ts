import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
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

class CapReached extends Error {}

interface Counter {
  subject: string;
  period: string;
  capUsd: number;
  label: string;
}

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
  constructor(
    @Inject(APP_CONFIG) private readonly config: Pick<RouterConfig, 'SCOPE_BUDGETS' | 'BUDGET_RESERVATION_TTL_S'>,
    @Inject(ACCESS_DB) private readonly db: AccessDb,
  ) {}

  private counters(scope: string, key: BudgetKey | undefined, now: Date): Counter[] {
    const { day, month } = budgetPeriods(now);
    const s = this.config.SCOPE_BUDGETS[scope] ?? {};
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

  /** Books amountUsd on every capped counter of the scope and key; id null when nothing is capped. */
  async reserve(scope: string, key: BudgetKey | undefined, amountUsd: number, now = new Date()): Promise<Reservation> {
    const counters = this.counters(scope, key, now);
    if (counters.length === 0) return { ok: true, id: null };
    const subjects = counters.map((c) => c.subject);
    const periods = counters.map((c) => c.period);
    await this.db.query(
      `INSERT INTO budget_counters (subject, period) SELECT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT DO NOTHING`,
      [subjects, periods],
    );
    return inTransaction(this.db, async (c): Promise<Reservation> => {
      await c.query(
        `SELECT 1 FROM budget_counters b JOIN unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(subject, period, n)
           ON b.subject = t.subject AND b.period = t.period ORDER BY t.n FOR UPDATE OF b`,
        [subjects, periods],
      );
      for (const counter of counters) {
        const { rowCount } = await c.query(
          `UPDATE budget_counters SET reserved_usd = reserved_usd + $3
            WHERE subject = $1 AND period = $2 AND spent_usd + reserved_usd + $3 <= $4`,
          [counter.subject, counter.period, amountUsd, counter.capUsd],
        );
        // Throwing rolls back what was booked on the counters before this one.
        if (rowCount === 0)
          throw new CapReached(
            `the ${counter.label} ($${counter.capUsd}) cannot cover this request's worst case ($${amountUsd.toPrecision(3)})`,
          );
      }
      const id = randomUUID();
      await c.query(`INSERT INTO budget_reservations (id, subjects, periods, amount_usd) VALUES ($1, $2, $3, $4)`, [
        id,
        subjects,
        periods,
        amountUsd,
      ]);
      return { ok: true, id };
    }).catch((e: unknown) => {
      if (e instanceof CapReached) return { ok: false, reason: e.message };
      throw e;
    });
  }

  /**
   * Releases a reservation and adds the realised cost to its counters. A reservation already
   * released by release() still gets its cost counted: the money was spent.
   */
  async settle(id: string | null, actualUsd: number): Promise<void> {
    if (!id) return;
    await inTransaction(this.db, async (c) => {
      const { rows } = await c.query<{ subjects: string[]; periods: string[]; amount_usd: number }>(
        `DELETE FROM budget_reservations WHERE id = $1 RETURNING subjects, periods, amount_usd`,
        [id],
      );
      if (!rows[0]) return;
      await c.query(
        `UPDATE budget_counters b SET reserved_usd = greatest(0, b.reserved_usd - $3), spent_usd = b.spent_usd + $4
           FROM unnest($1::text[], $2::text[]) AS t(subject, period)
          WHERE b.subject = t.subject AND b.period = t.period`,
        [rows[0].subjects, rows[0].periods, rows[0].amount_usd, Math.max(0, actualUsd)],
      );
    });
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
