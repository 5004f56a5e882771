import { Client } from 'pg';
import { Producer } from 'kafkajs';
import { Topic } from '@llm-router/contracts';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { freshDatabase } from '../support/database';
import { collect, partitionsOf, plainProducer, resetTopics, waitFor } from '../support/kafka-test-kit';
import { startStack, Stack } from '../support/stack';
import { promptsOf } from '../support/use-stack';

/**
 * Queries on partitions the router group has never committed an offset for are answered, not
 * skipped: those produced before the first router started, as after a crash before the first
 * commit (the router then started at the end of each partition, and those queries were never
 * answered: found with a record that crashed the consumer, docs/decisions/0051). Batch queries
 * that reach the batch-planner the same way are planned.
 */
describe('the first router of a group answers what was produced before it started', () => {
  let stack: Stack | undefined;
  let producer: Producer;
  let db: Client;
  let sink: Awaited<ReturnType<typeof collect>>;

  beforeAll(async () => {
    await resetTopics();
    producer = await plainProducer();
    sink = await collect([Topic.Responses]);
  });

  afterAll(async () => {
    await stack?.stop();
    await sink?.stop();
    await producer?.disconnect();
    await db?.end();
  });

  it('answers per-query and batch queries produced while no router or batch-planner had run', async () => {
    const data = writeSyntheticDataset(30);
    const prompts = promptsOf(data.dataPath);
    const partitions = await partitionsOf(Topic.Queries);
    const query = (id: string, row: number, mode: 'query' | 'batch') => ({
      id,
      messages: [{ role: 'user', content: prompts[row] }],
      datasetRow: row,
      constraints: { mode },
    });
    const early = partitions.map((p) => ({ partition: p, id: `early-${p}`, mode: 'query' as const }));
    const batch = [0, 1, 2].map((i) => ({
      partition: partitions[i % partitions.length],
      id: `early-batch-${i}`,
      mode: 'batch' as const,
    }));
    await producer.send({
      topic: Topic.Queries,
      messages: [...early, ...batch].map((q, i) => ({
        partition: q.partition,
        key: q.id,
        value: JSON.stringify(query(q.id, i, q.mode)),
      })),
    });

    // And straight on batch.requests, before any batch-planner ran.
    const direct = [0, 1].map((i) => `direct-batch-${i}`);
    await producer.send({
      topic: Topic.BatchRequests,
      messages: direct.map((id, i) => ({ key: id, value: JSON.stringify(query(id, 10 + i, 'batch')) })),
    });

    const databaseUrl = await freshDatabase('firststart');
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
    stack = await startStack({ databaseUrl, dataPath: data.dataPath, modelsPath: data.modelsPath, planner: true });

    const ids = [...early, ...batch].map((q) => q.id).concat(direct);
    const answered = () => {
      const got = new Set(sink.of(Topic.Responses).map((r) => r.value?.id));
      return ids.filter((id) => !got.has(id));
    };
    await waitFor(
      'every query produced before the stack started to be answered',
      () => answered().length === 0,
      120_000,
    ).catch((e) => {
      throw new Error(`${(e as Error).message}: unanswered ${answered().join(', ')}`);
    });
  });
});
