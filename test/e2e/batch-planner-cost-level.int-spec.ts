import { CostModel, costLevel } from '@llm-router/pricing';
import { StackHandles } from '../support/use-stack';
import { runBatchWindow, sendBills, teachScope, usePlannerStack } from '../support/batch-planner-kit';
import { waitFor } from '../support/kafka-test-kit';

/**
 * The planner prices a model at the cost level of its last BATCH_COST_LEVEL_CALLS billed calls, as
 * the batch replay's calibration does: a model whose first window's calls cost three times their
 * estimate and whose next window's cost it is priced at its estimate again, not at the level of
 * the period.
 */
describe("batch planner: a model's cost level from its latest calls", () => {
  const WINDOW = 8;

  const e2e = usePlannerStack('planner_cost_level', {
    BATCH_COST_LEVEL_CALLS: String(WINDOW),
    BATCH_WINDOW_SIZE: String(WINDOW),
    BATCH_WINDOW_MS: '600000',
    // Each window planned whole, so that its calls are the level's last WINDOW.
    BATCH_EXPLORE: '0',
    // No budget: every window goes to the model taught best, whose calls make its level.
  });

  it('learns from per-query traffic which model is good', async () => {
    await teachScope(e2e, new CostModel());
  });

  it("prices the third window at its model's last window's bills, not at the period's", async () => {
    const first = await billsOf(e2e, await runBatchWindow(e2e, 'c1', 0, WINDOW));
    const model = first[0].model;
    expect(first.every((b) => b.model === model)).toBe(true);
    await sendBills(
      e2e,
      first.map((b) => ({ decisionId: b.decision_id, costUsd: 3 * b.base_usd })),
      0.9,
    );

    const second = await billsOf(e2e, await runBatchWindow(e2e, 'c2', 20, WINDOW));
    expect(second.every((b) => b.model === model)).toBe(true);
    // Priced at the first window's level: every call at three times its estimate.
    const firstLevel = costLevel({ realisedUsd: 3 * WINDOW, expectedUsd: WINDOW, calls: WINDOW });
    for (const b of second) expect(b.expected_usd).toBeCloseTo(b.base_usd * firstLevel, 12);
    await sendBills(
      e2e,
      second.map((b) => ({ decisionId: b.decision_id, costUsd: b.base_usd })),
      0.9,
    );

    const third = await billsOf(e2e, await runBatchWindow(e2e, 'c3', 40, WINDOW));
    expect(third.some((b) => b.model === model)).toBe(true);
    // Its last eight calls cost their estimate: level 1. Over the period's sixteen it would be
    // (3 * 8 + 8 + 10) / (16 + 10) per estimated dollar, with costLevel's ten calls of prior.
    for (const b of third.filter((x) => x.model === model)) expect(b.expected_usd).toBeCloseTo(b.base_usd, 12);
  });
});

/** A window's bills once the aggregator has stored its decisions, which its feedback needs. */
async function billsOf(e2e: StackHandles, window: { event: { assignments: { decisionId: string }[] } }) {
  const ids = window.event.assignments.map((a) => a.decisionId);
  return waitFor(`decisions and bills of ${ids.length} calls`, async () => {
    const rows = (
      await e2e.db.query(
        `SELECT b.decision_id, b.model, b.expected_usd, b.base_usd
           FROM batch_bills b JOIN decisions d ON d.decision_id = b.decision_id
          WHERE b.decision_id = ANY($1)`,
        [ids],
      )
    ).rows as { decision_id: string; model: string; expected_usd: number; base_usd: number }[];
    return rows.length === ids.length && rows;
  });
}
