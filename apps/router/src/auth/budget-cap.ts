import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ownValue } from '@llm-router/contracts';
import { APP_CONFIG } from '@llm-router/service';
import type { RouterConfig } from '../config';
import { ACCESS_DB, AccessDb, inTransaction } from './database';
import { BatchedWrites } from './batched-writes';

/** The key side of a reservation: whose caps apply besides the scope's. */
export interface BudgetKey {
  keyHash: string;
  budgetDayUsd?: number;
  budgetMonthUsd?: number;
}

/**
 * What one caller holds of a reservation row: the row (shared by the calls booked in the same
 * statement) and this call's own amount, which its settlement releases.
 */
export interface ReservationHold {
  id: string;
  amountUsd: number;
}

/** hold is null when nothing is capped. */
export type Reservation = { ok: true; hold: ReservationHold | null } | { ok: false; reason: string };

interface Counter {
  subject: string;
  period: string;
  capUsd: number;
  label: string;
}

const counterKey = (c: Counter) => `${c.subject}\u0000${c.period}`;

interface ReservationRequest {
  counters: Counter[];
  amountUsd: number;
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
 * the call is refused. After the call, settle() releases the call's amount and adds the
 * realised cost. The calls booked by one statement share one reservation row (it counts its
 * members), so a batch of queries writes one row, not one each. A reservation never settled
 * (its router died) is released after BUDGET_RESERVATION_TTL_S by release(). The HTTP front
 * door, the Kafka path and the judge use the same two methods.
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
   * Books amountUsd on every capped counter of the scope and key; hold null when nothing is
   * capped. Reservations made at the same time on the same counters go in one statement
   * (docs/decisions/0025): it locks the counters in the fixed order, admits the requests in
   * arrival order while every counter has room for all admitted so far, books their sum and
   * records each admitted reservation. Under load one locked round trip serves a whole batch
   * of queries instead of one each on the same hot rows.
   */
  async reserve(scope: string, key: BudgetKey | undefined, amountUsd: number, now = new Date()): Promise<Reservation> {
    const counters = this.counters(scope, key, now);
    if (counters.length === 0) return { ok: true, hold: null };
    await this.ensureCounters(counters);
    const booked = await this.reservations.add({ counters, amountUsd });
    if (booked !== 'missing') return booked;
    // A counter row was deleted since this router created it (an operator reset): create it again.
    for (const c of counters) this.knownCounters.delete(counterKey(c));
    await this.ensureCounters(counters);
    const [retried] = await this.book(counters, [amountUsd]);
    if (retried === 'missing') throw new Error('budget counters disappeared while reserving; try again');
    return retried;
  }

  private readonly reservations = new BatchedWrites<ReservationRequest, Reservation | 'missing'>(async (requests) => {
    // Requests on the same counters share a statement; groups go one after the other, each
    // locking its counters in the same global order, so two statements never wait in a cycle.
    const groups = new Map<string, number[]>();
    requests.forEach((r, i) => {
      const sig = r.counters.map(counterKey).join('\u0001');
      const members = groups.get(sig);
      if (members) members.push(i);
      else groups.set(sig, [i]);
    });
    const out: (Reservation | 'missing')[] = new Array(requests.length);
    for (const members of groups.values()) {
      const results = await this.book(
        requests[members[0]].counters,
        members.map((i) => requests[i].amountUsd),
      );
      members.forEach((i, j) => (out[i] = results[j]));
    }
    return out;
  });

