import { BudgetPacer } from '@llm-router/pacing';
import { ScopeStats } from './scope-stats';

const now = Date.UTC(2026, 11, 2, 12);

describe('ScopeStats pacing', () => {
  it('paces the fleet on realised costs and keeps its lambda when nothing binds', () => {
    const free = ScopeStats.empty('s');
    expect(free.onDecision(0.5, now, 7)).toBe(7);
    expect(free.budgetPerQueryUsd(now)).toBeUndefined();
    const paced = ScopeStats.empty('s', { perQueryUsd: 0.001 });
    const first = paced.onDecision(0.01, now, 0);
    expect(paced.onDecision(0.01, now, 0)).toBeGreaterThan(first);
    // Only BUDGET_PER_QUERY_USD binds: the routers already pace against it, nothing to publish.
    expect(paced.budgetPerQueryUsd(now)).toBeUndefined();
  });

  it('publishes a daily budget share per query, never above the per-query target', () => {
    const st = ScopeStats.empty('s', { perQueryUsd: 0.001, periodBudgetUsd: 1, expectedQueriesPerDay: 10_000 });
    // Half a day left, $1 over the 5,000 queries expected: $0.0002 a query.
    expect(st.budgetPerQueryUsd(now)).toBeCloseTo(0.0002, 12);
  });

  it("files a judge's cost as spend of the period and of the pacer, not as a query", () => {
    const opts = { perQueryUsd: 0.001, periodBudgetUsd: 10 };
    const judged = ScopeStats.empty('s', opts);
    const unjudged = ScopeStats.empty('s', opts);
    const lambdaBefore = judged.onDecision(0.001, now, 0);
    expect(unjudged.onDecision(0.001, now, 0)).toBe(lambdaBefore);
    expect(judged.onEvaluation(0.004, now, lambdaBefore)).toBeGreaterThan(lambdaBefore);
    expect(judged.fleet.spent(now)).toBeCloseTo(0.005, 12);
    const queriesOf = (st: ScopeStats) =>
      (st.pacerState().fleet?.ledger?.periods ?? []).reduce((n, p) => n + p.queries, 0);
    expect(queriesOf(judged)).toBe(1);
  });

  it('round-trips its state, and carries the lambda of a stored BudgetPacer (before 0013) over', () => {
    const opts = { perQueryUsd: 0.001, periodBudgetUsd: 10 };
    const st = ScopeStats.empty('s', opts);
    for (let i = 0; i < 20; i++) st.onDecision(0.003, now, 0);
    const again = ScopeStats.empty('s', opts, JSON.parse(JSON.stringify(st.pacerState())));
    expect(again.pacerState()).toEqual(st.pacerState());
    expect(again.fleet.spent(now)).toBeCloseTo(0.06, 12);

    const old = new BudgetPacer({ target: 0.001 });
    for (let i = 0; i < 30; i++) old.update(0.004);
    const migrated = ScopeStats.empty('s', opts, old.toState());
    expect(migrated.pacerState().pacer?.dual.lambda).toBeCloseTo(old.lambda, 12);
  });
});
