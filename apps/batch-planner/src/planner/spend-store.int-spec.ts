import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { openDataSource } from '@llm-router/persistence';
import { createDatabase } from '@llm-router/infra';
import { costLevel } from '@llm-router/pricing';
import { closingPhrase } from '@llm-router/batch';
import { Rng } from '@llm-router/numerics';
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
  const KINDS = 'kinds';
  const PERIOD = '2026-12-04';
  const EXPECTED = 1e-4;

  /** Files a window's bills of `model` (one transaction, as the planner does) and returns their decision ids. */
  const file = async (prefix: string, model: string, n: number, scope = SCOPE, period = PERIOD, closing?: string) => {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    const bills = ids.map((decisionId) => ({
      decisionId,
      model,
      expectedUsd: 2 * EXPECTED,
      baseUsd: EXPECTED,
      closing,
    }));
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
    // Per kind of prompt (a scope of its own): m's calls on "pick one" cost five times their base, n's twice; one call
    // on "pick one" not billed yet, one of another period, one on "say why" answered at its base.
    await rewarded(await file('pick-m', 'm', 2, KINDS, PERIOD, 'pick one'), 'm', 5 * EXPECTED);
    await answered(await file('pick-n', 'n', 3, KINDS, PERIOD, 'pick one'), 'n', 2 * EXPECTED);
    await file('pick-out', 'm', 1, KINDS, PERIOD, 'pick one');
    await rewarded(await file('pick-old', 'm', 1, KINDS, '2026-12-03', 'pick one'), 'm', EXPECTED);
    await answered(await file('why-m', 'm', 1, KINDS, PERIOD, 'say why'), 'm', EXPECTED);
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

  it("sums the period's billed calls per model and closing phrase, for the phrases asked only", async () => {
    const rows = await spend.closingBills(KINDS, PERIOD, ['pick one', 'pick one', 'never seen']);
    const byModel = Object.fromEntries(rows.map((r) => [`${r.model} ${r.closing}`, r]));
    const pickOne = (model: string, realised: number, base: number, calls: number) => ({
      model,
      closing: 'pick one',
      realisedUsd: expect.closeTo(realised * EXPECTED, 15),
      baseUsd: expect.closeTo(base * EXPECTED, 15),
      calls,
    });
    expect(byModel).toEqual({ 'm pick one': pickOne('m', 10, 2, 2), 'n pick one': pickOne('n', 6, 3, 3) });
    expect(await spend.closingBills(KINDS, PERIOD, [])).toEqual([]);
    expect((await spend.closingBills(KINDS, PERIOD, ['say why'])).map((r) => r.calls)).toEqual([1]);
  });

  it('files the bill of a prompt that ends in a word of 100,000 random letters', async () => {
    // Its closing phrase is indexed with the bill: uncut, PostgreSQL refused the row ("index row
    // requires 100016 bytes") and with it the window's bills.
    const rng = new Rng(3);
    const word = Array.from({ length: 100_000 }, () => String.fromCharCode(97 + rng.int(26))).join('');
    const closing = closingPhrase(`Repeat after me: ${word}`);
    const bills = [{ decisionId: 'huge-0', model: 'm', expectedUsd: EXPECTED, baseUsd: EXPECTED, closing }];
    await expect(spend.add('huge', PERIOD, EXPECTED, 1, bills)).resolves.toEqual({ spentUsd: EXPECTED, queries: 1 });
    await rewarded(['huge-0'], 'm', EXPECTED);
    expect((await spend.closingBills('huge', PERIOD, [closing])).map((r) => r.calls)).toEqual([1]);
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