  /**
   * The reservation statement for amounts in arrival order on the same counters; 'missing'
   * for all when a counter row is gone (nothing was booked then). The admitted requests share
   * one reservation row holding their sum.
   */
  private async book(counters: Counter[], amounts: number[]): Promise<(Reservation | 'missing')[]> {
    const subjects = counters.map((c) => c.subject);
    const periods = counters.map((c) => c.period);
    // Each request is named by its position in the statement; the admitted ones share rowId.
    const positions = amounts.map((_, i) => String(i));
    const rowId = randomUUID();
    const { rows } = await this.db.query<{ found: number; admitted: string[] | null; used: number[] | null }>(
      `WITH wanted AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::float8[]) WITH ORDINALITY AS t(subject, period, cap, n)),
       locked AS (
         SELECT b.subject, b.period, b.spent_usd, b.reserved_usd, w.cap, w.n
           FROM budget_counters b JOIN wanted w ON b.subject = w.subject AND b.period = w.period
          ORDER BY w.n FOR UPDATE OF b),
       found AS (SELECT count(*) AS n FROM locked),
       requested AS (
         SELECT id, amount, sum(amount) OVER (ORDER BY k) AS running
           FROM unnest($4::text[], $5::float8[]) WITH ORDINALITY AS r(id, amount, k)),
       admitted AS (
         SELECT r.id, r.amount FROM requested r
          WHERE (SELECT n FROM found) = $6
            AND NOT EXISTS (SELECT 1 FROM locked l WHERE l.spent_usd + l.reserved_usd + r.running > l.cap)),
       booked AS (
         UPDATE budget_counters b SET reserved_usd = b.reserved_usd + (SELECT sum(amount) FROM admitted) FROM locked l
          WHERE b.subject = l.subject AND b.period = l.period AND EXISTS (SELECT 1 FROM admitted)),
       reservation AS (
         INSERT INTO budget_reservations (id, subjects, periods, amount_usd, members)
         SELECT $7, $1, $2, sum(amount), count(*) FROM admitted HAVING count(*) > 0)
       SELECT (SELECT n FROM found)::int AS found,
              (SELECT array_agg(id) FROM admitted) AS admitted,
              (SELECT array_agg(spent_usd + reserved_usd ORDER BY n) FROM locked) AS used`,
      [subjects, periods, counters.map((c) => c.capUsd), positions, amounts, counters.length, rowId],
    );
    const { found, admitted, used } = rows[0];
    if (found < counters.length) return amounts.map(() => 'missing');
    const ok = new Set(admitted ?? []);
    let running = 0;
    return amounts.map((amountUsd, i) => {
      running += amountUsd;
      if (ok.has(positions[i])) return { ok: true, hold: { id: rowId, amountUsd } };
      // The first counter (in lock order) that could not take this request after those before it.
      const short = counters.findIndex((c, n) => (used?.[n] ?? 0) + running > c.capUsd);
      const counter = counters[Math.max(0, short)];
      return {
        ok: false,
        reason: `the ${counter.label} ($${counter.capUsd}) cannot cover this request's worst case ($${amountUsd.toPrecision(3)})`,
      };
    });
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
   * Releases a call's amount and adds its realised cost to the counters. A reservation already
   * released by release() still gets its cost counted: the money was spent. Settlements made
   * at the same time go in one statement, the costs summed per counter; a reservation row goes
   * when its last member settles.
   */
  async settle(hold: ReservationHold | null, actualUsd: number): Promise<void> {
    if (!hold) return;
    await this.settlements.add({ hold, actualUsd: Math.max(0, actualUsd) });
  }

  private readonly settlements = new BatchedWrites<{ hold: ReservationHold; actualUsd: number }>(async (items) => {
    // "held" is read before it changes: what a row still holds (0 once release() freed it) caps
    // what its settling members release, so an amount is never released twice.
    await this.db.query(
      `WITH costs AS (
         SELECT id, sum(amount) AS amount, sum(actual) AS actual, count(*)::int AS n
           FROM unnest($1::text[], $2::float8[], $3::float8[]) AS c(id, amount, actual) GROUP BY id),
       held AS (
         SELECT r.id, r.subjects, r.periods, r.amount_usd, r.members, c.amount, c.actual, c.n
           FROM budget_reservations r JOIN costs c ON r.id = c.id ORDER BY r.id FOR UPDATE OF r),
       gone AS (DELETE FROM budget_reservations r USING held h WHERE r.id = h.id AND h.members <= h.n),
       kept AS (
         UPDATE budget_reservations r SET members = h.members - h.n, amount_usd = greatest(0, h.amount_usd - h.amount)
           FROM held h WHERE r.id = h.id AND h.members > h.n),
       per_counter AS (
         SELECT t.subject, t.period, sum(least(h.amount, h.amount_usd)) AS released, sum(h.actual) AS spent
           FROM held h, unnest(h.subjects, h.periods) AS t(subject, period)
          GROUP BY t.subject, t.period)
       UPDATE budget_counters b SET reserved_usd = greatest(0, b.reserved_usd - p.released),
                                    spent_usd = b.spent_usd + p.spent
         FROM per_counter p
        WHERE b.subject = p.subject AND b.period = p.period`,
      [items.map((i) => i.hold.id), items.map((i) => i.hold.amountUsd), items.map((i) => i.actualUsd)],
    );
  });

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
