import { Topic } from '@llm-router/contracts';
import { CostModel } from '@llm-router/pricing';
import {
  TAUGHT,
  batchEventsOf,
  plannerHealth,
  teachScope,
  usePlannerStack,
  runBatchWindow,
} from '../support/batch-planner-kit';
import { sendFeedback } from '../support/feedback';
import { waitFor } from '../support/kafka-test-kit';

/**
 * The batch replay's recent-residual correction in the running planner: each window's estimates
 * move by how the calls of the windows before it did against the estimates they were planned on.
 * The planner keeps each call's estimate when it sends it, reads its reward (the aggregator's
 * rewards table) when the next window is planned, and shows the correction on /health. The
 * correction is stored (batch_residuals), so a restarted planner goes on with it.
 */
describe('batch planner: windows corrected by the residuals of the windows before', () => {
  const WINDOW = 8;
  /** What the first window's calls are scored, far below what the policy was taught of every model. */
  const SCORED = 0.3;

  const e2e = usePlannerStack('planner_residuals', {
    BATCH_RECENT_CORRECTION: 'on',
    BATCH_WINDOW_SIZE: String(WINDOW),
    BATCH_WINDOW_MS: '600000',
    BATCH_ROBUST: 'false',
  });

  const runWindow = (prefix: string, firstRow: number) => runBatchWindow(e2e, prefix, firstRow, WINDOW);

  it('learns from per-query traffic which model is good', async () => {
    await teachScope(e2e, new CostModel());
  });

  it("moves each model's estimates by its last calls' residuals", async () => {
    const first = await runWindow('r1', 0);
    let w = (await plannerHealth(e2e)).windows;
    // Nothing was observed before the first window.
    expect(Object.values(w.last.residualCorrection)).toEqual(Object.keys(TAUGHT).map(() => 0));

    await sendFeedback(e2e, first.responses, () => SCORED);
    const taught = 3 * 8;
    const snap = await waitFor('policy snapshot with the window rewarded', () =>
      e2e.sink
        .of(Topic.PolicyUpdates)
        .find((s) => s.value.scope === 'default' && s.value.rewardsApplied >= taught + WINDOW),
    );
    await waitFor(
      'planner replica on that snapshot',
      async () => ((await plannerHealth(e2e)).replica.scopes['default'] ?? 0) >= snap.value.version,
    );

    await runWindow('r2', 20);
    w = (await plannerHealth(e2e)).windows;
    const calls = (m: string) => first.event.assignments.filter((a) => a.model === m).length;
    for (const m of Object.keys(TAUGHT)) {
      const n = calls(m);
      // Planned at what the policy was taught (ucb1: the mean of its rewards), realised SCORED;
      // the first window's residuals weigh 0.8 in the next, against one call of prior (over all
      // kinds of prompt: the figure /health shows per model).
      const expected = n === 0 ? 0 : (0.8 * n * (SCORED - TAUGHT[m])) / (0.8 * n + 1);
      expect(w.last.residualCorrection[m]).toBeCloseTo(expected, 2);
    }
    expect(first.event.assignments.some((a) => TAUGHT[a.model] > SCORED)).toBe(true);
  });

  it('keeps its correction across a restart: the next window is corrected as the last process would have', async () => {
    const before = await plannerHealth(e2e);
    const version = before.replica.scopes['default'];
    const r1 = batchEventsOf(e2e, ['r1-0'])[0];
    await e2e.stack.restartPlanner();
    await waitFor(
      'restarted planner on the policy',
      async () => ((await plannerHealth(e2e)).replica.scopes['default'] ?? 0) >= version,
    );

    await runWindow('r3', 40);
    const w = (await plannerHealth(e2e)).windows;
    for (const m of Object.keys(TAUGHT)) {
      const n = r1.assignments.filter((a) => a.model === m).length;
      // The first window's residuals fade once more (0.8 x 0.8); the second's calls are still unrewarded.
      const expected = n === 0 ? 0 : (0.64 * n * (SCORED - TAUGHT[m])) / (0.64 * n + 1);
      expect(w.last.residualCorrection[m]).toBeCloseTo(expected, 2);
    }
    expect(Object.values(w.last.residualCorrection).some((c) => c !== 0)).toBe(true);
  });
});
