import { FleetBudget, MIN_PER_QUERY_USD } from './fleet-budget';

const DAY = 86_400_000;
const day0 = Date.UTC(2026, 11, 2);

describe('FleetBudget', () => {
  it('publishes the per-query target alone when no period budget is set', () => {
    const f = new FleetBudget({ perQueryUsd: 0.0002 });
    expect(f.binding).toBe(true);
    expect(f.update(day0)).toBe(0.0002);
    f.record(5, day0);
    expect(f.update(day0 + 1000)).toBe(0.0002);
    expect(f.remaining(day0)).toBeNull();
  });

  it('binds nothing without a target', () => {
    const f = new FleetBudget({});
    expect(f.binding).toBe(false);
    expect(f.update(day0)).toBeNull();
  });

  it('spreads a daily budget over the expected traffic, then the observed traffic', () => {
    const f = new FleetBudget({ periodBudgetUsd: 10, expectedQueriesPerDay: 10_000 });
    // Midnight, nothing seen: $10 over 10,000 queries.
    expect(f.update(day0)).toBeCloseTo(0.001, 12);
    // Noon, 20,000 queries already (twice the assumption) and $5 spent: $5 left over the
    // 20,000 more the observed rate expects; damped to at most -20% per update.
    for (let i = 0; i < 20_000; i++) f.record(0.00025, day0 + i);
    const noon = day0 + DAY / 2;
    const first = f.update(noon)!;
    expect(first).toBeCloseTo(0.0008, 12);
    let last = first;
    for (let i = 0; i < 20; i++) last = f.update(noon + i)!;
    expect(last).toBeCloseTo(5 / 20_000 / 1, 9);
  });

  it('never publishes more than the per-query target', () => {
    const f = new FleetBudget({ perQueryUsd: 0.0001, periodBudgetUsd: 1000 });
    expect(f.update(day0)).toBe(0.0001);
  });

  it('moves at most maxStep per update, in both directions', () => {
    const f = new FleetBudget({ periodBudgetUsd: 10, expectedQueriesPerDay: 10_000, maxStep: 0.1 });
    const a = f.update(day0)!;
    f.record(9.99, day0 + 1);
    const b = f.update(day0 + 2)!;
    expect(b).toBeCloseTo(a * 0.9, 15);
    expect(f.update(day0 + 3)!).toBeCloseTo(a * 0.81, 15);
  });

  it('a spent period publishes the floor, never 0, and a new day starts full', () => {
    const f = new FleetBudget({ periodBudgetUsd: 1, expectedQueriesPerDay: 100, maxStep: 0.99 });
    f.update(day0);
    f.record(2, day0 + 10);
    let t = 0;
    for (let i = 0; i < 50; i++) t = f.update(day0 + 20 + i)!;
    expect(t).toBe(MIN_PER_QUERY_USD);
    expect(f.remaining(day0 + 30)).toBe(0);
    expect(f.remaining(day0 + DAY)).toBe(1);
  });

  it('keeps spend and the published budget across a restart', () => {
    const f = new FleetBudget({ periodBudgetUsd: 10, period: 'month' });
    f.record(3, day0);
    const published = f.update(day0);
    const g = new FleetBudget({ periodBudgetUsd: 10, period: 'month' });
    g.restore(JSON.parse(JSON.stringify(f.toState())));
    expect(g.spent(day0)).toBe(3);
    expect(g.toState().published).toBe(published);
  });

  it('refuses nonsense', () => {
    expect(() => new FleetBudget({ perQueryUsd: 0 })).toThrow(/perQueryUsd/);
    expect(() => new FleetBudget({ periodBudgetUsd: -1 })).toThrow(/periodBudgetUsd/);
    expect(() => new FleetBudget({ perQueryUsd: 1, maxStep: 1 })).toThrow(/maxStep/);
    expect(() => new FleetBudget({}).restore({ version: 9 } as never)).toThrow(/version/);
  });
});
