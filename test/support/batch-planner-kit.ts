import { type BatchRound, Topic } from '@llm-router/contracts';
import { CostModel } from '@llm-router/pricing';
import { datasetQuery } from './dataset-query';
import { sendFeedback } from './feedback';
import { waitFor } from './kafka-test-kit';
import { DEFAULT_ARMS, SyntheticArm, writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { StackHandles, useStack } from './use-stack';

/** What the batch-planner suites teach the aggregator: acme/medium is the best model, acme/large the most expensive. */
export const TAUGHT: Record<string, number> = { 'acme/small': 0.35, 'acme/medium': 0.9, 'acme/large': 0.6 };

export type Assignment = { requestId: string; model: string; decisionId: string };
export type BatchEvent = {
  batchId: string;
  scope: string;
  window?: { seq: number; round: BatchRound };
  part?: { index: number; of: number };
  assignments: Assignment[];
  objective: number;
  bound: number | null;
  solver: string;
  solveMs: number;
  budgetUsd: number | null;
  warnings: string[];
};

/**
 * The stack the batch-planner suites run on: every service with the planner, a synthetic dataset
 * of `arms`, the topics they read, and ucb1 (whose estimate of a model is the mean of its rewards).
 */
export function usePlannerStack(database: string, env: Record<string, string>, arms: SyntheticArm[] = DEFAULT_ARMS) {
  return useStack({
    database,
    dataset: () => writeSyntheticDataset(100, arms),
    topics: [Topic.Responses, Topic.Decisions, Topic.Prices, Topic.PolicyUpdates, Topic.BatchAssignments],
    planner: true,
    env: { ROUTER_POLICY: 'ucb1', ...env },
  });
}

/** The planner's /health checks. */
export async function plannerHealth(e2e: StackHandles) {
  const r = await fetch(`${await e2e.stack.url(e2e.stack.planner!)}/health`);
  expect(r.status).toBe(200);
  return (await r.json()).checks as { windows: any; replica: { scopes: Record<string, number> } };
}

/** The batch.assignments events holding any of these request ids. */
export const batchEventsOf = (e2e: StackHandles, ids: string[]) =>
  e2e.sink
    .of(Topic.BatchAssignments)
    .map((b) => b.value as BatchEvent)
    .filter((b) => b.assignments.some((a) => ids.includes(a.requestId)));

/**
 * Sends `size` batch queries (ids `prefix-0..`, dataset rows from `firstRow`) as one window and
 * waits for its first batch.assignments event and every answer.
 */
export async function runBatchWindow(e2e: StackHandles, prefix: string, firstRow: number, size: number) {
  const ids = Array.from({ length: size }, (_, i) => `${prefix}-${i}`);
  await e2e.producer.send({
    topic: Topic.Queries,
    messages: ids.map((id, i) => datasetQuery(id, firstRow + i, { constraints: { mode: 'batch' } })),
  });
  const event = await waitFor(`batch assignment of ${prefix}`, () => batchEventsOf(e2e, ids)[0]);
  const responses = await waitFor(`${size} responses of ${prefix}`, () => {
    const r = e2e.sink.of(Topic.Responses).filter((m) => ids.includes(m.key ?? ''));
    return r.length >= size && r;
  });
  return { ids, event, responses };
}

/**
 * Teaches the default scope TAUGHT through per-query traffic (8 calls per model) and feedback,
 * and waits until the planner's replica has that policy. Sets `costs` to the published prices.
 */
export async function teachScope(e2e: StackHandles, costs: CostModel): Promise<void> {
  await waitFor('3 prices', () => e2e.sink.of(Topic.Prices).length >= 3);
  for (const p of e2e.sink.of(Topic.Prices)) costs.setPrice(p.value);
  const models = Object.keys(TAUGHT);
  const train = models.flatMap((m, j) => Array.from({ length: 8 }, (_, i) => ({ id: `train-${j}-${i}`, model: m })));
  await e2e.producer.send({
    topic: Topic.Queries,
    messages: train.map((t, i) => datasetQuery(t.id, 50 + i, { constraints: { model: t.model } })),
  });
  const answered = await waitFor('training responses', () => {
    const r = e2e.sink.of(Topic.Responses).filter((m) => m.key!.startsWith('train-'));
    return r.length >= train.length && r;
  });
  await sendFeedback(e2e, answered, (r) => TAUGHT[r.value.model]);
  const snap = await waitFor('policy snapshot with every reward', () =>
    e2e.sink.of(Topic.PolicyUpdates).find((s) => s.value.scope === 'default' && s.value.rewardsApplied >= train.length),
  );
  await waitFor(
    'planner replica on that snapshot',
    async () => ((await plannerHealth(e2e)).replica.scopes['default'] ?? 0) >= snap.value.version,
  );
}

/**
 * Sends feedback on these decisions of the default scope, each scored `quality` and with a
 * provider's bill of `costUsd`, and waits until the aggregator has stored every reward.
 */
export async function sendBills(
  e2e: StackHandles,
  bills: readonly { decisionId: string; costUsd: number }[],
  quality: number,
): Promise<void> {
  await e2e.producer.send({
    topic: Topic.Feedback,
    messages: bills.map((b) => ({
      key: 'default',
      value: JSON.stringify({
        decisionId: b.decisionId,
        scope: 'default',
        quality,
        costUsd: b.costUsd,
        source: 'user',
        ts: new Date().toISOString(),
      }),
    })),
  });
  await waitFor(
    `${bills.length} rewards stored`,
    async () =>
      (
        await e2e.db.query('SELECT count(*)::int AS n FROM rewards WHERE decision_id = ANY($1)', [
          bills.map((b) => b.decisionId),
        ])
      ).rows[0].n === bills.length,
  );
}
