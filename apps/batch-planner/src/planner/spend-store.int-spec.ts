import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { openDataSource } from '@llm-router/persistence';
import { createDatabase } from '@llm-router/infra';
import { costLevel } from '@llm-router/pricing';
import { SpendStore } from './spend-store';

/**
 * SpendStore's bills on a real PostgreSQL: a model whose old calls cost three times what was
 * expected and whose latest cost what was expected is priced at its latest calls' level, while the
 * period's spend is still reconciled with every bill.
 */
describe('SpendStore bills over the latest calls', () => {
  let ds: DataSource;
  let spend: SpendStore;
  const SCOPE = 's';
  const PERIOD = '2026-12-04';
  const EXPECTED = 1e-4;

  /** Files a window's bills of `model` (one transaction, as the planner does) and returns their decision ids. */
  const file = async (prefix: string, model: string, n: number, scope = SCOPE, period = PERIOD) => {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    const bills = ids.map((decisionId) => ({ decisionId, model, expectedUsd: 2 * EXPECTED, baseUsd: EXPECTED }));
    await spend.add(scope, period, n * EXPECTED, n, bills);
    return ids;
  };
  /** The cost the router logged when it answered each decision. */
  const answered = async (ids: string[], model: string, usd: number) => {
    for (const id of ids)
      await ds.query(
        `INSERT INTO decisions (decision_id, request_id, scope, policy, policy_version, arm, propensity, scores,
                                price_snapshot, realised_cost_usd, lambda, decided_at)
         VALUES ($1, $1, $2, 'explicit', 1, $3, 1, '{}', '{}', $4, 0, now())`,
        [id, SCOPE, model, usd],
      );
  };
  /** A provider's bill sent with each decision's feedback. */
  const rewarded = async (ids: string[], model: string, usd: number) => {
    for (const id of ids)
      await ds.query(
        `INSERT INTO rewards (decision_id, scope, arm, quality, cost_usd, lambda, reward, source, applied_at)
         VALUES ($1, $2, $3, 0.5, $4, 0, 0.5, 'user', now())`,
        [id, SCOPE, model, usd],
      );
  };

  beforeAll(async () => {
    const base = process.env['DATABASE_URL'];
    if (!base) throw new Error('DATABASE_URL is not set: run integration tests through `npm test`');
    ds = await openDataSource(await createDatabase(base, 'spend'));
    spend = new SpendStore(ds);

    // m: ten calls at three times their expected cost (rewarded), then four at it (only answered),
    // then two whose cost is not known yet.
    const old = await file('m-old', 'm', 10);
    await rewarded(old, 'm', 3 * EXPECTED);
    const latest = await file('m-new', 'm', 4);
    await answered(latest, 'm', EXPECTED);
    await file('m-out', 'm', 2);
    // n: two calls at three times, fewer than the latest counted.
    await rewarded(await file('n', 'n', 2), 'n', 3 * EXPECTED);
    // Bills of another scope and of another period count for neither.
    await rewarded(await file('other-scope', 'm', 3, 'other'), 'm', EXPECTED);
    await rewarded(await file('other-period', 'm', 3, SCOPE, '2026-12-03'), 'm', EXPECTED);
  });
  afterAll(async () => {
    await ds?.destroy();
  });

  it("sums each model's latest billed calls, those whose cost is not known left out", async () => {
    const recent = await spend.recentBills(SCOPE, PERIOD, 4);
    expect(recent).toEqual({
      m: {
        realisedUsd: expect.closeTo(4 * EXPECTED, 15),
        expectedUsd: expect.closeTo(8 * EXPECTED, 15),
        baseUsd: expect.closeTo(4 * EXPECTED, 15),
        calls: 4,
      },
      n: {
        realisedUsd: expect.closeTo(6 * EXPECTED, 15),
        expectedUsd: expect.closeTo(4 * EXPECTED, 15),
        baseUsd: expect.closeTo(2 * EXPECTED, 15),
        calls: 2,
      },
    });
    // Priced at what its latest calls cost: the level of all its calls would be 1.83.
    const m = recent['m'];
    expect(costLevel({ realisedUsd: m.realisedUsd, expectedUsd: m.baseUsd, calls: m.calls })).toBeCloseTo(1, 12);
  });

  it('keeps every billed call of the period for the spend', async () => {
    const all = await spend.billed(SCOPE, PERIOD);
    expect(all['m'].calls).toBe(14);
    expect(all['m'].realisedUsd).toBeCloseTo(34 * EXPECTED, 15);
    expect(all['n'].calls).toBe(2);
  });

  it('takes the latest calls first, and older ones past them', async () => {
    expect((await spend.recentBills(SCOPE, PERIOD, 2))['m']).toMatchObject({
      calls: 2,
      realisedUsd: expect.closeTo(2 * EXPECTED, 15),
    });
    expect((await spend.recentBills(SCOPE, PERIOD, 6))['m']).toMatchObject({
      calls: 6,
      realisedUsd: expect.closeTo(10 * EXPECTED, 15),
    });
  });
});
