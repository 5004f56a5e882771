import { ReplayRow } from './replay';
import { sourceBreakdown } from './source-breakdown';

const row = (source: string | undefined, cheap: number, up: number): ReplayRow => ({
  prompt: 'p',
  source,
  arms: { cheap: { reward: cheap, cost: 1 }, up: { reward: up, cost: 3 } },
});

const arms = ['cheap', 'up'];
const rows = [row('a', 0.5, 0.9), row('b', 0.2, 0.6), row('a', 0.4, 0.4), row('b', 0.1, 0.9)];

describe('sourceBreakdown', () => {
  it('splits gainPct by source, in order of first appearance, with the money each mode spent there', () => {
    const perQuery = { arms, picks: [0, 0, 1, 0] };
    const batch = { arms, picks: [1, 0, 0, 1] };
    const [a, b] = sourceBreakdown(rows, perQuery, batch, 2);
    // Per-query total 0.5 + 0.2 + 0.4 + 0.1 = 1.2; batch on a: 0.9 + 0.4 against 0.5 + 0.4.
    expect(a).toMatchObject({ source: 'a', rows: 2, firstRow: 0 });
    expect(a.gainPct).toBeCloseTo((100 * 0.4) / 1.2, 12);
    expect(b).toMatchObject({ source: 'b', rows: 2, firstRow: 1 });
    expect(b.gainPct).toBeCloseTo((100 * 0.8) / 1.2, 12);
    expect(a.perQuery.meanQuality).toBeCloseTo(0.45, 12);
    expect(a.batch.meanQuality).toBeCloseTo(0.65, 12);
    expect(a.perQuery.shares).toEqual({ cheap: 0.5, up: 0.5 });
    expect(b.batch.shares).toEqual({ cheap: 0.5, up: 0.5 });
    // Budget $2 a query over 4 rows = $8; per-query on a: 3 + 1, batch on b: 1 + 3.
    expect(a.perQuery.budgetShare).toBeCloseTo(0.5, 12);
    expect(b.batch.budgetShare).toBeCloseTo(0.5, 12);
    expect(b.perQuery.budgetShare).toBeCloseTo(0.25, 12);
  });

  it('sums to the run gain over the per-query quality', () => {
    const perQuery = { arms, picks: [1, 1, 0, 0] };
    const batch = { arms, picks: [0, 1, 1, 1] };
    const parts = sourceBreakdown(rows, perQuery, batch, null);
    const q = (p: number[]) => p.reduce((s, j, i) => s + rows[i].arms[arms[j]].reward, 0);
    const gain = 100 * (q(batch.picks) / q(perQuery.picks) - 1);
    expect(parts.reduce((s, p) => s + p.gainPct, 0)).toBeCloseTo(gain, 10);
    expect(parts.every((p) => p.perQuery.budgetShare === null && p.batch.budgetShare === null)).toBe(true);
  });

  it('reads picks by each run’s own arm order, and counts rows without a source as unknown', () => {
    const unsourced = [row(undefined, 0.3, 0.7), row('a', 0.5, 0.9)];
    const [u, a] = sourceBreakdown(unsourced, { arms, picks: [1, 0] }, { arms: ['up', 'cheap'], picks: [0, 1] }, null);
    expect(u.source).toBe('unknown');
    expect(u.perQuery.shares).toEqual({ cheap: 0, up: 1 });
    expect(u.batch.shares).toEqual({ up: 1, cheap: 0 });
    expect(u.gainPct).toBe(0);
    expect(a.gainPct).toBe(0);
  });

  it('refuses picks that do not cover the rows', () => {
    expect(() => sourceBreakdown(rows, { arms, picks: [0] }, { arms, picks: [0, 0, 0, 0] }, null)).toThrow(
      /4 rows, but 1 per-query/,
    );
  });
});
