import 'reflect-metadata';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { openDataSource } from '@llm-router/persistence';
import { createDatabase } from '@llm-router/infra';
import { BudgetCap, budgetPeriods } from './budget-cap';

/** BudgetCap on a real PostgreSQL: calls booked together share a reservation row, and no amount is released twice. */
describe('BudgetCap reservations shared by the calls of one statement', () => {
  let ds: DataSource;
  let db: Pool;
  const config = { SCOPE_BUDGETS: { s: { dayUsd: 10 } }, BUDGET_RESERVATION_TTL_S: 3600 };
  const counter = async () =>
    (
      await db.query<{ spent_usd: number; reserved_usd: number }>(
        `SELECT spent_usd, reserved_usd FROM budget_counters WHERE subject = 'scope:s' AND period = $1`,
        [budgetPeriods().day],
      )
    ).rows[0];
  const rows = async () =>
    (await db.query<{ members: number; amount_usd: number }>(`SELECT members, amount_usd FROM budget_reservations`))
      .rows;

  beforeAll(async () => {
    const base = process.env['DATABASE_URL'];
    if (!base) throw new Error('DATABASE_URL is not set: run integration tests through `npm test`');
    ds = await openDataSource(await createDatabase(base, 'cap'));
    db = (ds.driver as PostgresDriver).master as Pool;
  });
  afterAll(async () => {
    await ds?.destroy();
  });
  beforeEach(async () => {
    await db.query('DELETE FROM budget_reservations');
    await db.query('DELETE FROM budget_counters');
  });

  it('books concurrent calls in one row and drops it when the last member settles', async () => {
    const cap = new BudgetCap(config, db);
    // The first call creates the counter row; the next four arrive while its statement runs.
    await cap.reserve('s', undefined, 0.5);
    await db.query('DELETE FROM budget_reservations');
    await db.query('UPDATE budget_counters SET reserved_usd = 0');
    const held = await Promise.all([1, 2, 3, 4].map((i) => cap.reserve('s', undefined, i)));
    const holds = held.map((r) => (r.ok ? r.hold! : null));
    expect(holds.every((h) => h !== null)).toBe(true);
    // Booked by at most two statements (the first alone, the others while it ran): fewer rows than calls.
    const booked = await rows();
    expect(booked.reduce((n, r) => n + r.members, 0)).toBe(4);
    expect(booked.length).toBeLessThan(4);
    expect(booked.reduce((n, r) => n + r.amount_usd, 0)).toBeCloseTo(10, 12);
    expect((await counter()).reserved_usd).toBeCloseTo(10, 12);

    // Settled one by one: each releases its own amount; the rows go with their last member.
    await cap.settle(holds[3], 0.4);
    expect((await counter()).reserved_usd).toBeCloseTo(6, 12);
    expect((await counter()).spent_usd).toBeCloseTo(0.4, 12);
    await Promise.all([cap.settle(holds[0], 0.1), cap.settle(holds[1], 0.2)]);
    expect((await counter()).reserved_usd).toBeCloseTo(3, 12);
    await cap.settle(holds[2], 0.3);
    expect(await counter()).toEqual({ spent_usd: expect.closeTo(1, 12), reserved_usd: expect.closeTo(0, 12) });
    expect(await rows()).toEqual([]);
  });

  it('refuses what does not fit and books nothing for it', async () => {
    const cap = new BudgetCap(config, db);
    const [a, b] = await Promise.all([cap.reserve('s', undefined, 6), cap.reserve('s', undefined, 6)]);
    expect([a.ok, b.ok].sort()).toEqual([false, true]);
    expect((await counter()).reserved_usd).toBeCloseTo(6, 12);
    expect(await rows()).toEqual([{ members: 1, amount_usd: 6 }]);
  });

  it('counts the spend of a call whose row the TTL already released, without releasing it again', async () => {
    const cap = new BudgetCap({ ...config, BUDGET_RESERVATION_TTL_S: 0 }, db);
    const held = await Promise.all([2, 3].map((x) => cap.reserve('s', undefined, x)));
    await db.query(`UPDATE budget_reservations SET created_at = now() - interval '1 minute'`);
    expect(await cap.release()).toBeGreaterThan(0);
    expect((await counter()).reserved_usd).toBeCloseTo(0, 12);
    // A reservation booked after the release must keep its hold when the old ones settle.
    const later = await cap.reserve('s', undefined, 1);
    for (const r of held) await cap.settle(r.ok ? r.hold : null, 0.5);
    expect(await counter()).toEqual({ spent_usd: expect.closeTo(1, 12), reserved_usd: expect.closeTo(1, 12) });
    await cap.settle(later.ok ? later.hold : null, 0.25);
    expect(await counter()).toEqual({ spent_usd: expect.closeTo(1.25, 12), reserved_usd: expect.closeTo(0, 12) });
    expect(await rows()).toEqual([]);
  });
});
