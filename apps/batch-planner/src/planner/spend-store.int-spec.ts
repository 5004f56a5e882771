import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { openDataSource } from '@llm-router/persistence';
import { createDatabase } from '@llm-router/infra';
import { costLevel } from '@llm-router/pricing';
import { type PromptKind, promptKind } from '@llm-router/batch';
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
  const PICK: PromptKind = { closing: 'pick one', opening: 'choose', prompt: 'p1' };
  const WHY: PromptKind = { closing: 'say why', opening: 'explain', prompt: 'w1' };

  /** Files a window's bills of `model` (one transaction, as the planner does) and returns their decision ids. */
  const file = async (prefix: string, model: string, n: number, scope = SCOPE, period = PERIOD, kind?: PromptKind) => {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    const bills = ids.map((decisionId) => ({
      decisionId,
      model,
      expectedUsd: 2 * EXPECTED,
      baseUsd: EXPECTED,
      kind,
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
    await rewarded(await file('pick-m', 'm', 2, KINDS, PERIOD, PICK), 'm', 5 * EXPECTED);
    await answered(await file('pick-n', 'n', 3, KINDS, PERIOD, PICK), 'n', 2 * EXPECTED);
    await file('pick-out', 'm', 1, KINDS, PERIOD, PICK);
    await rewarded(await file('pick-old', 'm', 1, KINDS, '2026-12-03', PICK), 'm', EXPECTED);
    await answered(await file('why-m', 'm', 1, KINDS, PERIOD, WHY), 'm', EXPECTED);
    // Two prompts that begin alike and end apart, and a bill filed before openings were kept.
    await answered(
      await file('sort-a', 'm', 1, KINDS, PERIOD, promptKind('Sort the words: oblong whoosh')),
      'm',
      EXPECTED,
    );
    await answered(
      await file('sort-b', 'm', 2, KINDS, PERIOD, promptKind('Sort the words: lunge siren')),
      'm',
      EXPECTED,
    );
    await ds.query(`UPDATE batch_bills SET opening = NULL WHERE decision_id = 'pick-n-0'`);
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

  it("sums the period's billed calls per model and kind of prompt, for the kinds asked only", async () => {
    const never = { closing: 'never seen', opening: 'never', prompt: 'n1' };
    const rows = await spend.kindBills(KINDS, PERIOD, [PICK, PICK, never]);
    const byModel = Object.fromEntries(rows.map((r) => [`${r.model} ${r.kind.closing} ${r.kind.opening}`, r]));
    const pickOne = (model: string, opening: string | null, realised: number, base: number, calls: number) => ({
      model,
      kind: { closing: PICK.closing, opening },
      realisedUsd: expect.closeTo(realised * EXPECTED, 15),
      baseUsd: expect.closeTo(base * EXPECTED, 15),
      calls,
    });
    expect(byModel).toEqual({
      'm pick one choose': pickOne('m', PICK.opening, 10, 2, 2),
      'n pick one choose': pickOne('n', PICK.opening, 4, 2, 2),
      // Filed without its opening: it still prices its closing phrase.
      'n pick one null': pickOne('n', null, 2, 1, 1),
    });
    expect(await spend.kindBills(KINDS, PERIOD, [])).toEqual([]);
    expect((await spend.kindBills(KINDS, PERIOD, [WHY])).map((r) => r.calls)).toEqual([1]);
    // A prompt that ends like no other but begins like two billed ones gets both their bills.
    const sorted = await spend.kindBills(KINDS, PERIOD, [promptKind('Sort the words: nitric petition')]);
    expect(sorted.map((r) => [r.kind.opening, r.calls]).sort()).toEqual([
      ['sort the', 1],
      ['sort the', 2],
    ]);
  });

  it("sums the period's billed calls per model and prompt, for the prompts asked only", async () => {
    const rows = await spend.promptBills(KINDS, PERIOD, [PICK.prompt, PICK.prompt, WHY.prompt, 'never billed']);
    const byModel = Object.fromEntries(rows.map((r) => [`${r.model} ${r.prompt}`, r]));
    const bills = (model: string, prompt: string, realised: number, base: number, calls: number) => ({
      model,
      prompt,
      realisedUsd: expect.closeTo(realised * EXPECTED, 15),
      baseUsd: expect.closeTo(base * EXPECTED, 15),
      calls,
    });
    // Not the call not billed yet, nor the one of another period.
    expect(byModel).toEqual({
      'm p1': bills('m', 'p1', 10, 2, 2),
      'n p1': bills('n', 'p1', 6, 3, 3),
      'm w1': bills('m', 'w1', 1, 1, 1),
    });
    expect(await spend.promptBills(KINDS, PERIOD, [])).toEqual([]);
  });

  it('files the bill of a prompt that ends in a word of 100,000 random letters', async () => {
    // Its closing and opening phrases are indexed with the bill: uncut, PostgreSQL refused the row ("index row
    // requires 100016 bytes") and with it the window's bills.
    const rng = new Rng(3);
    const word = Array.from({ length: 100_000 }, () => String.fromCharCode(97 + rng.int(26))).join('');
    const kind = promptKind(`${word} is what to repeat after me: ${word}`);
    const bills = [{ decisionId: 'huge-0', model: 'm', expectedUsd: EXPECTED, baseUsd: EXPECTED, kind }];
    await expect(spend.add('huge', PERIOD, EXPECTED, 1, bills)).resolves.toEqual({ spentUsd: EXPECTED, queries: 1 });
    await rewarded(['huge-0'], 'm', EXPECTED);
    expect((await spend.kindBills('huge', PERIOD, [kind])).map((r) => r.calls)).toEqual([1]);
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
