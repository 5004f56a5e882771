import { Topic } from '@llm-router/contracts';
import { CostModel } from '@llm-router/pricing';
import { DEFAULT_ARMS } from '../../tools/lib/synthetic-data';
import { batchEventsOf, plannerHealth, teachScope, usePlannerStack } from '../support/batch-planner-kit';
import { datasetQuery } from '../support/dataset-query';
import { LAST_WINDOW_SPLIT } from '../../apps/batch-planner/src/planner/window-dispatch';
import { waitFor } from '../support/kafka-test-kit';

/**
 * A window sent in parts on the real broker and database: acme/medium's calls really cost five
 * times what its price list says. The window is planned on the price list, so it buys medium for
 * as many queries as the budget affords at that price; once the bills of the first part holding
 * a medium call come back (the router's realised costs, stored by the aggregator), the later
 * parts get no more of them. Sent at once, every planned medium call would have gone.
 */
describe('batch planner: a window sent in parts, the bills of each before the next', () => {
  const WINDOW = 8;
  const DISPATCH_PARTS = 2;
  /** Each window is the period's last: LAST_WINDOW_SPLIT times the parts, one query each here. */
  const PARTS = Math.min(WINDOW, DISPATCH_PARTS * LAST_WINDOW_SPLIT);
  const SURPRISE = 5;
  const listed = new CostModel();
  for (const a of DEFAULT_ARMS) listed.setPrice({ model: a.id, inputPerM: a.inputPerM, outputPerM: a.outputPerM });
  const small = listed.expectedCost('acme/small');
  const medium = listed.expectedCost('acme/medium');
  /** Affords medium for four queries of the window at its list price. */
  const AFFORDABLE = 4;
  const BUDGET = WINDOW * small + (AFFORDABLE + 0.5) * (medium - small);
  const arms = DEFAULT_ARMS.map((a) => (a.id === 'acme/medium' ? { ...a, cost: SURPRISE * medium } : a));

  const e2e = usePlannerStack(
    'planner_parts',
    {
      BATCH_BUDGET_USD: String(BUDGET),
      // One expected query a day: each window is the period's last and may spend all that is left.
      BATCH_EXPECTED_QUERIES: '1',
      BATCH_WINDOW_SIZE: String(WINDOW),
      BATCH_WINDOW_MS: '600000',
      BATCH_ROBUST: 'false',
      BATCH_DISPATCH_PARTS: String(DISPATCH_PARTS),
      // The window in parts, not headed by an exploration sub-round (batch-planner-explore).
      BATCH_EXPLORE: '0',
    },
    arms,
  );

  it('learns from per-query traffic which model is good', async () => {
    await teachScope(e2e, new CostModel());
  });

  it('stops the surprising model after the first part that calls it, and every query is answered by its model', async () => {
    const ids = Array.from({ length: WINDOW }, (_, i) => `p-${i}`);
    await e2e.producer.send({
      topic: Topic.Queries,
      messages: ids.map((id, i) => datasetQuery(id, i, { constraints: { mode: 'batch' } })),
    });
    const responses = await waitFor(`${WINDOW} responses`, () => {
      const r = e2e.sink.of(Topic.Responses).filter((m) => ids.includes(m.key!));
      return r.length >= WINDOW && r;
    });
    const parts = await waitFor(`${PARTS} parts`, () => {
      const b = batchEventsOf(e2e, ids);
      return b.length >= PARTS && b;
    });
    expect(parts.map((p) => p.part)).toEqual(Array.from({ length: PARTS }, (_, index) => ({ index, of: PARTS })));
    expect(new Set(parts.map((p) => p.batchId)).size).toBe(1);
    const assignments = parts.flatMap((p) => p.assignments);
    // In the order the window received them.
    expect(assignments.map((a) => a.requestId).sort()).toEqual([...ids].sort());
    for (const a of assignments) expect(responses.find((r) => r.key === a.requestId)!.value.model).toBe(a.model);

    // The plan bought medium for AFFORDABLE queries, one per part at most: after the first part
    // with a medium call, its bills show five times the price, and no later part calls it.
    const mediumPerPart = parts.map((p) => p.assignments.filter((a) => a.model === 'acme/medium').length);
    const first = mediumPerPart.findIndex((n) => n > 0);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(mediumPerPart.slice(first + 1).every((n) => n === 0)).toBe(true);
    expect(mediumPerPart.reduce((x, n) => x + n, 0)).toBeLessThan(AFFORDABLE);
    expect((await plannerHealth(e2e)).windows.last).toMatchObject({ parts: PARTS, queries: WINDOW });
  });
});
