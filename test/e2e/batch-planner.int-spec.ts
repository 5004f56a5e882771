import { Topic } from '@llm-router/contracts';
import { CostModel, costLevel } from '@llm-router/pricing';
import {
  BatchEvent,
  batchEventsOf,
  plannerHealth as plannerHealthOf,
  teachScope,
  usePlannerStack,
  runBatchWindow,
  sendBills,
} from '../support/batch-planner-kit';
import { waitFor } from '../support/kafka-test-kit';

/**
 * Batch routing end to end on the real broker and database: the policy learns which model is
 * good from per-query traffic and feedback; then windows of batch queries are assigned as one
 * optimisation under a budget that binds, answered through the router with the assigned
 * models, and their expected spend lands in spend_ledger, which the next window's budget reads.
 */
describe('batch planner through Kafka and PostgreSQL', () => {
  const BUDGET = 0.003;
  const WINDOW = 8;
  const costs = new CostModel();

  const e2e = usePlannerStack('planner', {
    BATCH_BUDGET_USD: String(BUDGET),
    // One expected query a day: the whole of what is left goes to the next window, so the
    // window budget does not depend on the time of day the test runs at.
    BATCH_EXPECTED_QUERIES: '1',
    BATCH_WINDOW_SIZE: String(WINDOW),
    // Windows close by size only: a slow producer cannot split one.
    BATCH_WINDOW_MS: '600000',
    BATCH_SOLVER: 'auto',
    BATCH_ROBUST: 'true',
    // Each window at once: these tests check one plan's optimum (parts: the suite below).
    BATCH_DISPATCH_PARTS: '1',
    // Nor an exploration sub-round ahead of the rest (its own suite: batch-planner-explore).
    BATCH_EXPLORE: '0',
  });

  const plannerHealth = () => plannerHealthOf(e2e);
  const batchOf = (ids: string[]) => batchEventsOf(e2e, ids);

  const expectedCost = (e: BatchEvent) => e.assignments.reduce((s, a) => s + costs.expectedCost(a.model), 0);

  const runWindow = (prefix: string, firstRow: number) => runBatchWindow(e2e, prefix, firstRow, WINDOW);

  it('learns from per-query traffic which model is good, and the planner replica gets that policy', async () => {
    await teachScope(e2e, costs);
  });

  it('assigns a window as one optimisation within a binding budget, and every query is answered by its assigned model', async () => {
    const { ids, event, responses } = await runWindow('b1', 0);
    expect(batchOf(ids)).toHaveLength(1);
    expect(event.scope).toBe('default');
    expect(event.assignments.map((a) => a.requestId).sort()).toEqual([...ids].sort());
    expect(event.solver).toMatch(/^auto:(ilp|heuristic)$/);
    expect(event.bound).not.toBeNull();
    expect(event.objective).toBeLessThanOrEqual(event.bound! + 1e-9);
    // Nothing spent yet and one query expected per day: the window may spend the whole budget.
    expect(event.budgetUsd).toBeCloseTo(BUDGET, 12);

    // The budget binds: the best model for every query would cost more than it.
    expect(WINDOW * costs.expectedCost('acme/medium')).toBeGreaterThan(BUDGET);
    const cost = expectedCost(event);
    expect(cost).toBeLessThanOrEqual(event.budgetUsd! * (1 + 1e-9));
    // The optimum under the budget buys the best model for as many queries as it affords and
    // the cheapest for the rest: floor((B - 8 small) / (medium - small)) medium queries.
    const small = costs.expectedCost('acme/small');
    const medium = costs.expectedCost('acme/medium');
    const affordable = Math.floor((BUDGET - WINDOW * small) / (medium - small));
    const byModel = (m: string) => event.assignments.filter((a) => a.model === m).length;
    expect(affordable).toBeGreaterThan(0);
    expect(byModel('acme/medium')).toBe(affordable);
    expect(byModel('acme/small')).toBe(WINDOW - affordable);

    for (const a of event.assignments) {
      const r = responses.find((x) => x.key === a.requestId)!;
      expect(r.value.model).toBe(a.model);
      expect(r.value.decisionId).toBe(a.decisionId);
      expect(r.value.error).toBeUndefined();
    }
    const decisions = await waitFor('decisions of the window', () => {
      const d = e2e.sink.of(Topic.Decisions).filter((m) => ids.includes(m.value.requestId));
      return d.length >= WINDOW && d;
    });
    for (const d of decisions)
      expect(d.value).toMatchObject({ batchId: event.batchId, mode: 'batch', policy: 'explicit' });
    // The aggregator keeps the window id with each decision, for analysis of batch traffic.
    await waitFor(
      'decisions stored with their batch id',
      async () =>
        (await e2e.db.query('SELECT count(*)::int AS n FROM decisions WHERE batch_id = $1', [event.batchId])).rows[0]
          .n === WINDOW,
    );

    const ledger = await e2e.db.query(`SELECT period, spent_usd, queries FROM spend_ledger WHERE scope = 'default'`);
    expect(ledger.rows).toHaveLength(1);
    expect(ledger.rows[0].period).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(ledger.rows[0].spent_usd).toBeCloseTo(cost, 12);
    expect(ledger.rows[0].queries).toBe(WINDOW);
    // Each decision's share of that bill is filed under the same period, to be set against what it really cost.
    const bills = (
      await e2e.db.query(
        'SELECT decision_id, model, period, expected_usd FROM batch_bills WHERE decision_id = ANY($1)',
        [event.assignments.map((a) => a.decisionId)],
      )
    ).rows;
    expect(bills).toHaveLength(WINDOW);
    for (const b of bills) {
      expect(b.period).toBe(ledger.rows[0].period);
      expect(b.model).toBe(event.assignments.find((a) => a.decisionId === b.decision_id)!.model);
      expect(b.expected_usd).toBeCloseTo(costs.expectedCost(b.model), 12);
    }
  });

  it('shows the last window and the budget left on /health', async () => {
    const event = batchOf(['b1-0'])[0];
    const spent = (await e2e.db.query(`SELECT spent_usd FROM spend_ledger WHERE scope = 'default'`)).rows[0]
      .spent_usd as number;
    const w = (await plannerHealth()).windows;
    expect(w.open).toEqual([]);
    expect(w).toMatchObject({ closed: 1, failed: 0 });
    expect(w.last).toMatchObject({
      batchId: event.batchId,
      scope: 'default',
      queries: WINDOW,
      deferred: 0,
      solver: event.solver,
      objectiveKind: 'lcb',
      feasible: true,
      budgetUsd: event.budgetUsd,
    });
    expect(w.last.objective).toBeCloseTo(event.objective, 9);
    expect(w.last.gapPct).toBeGreaterThanOrEqual(0);
    expect(w.last.expectedCostUsd).toBeCloseTo(spent, 12);
    expect(w.budget.periodBudgetUsd).toBe(BUDGET);
    expect(w.budget.scopes.default.leftUsd).toBeCloseTo(BUDGET - spent, 12);
  });

  it('gives the next window what the ledger and the answered calls say is left; too little buys the cheapest assignment, with a warning', async () => {
    const spentBefore = (await e2e.db.query(`SELECT spent_usd FROM spend_ledger WHERE scope = 'default'`)).rows[0]
      .spent_usd as number;
    // No feedback yet: the first window's calls are billed at what the router logged they cost
    // when it answered them (test 1 waited for those decisions to be stored).
    const bills = (
      await e2e.db.query(
        `SELECT b.model, SUM(d.realised_cost_usd)::float8 AS realised, SUM(b.expected_usd)::float8 AS expected,
                COUNT(*)::int AS calls
           FROM batch_bills b JOIN decisions d ON d.decision_id = b.decision_id
          WHERE b.scope = 'default' AND d.realised_cost_usd IS NOT NULL GROUP BY b.model`,
      )
    ).rows as { model: string; realised: number; expected: number; calls: number }[];
    expect(bills.reduce((n, b) => n + b.calls, 0)).toBe(WINDOW);
    const billingError = bills.reduce((e, b) => e + b.realised - b.expected, 0);
    expect(billingError).not.toBe(0);
    const left = BUDGET - Math.max(0, spentBefore + billingError);
    // The first window took nearly everything: less than the best model for every query is left.
    expect(left).toBeLessThan(WINDOW * costs.expectedCost('acme/medium'));
    const small = bills.find((b) => b.model === 'acme/small');
    const smallLevel = small
      ? costLevel({ realisedUsd: small.realised, expectedUsd: small.expected, calls: small.calls })
      : 1;
    const cheapestBill = WINDOW * costs.expectedCost('acme/small') * smallLevel;

    const { event, responses } = await runWindow('b2', 20);
    expect(event.budgetUsd).toBeCloseTo(left, 12);
    expect(event.assignments.map((a) => a.model)).toEqual(Array(WINDOW).fill('acme/small'));
    // Infeasible exactly when what is left cannot buy the cheapest model, at its billed level, for every query.
    const infeasible = left < cheapestBill;
    expect(/infeasible/.test(event.warnings.join('\n'))).toBe(infeasible);
    expect(event.bound === null).toBe(infeasible);
    for (const r of responses) expect(r.value.model).toBe('acme/small');

    const after = (await e2e.db.query(`SELECT spent_usd, queries FROM spend_ledger WHERE scope = 'default'`)).rows[0];
    // Charged at the window's expected bill: list prices times each model's cost level from the
    // first window's bills (libs/core/pricing costLevel), filed per decision in batch_bills.
    const billed = (
      await e2e.db.query('SELECT SUM(expected_usd)::float8 AS usd FROM batch_bills WHERE decision_id = ANY($1)', [
        event.assignments.map((a) => a.decisionId),
      ])
    ).rows[0].usd as number;
    expect(billed).toBeCloseTo(cheapestBill, 12);
    // And the same calls before that level, what the next windows' level is measured against.
    const base = (
      await e2e.db.query('SELECT SUM(base_usd)::float8 AS usd FROM batch_bills WHERE decision_id = ANY($1)', [
        event.assignments.map((a) => a.decisionId),
      ])
    ).rows[0].usd as number;
    expect(base).toBeCloseTo(WINDOW * costs.expectedCost('acme/small'), 12);
    expect(after.spent_usd).toBeCloseTo(spentBefore + billed, 12);
    expect(after.queries).toBe(2 * WINDOW);
    const w = (await plannerHealth()).windows;
    expect(w).toMatchObject({ closed: 2, failed: 0 });
    expect(w.last).toMatchObject({ batchId: event.batchId, feasible: !infeasible });
    expect(w.budget.scopes.default.leftUsd).toBeCloseTo(Math.max(0, left - billed), 12);
  });

  it('charges the next windows with what the billed decisions really cost, not with what was expected of them', async () => {
    const ids = [...batchOf(['b1-0']), ...batchOf(['b2-0'])].map((b) => b.batchId);
    // The second window's responses were awaited, not the aggregator storing its decisions: poll.
    const decisions = await waitFor('decisions of both windows stored with their bills', async () => {
      const rows = (
        await e2e.db.query(
          'SELECT d.decision_id, b.expected_usd, b.base_usd FROM decisions d JOIN batch_bills b ON b.decision_id = d.decision_id WHERE d.batch_id = ANY($1)',
          [ids],
        )
      ).rows as { decision_id: string; expected_usd: number; base_usd: number }[];
      return rows.length >= 2 * WINDOW && rows;
    });
    expect(decisions).toHaveLength(2 * WINDOW);
    // The bills come in at a tenth of what the planner expected (a provider discount the price table did not know).
    const bill = (d: (typeof decisions)[number]) => 0.1 * d.expected_usd;
    await sendBills(
      e2e,
      decisions.map((d) => ({ decisionId: d.decision_id, costUsd: bill(d) })),
      0.8,
    );
    const realised = decisions.reduce((x, d) => x + bill(d), 0);
    const expected = decisions.reduce((x, d) => x + d.expected_usd, 0);
    const ledger = (await e2e.db.query(`SELECT spent_usd FROM spend_ledger WHERE scope = 'default'`)).rows[0]
      .spent_usd as number;
    const spent = Math.max(0, ledger + realised - expected);
    // Nine tenths of the expected bill came back: the next window can buy the good model again.
    expect(BUDGET - spent).toBeGreaterThan(WINDOW * costs.expectedCost('acme/small'));

    const { event } = await runWindow('b3', 30);
    expect(event.budgetUsd).toBeCloseTo(BUDGET - spent, 12);
    expect(event.warnings.join('\n')).not.toMatch(/infeasible/);
    expect(event.assignments.some((a) => a.model === 'acme/medium')).toBe(true);
    const w = (await plannerHealth()).windows;
    expect(w.last.billingErrorUsd).toBeCloseTo(realised - expected, 12);
    const ledgerAfter = (await e2e.db.query(`SELECT spent_usd FROM spend_ledger WHERE scope = 'default'`)).rows[0]
      .spent_usd as number;
    expect(w.budget.scopes.default.leftUsd).toBeCloseTo(BUDGET - Math.max(0, ledgerAfter + realised - expected), 12);
    // And the window was priced at what its models' bills say they cost: a tenth, shrunk towards
    // the list price by the prior of libs/core/pricing costLevel.
    const b3 = (
      await e2e.db.query('SELECT model, expected_usd FROM batch_bills WHERE decision_id = ANY($1)', [
        event.assignments.map((a) => a.decisionId),
      ])
    ).rows as { model: string; expected_usd: number }[];
    expect(b3).toHaveLength(WINDOW);
    const models = (
      await e2e.db.query(
        'SELECT d.decision_id, b.model FROM decisions d JOIN batch_bills b ON b.decision_id = d.decision_id WHERE d.batch_id = ANY($1)',
        [ids],
      )
    ).rows as { decision_id: string; model: string }[];
    const levels = b3.map((b) => {
      const mine = decisions.filter((d) => models.find((m) => m.decision_id === d.decision_id)!.model === b.model);
      const level = costLevel({
        realisedUsd: mine.reduce((x, d) => x + bill(d), 0),
        // Measured against the costs before the level the second window was priced at.
        expectedUsd: mine.reduce((x, d) => x + d.base_usd, 0),
        calls: mine.length,
      });
      expect(b.expected_usd).toBeCloseTo(costs.expectedCost(b.model) * level, 12);
      return level;
    });
    expect(Math.min(...levels)).toBeLessThan(0.9);
  });
});
