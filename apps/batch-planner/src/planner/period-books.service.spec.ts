import { promptKind } from '@llm-router/batch';
import { costLevel } from '@llm-router/pricing';
import { ReplicaService } from '@llm-router/replica';
import { PlannerConfig } from '../config';
import { PeriodBooksReader } from './period-books.service';
import { SpendStore } from './spend-store';

// The tables themselves on PostgreSQL: spend-store.int-spec.ts, and the planner's rounds on them in
// test/e2e/batch-planner-cost-level.int-spec.ts.

const config = {
  BATCH_BUDGET_USD: 10,
  BATCH_BUDGET_PERIOD: 'daily',
  BATCH_EXPECTED_QUERIES: 1000,
  BATCH_PACE_BY: 'queries',
  BATCH_COST_LEVEL_CALLS: 50,
} as PlannerConfig;

function reader(warmStartPrompts: string[] = []) {
  const spend = {
    read: jest.fn().mockResolvedValue({ spentUsd: 2, queries: 400 }),
    // big's 100 rewarded calls cost 0.5 more than expected: the ledger's 2 becomes 2.5.
    billed: jest.fn().mockResolvedValue({ big: { realisedUsd: 1.5, expectedUsd: 1, calls: 100 } }),
    recentBills: jest.fn().mockResolvedValue({ big: { realisedUsd: 1.5, expectedUsd: 1, baseUsd: 1, calls: 50 } }),
    kindBills: jest.fn().mockResolvedValue([]),
    promptBills: jest.fn().mockResolvedValue([]),
  };
  const replica = { warmStartPrompts: jest.fn(() => warmStartPrompts) };
  const r = new PeriodBooksReader(config, spend as unknown as SpendStore, replica as unknown as ReplicaService);
  return { r, spend, replica };
}

describe('PeriodBooksReader', () => {
  const now = Date.parse('2026-12-06T12:00:00Z');

  it("reads the scope's ledger and bills for the period the round is planned in", async () => {
    const t = reader();
    const books = await t.r.read('s', 100, now);
    expect(books.period).toBe('2026-12-06');
    expect(t.spend.read).toHaveBeenCalledWith('s', '2026-12-06');
    expect(t.spend.recentBills).toHaveBeenCalledWith('s', '2026-12-06', 50);
    // The ledger's expected bills, corrected by what the billed calls really cost.
    expect(books.state.budget).toEqual({
      perQueryUsd: 10 / 1000,
      expectedQueries: 1000,
      routedQueries: 400,
      spentUsd: 2.5,
    });
  });

  it('gives each model its cost level from its recent bills, 1 without any, and says which models are billed', async () => {
    const books = await reader().r.read('s', 100, now);
    expect(books.costLevelOf('big')).toBeCloseTo(costLevel({ realisedUsd: 1.5, expectedUsd: 1, calls: 50 }), 12);
    expect(books.costLevelOf('big')).toBeGreaterThan(1);
    expect(books.costLevelOf('cheap')).toBe(1);
    expect(books.hasBill('big')).toBe(true);
    expect(books.hasBill('cheap')).toBe(false);
  });

  it('reads the bills of the kinds asked for, with the warm-start counts counted once', async () => {
    const warm = ['Sort these words: a b', 'Sort these words: c d'];
    const t = reader(warm);
    const books = await t.r.read('s', 100, now);
    const kinds = [promptKind('Sort these words: e f')];
    const first = await t.r.kindCosts('s', books, kinds);
    const second = await t.r.kindCosts('s', books, kinds);
    expect(t.spend.kindBills).toHaveBeenCalledWith('s', '2026-12-06', kinds);
    expect(t.spend.promptBills).toHaveBeenCalledWith('s', '2026-12-06', [kinds[0].prompt]);
    expect(first.recent).toBe(books.recent);
    expect([...first.warmStart.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(warm.length);
    expect(second.warmStart).toBe(first.warmStart);
    expect(t.replica.warmStartPrompts).toHaveBeenCalledTimes(1);
  });
});
