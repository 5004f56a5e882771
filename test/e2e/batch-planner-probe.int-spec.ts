import { Topic } from '@llm-router/contracts';
import { CostModel } from '@llm-router/pricing';
import { batchEventsOf, plannerHealth, TAUGHT, teachScope, usePlannerStack } from '../support/batch-planner-kit';
import { datasetQuery } from '../support/dataset-query';
import { sendFeedback } from '../support/feedback';
import { waitFor } from '../support/kafka-test-kit';

/**
 * The probe of a new kind of prompt in the running planner (BATCH_KIND_COSTS, docs/decisions/0050):
 * a window of prompts that end alike, a kind no earlier prompt showed, first sends a few of them
 * to the models worth a call (one each to a model not billed yet, and one more once its bill is
 * in: docs/decisions/0056), and the rest is planned once their rewards are learned, as
 * `replay --mode batch` plans it. Each bill is filed with its prompt's closing phrase, so the next
 * window of the same kind is priced from them and not probed again.
 */
describe('batch planner: a window of a new kind of prompt opens with a probe', () => {
  const WINDOW = 12;
  const CLOSING = 'answer and explain why';
  /** $0.0003 a query: acme/medium (about $0.0006 a call) is within six targets, acme/large ($0.004) is not. */
  const PER_QUERY = 0.0003;
  const EXPECTED = 1000;

  const e2e = usePlannerStack('planner_probe', {
    BATCH_BUDGET_USD: String(PER_QUERY * EXPECTED),
    BATCH_PACE_BY: 'queries',
    BATCH_EXPECTED_QUERIES: String(EXPECTED),
    BATCH_WINDOW_SIZE: String(WINDOW),
    BATCH_WINDOW_MS: '600000',
    BATCH_ROBUST: 'false',
    // The rest waits for the probe's rewards however slow this machine is.
    BATCH_FEEDBACK_WAIT_MS: '120000',
  });

  /** Sends a window of `WINDOW` queries of the kind (ids `prefix-i`, dataset rows from `firstRow`). */
  const sendKind = async (prefix: string, firstRow: number) => {
    const ids = Array.from({ length: WINDOW }, (_, i) => `${prefix}-${i}`);
    await e2e.producer.send({
      topic: Topic.Queries,
      messages: ids.map((id, i) =>
        datasetQuery(id, firstRow + i, {
          messages: [{ role: 'user', content: `Item ${firstRow + i}: pick the right ${CLOSING}.` }],
          constraints: { mode: 'batch' },
        }),
      ),
    });
    return ids;
  };
  const answersOf = (ids: readonly string[], n = ids.length) =>
    waitFor(`${n} answers`, () => {
      const r = e2e.sink.of(Topic.Responses).filter((m) => ids.includes(m.key ?? ''));
      return r.length >= n && r;
    });

  it('learns from per-query traffic which model is good', async () => {
    await teachScope(e2e, new CostModel());
  });

  it('probes the new kind on each model worth a call, then plans the rest on what it taught', async () => {
    const ids = await sendKind('k', 0);
    /**
     * Round `n` of the window, a stage of its probe: one call on each of acme/small and acme/medium
     * (none of acme/large, dearer than six per-query targets); nothing after it goes before its
     * rewards are learned, which it then sends. Returns its request ids.
     */
    const probeStage = async (n: number, name: string, round: 'probe' | 'top-up') => {
      const event = await waitFor(`the ${name} assigned`, () => batchEventsOf(e2e, ids)[n]);
      expect(event.batchId).toMatch(/-probe$/);
      expect(event.window?.round).toBe(round);
      expect(event.assignments.map((a) => a.model).sort()).toEqual(['acme/medium', 'acme/small']);
      const stageIds = event.assignments.map((a) => a.requestId);
      const answers = await answersOf(stageIds);
      expect(batchEventsOf(e2e, ids)).toHaveLength(n + 1);
      await sendFeedback(e2e, answers, (r) => TAUGHT[r.value.model]);
      return stageIds;
    };
    // No model has a batch bill this period yet: one call each.
    const probeIds = await probeStage(0, 'probe', 'probe');
    // Its second stage: the bills price both models within six targets, so each takes one more
    // call, learnt from before the rest too (docs/decisions/0056).
    const topUpIds = await probeStage(1, 'second stage', 'top-up');

    const rest = await waitFor('the rest assigned', () => batchEventsOf(e2e, ids)[2]);
    expect(rest.batchId).not.toMatch(/-probe$/);
    expect([...probeIds, ...topUpIds, ...rest.assignments.map((a) => a.requestId)].sort()).toEqual([...ids].sort());
    await answersOf(ids);
    expect((await plannerHealth(e2e)).windows.last.round).toBe('rest');

    // Every bill is filed with its prompt's closing phrase.
    const bills = await e2e.db.query(`SELECT closing, COUNT(*)::int AS n FROM batch_bills GROUP BY closing`);
    expect(bills.rows).toEqual([{ closing: CLOSING, n: WINDOW }]);
    // The next window waits for these rewards too.
    const restIds = rest.assignments.map((a) => a.requestId);
    await sendFeedback(e2e, await answersOf(restIds), (r) => TAUGHT[r.value.model]);
  });

  it('plans the next window of the kind whole: its prompts are no longer new', async () => {
    const ids = await sendKind('j', 20);
    const event = await waitFor('the window assigned', () => batchEventsOf(e2e, ids)[0]);
    expect(event.batchId).not.toMatch(/-probe$/);
    expect(event.assignments).toHaveLength(WINDOW);
    await answersOf(ids);
    expect((await plannerHealth(e2e)).windows.last.round).toBe('window');
  });
});
