import { Topic } from '@llm-router/contracts';
import { CostModel } from '@llm-router/pricing';
import {
  TAUGHT,
  batchEventsOf,
  plannerHealth,
  runBatchWindow,
  teachScope,
  usePlannerStack,
} from '../support/batch-planner-kit';
import { sendFeedback } from '../support/feedback';
import { waitFor } from '../support/kafka-test-kit';

/**
 * The batch replay's exploration sub-round in the running planner: the queries at the head of a
 * window are planned on optimistic estimates and sent first, and the rest of the window is planned
 * only once the policy has learned from their rewards, as the replay plans it.
 */
describe('batch planner: a window headed by an exploration sub-round', () => {
  const WINDOW = 12;
  const EXPLORE = 5;
  const taught = 3 * 8;

  const e2e = usePlannerStack('planner_explore', {
    BATCH_EXPLORE: String(EXPLORE),
    BATCH_WINDOW_SIZE: String(WINDOW),
    BATCH_WINDOW_MS: '600000',
    BATCH_ROBUST: 'false',
    // The rest waits for the sub-round's rewards however slow this machine is.
    BATCH_FEEDBACK_WAIT_MS: '120000',
  });

  it('learns from per-query traffic which model is good', async () => {
    await teachScope(e2e, new CostModel());
  });

  it('sends the sub-round first and plans the rest on what its rewards taught', async () => {
    const ids = Array.from({ length: WINDOW }, (_, i) => `x-${i}`);
    const window = runBatchWindow(e2e, 'x', 0, WINDOW);
    const head = await waitFor('the sub-round assigned', () => batchEventsOf(e2e, ids)[0]);
    expect(head.batchId).toMatch(/-explore$/);
    expect(head.window).toEqual({ seq: expect.any(Number), round: 'exploration' });
    // The window's first queries as the planner received them (from several partitions).
    const headIds = head.assignments.map((a) => a.requestId);
    expect(headIds).toHaveLength(EXPLORE);
    // Every model was taught on 8 calls, so the optimism is alike and the best model takes them.
    expect(head.assignments.map((a) => a.model)).toEqual(Array(EXPLORE).fill('acme/medium'));

    const answers = await waitFor('the sub-round answered', () => {
      const r = e2e.sink.of(Topic.Responses).filter((m) => headIds.includes(m.key ?? ''));
      return r.length >= EXPLORE && r;
    });
    // Nothing of the rest goes before the sub-round's rewards are learned.
    expect(batchEventsOf(e2e, ids)).toHaveLength(1);
    // ucb1 estimates a model at the mean of its rewards: 8 x 0.9 + 5 x 0 over 13 calls is below acme/large's 0.6.
    await sendFeedback(e2e, answers, () => 0);

    const { responses } = await window;
    const rest = await waitFor('the rest assigned', () => batchEventsOf(e2e, ids)[1]);
    expect(rest.batchId).not.toMatch(/-explore$/);
    expect(rest.window).toEqual({ seq: head.window!.seq, round: 'rest' });
    expect([...headIds, ...rest.assignments.map((a) => a.requestId)].sort()).toEqual([...ids].sort());
    expect(rest.assignments.map((a) => a.model)).toEqual(Array(WINDOW - EXPLORE).fill('acme/large'));
    expect((8 * TAUGHT['acme/medium']) / (8 + EXPLORE)).toBeLessThan(TAUGHT['acme/large']);
    expect(responses).toHaveLength(WINDOW);

    const w = (await plannerHealth(e2e)).windows;
    expect(w.last.round).toBe('rest');
    expect(w.last.rewardsLearned).toBeGreaterThanOrEqual(taught + EXPLORE);
    expect(w.closed).toBe(1);
  });
});

/**
 * The default BATCH_EXPLORE (`unknown`): ucb1 knows nothing of a model it never pulled, and
 * planned on its placeholder mean the model was never called; so a window that offers such a
 * model opens with the sub-round, which tries each once, and later windows are planned whole.
 */
describe('batch planner: by default, a window offering a model the policy knows nothing of opens with the sub-round', () => {
  const WINDOW = 12;
  const e2e = usePlannerStack('planner_unknown', {
    BATCH_WINDOW_SIZE: String(WINDOW),
    BATCH_WINDOW_MS: '600000',
    BATCH_ROBUST: 'false',
    BATCH_FEEDBACK_WAIT_MS: '120000',
  });

  it('tries every model once at the head of the first window, then plans the next window whole', async () => {
    await waitFor('3 prices', () => e2e.sink.of(Topic.Prices).length >= 3);
    const ids = Array.from({ length: WINDOW }, (_, i) => `u-${i}`);
    const window = runBatchWindow(e2e, 'u', 0, WINDOW);
    const head = await waitFor('the sub-round assigned', () => batchEventsOf(e2e, ids)[0]);
    expect(head.batchId).toMatch(/-explore$/);
    expect(head.assignments.map((a) => a.model).sort()).toEqual(Object.keys(TAUGHT).sort());
    const headIds = head.assignments.map((a) => a.requestId);
    const headAnswers = await waitFor('the sub-round answered', () => {
      const r = e2e.sink.of(Topic.Responses).filter((m) => headIds.includes(m.key ?? ''));
      return r.length >= headIds.length && r;
    });
    await sendFeedback(e2e, headAnswers, (r) => TAUGHT[r.value.model]);

    const { responses } = await window;
    expect(responses).toHaveLength(WINDOW);
    const rest = await waitFor('the rest assigned', () => batchEventsOf(e2e, ids)[1]);
    expect(rest.batchId).not.toMatch(/-explore$/);
    expect([...headIds, ...rest.assignments.map((a) => a.requestId)].sort()).toEqual([...ids].sort());
    // One reward each is what ucb1 knows: acme/medium's 0.9 is the best mean (no budget binds).
    expect(rest.assignments.map((a) => a.model)).toEqual(Array(WINDOW - headIds.length).fill('acme/medium'));
    await sendFeedback(
      e2e,
      responses.filter((m) => !headIds.includes(m.key ?? '')),
      (r) => TAUGHT[r.value.model],
    );

    const next = await runBatchWindow(e2e, 'v', 20, WINDOW);
    expect(next.event.batchId).not.toMatch(/-explore$/);
    expect(next.event.window).toEqual({ seq: expect.any(Number), round: 'window' });
    expect(next.event.window!.seq).toBeGreaterThan(rest.window!.seq);
    expect(next.event.assignments).toHaveLength(WINDOW);
    expect((await plannerHealth(e2e)).windows.last.round).toBe('window');
  });
});
