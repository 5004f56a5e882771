import { Client } from 'pg';
import { INestApplication } from '@nestjs/common';
import { Producer } from 'kafkajs';
import { Topic } from '@llm-router/contracts';
import { kafkaMicroserviceOptions } from '@llm-router/kafka';
import { startService } from '@llm-router/service';
import { PlannerModule } from '../../apps/batch-planner/src/app.module';
import { loadPlannerConfig } from '../../apps/batch-planner/src/config';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { freshDatabase } from '../support/database';
import { datasetQuery } from '../support/dataset-query';
import { brokers, collect, plainKafka, plainProducer, resetTopics, waitFor } from '../support/kafka-test-kit';
import { startStack, Stack } from '../support/stack';

const GROUP = 'batch-planner-durable';
const N = 12;

/**
 * Queries waiting in an open window survive a restart of the batch planner: they are in
 * batch_pending before their batch.requests offset is committed, so a planner stopped before
 * the window closes loses nothing; the next one reloads them and answers each once.
 */
describe('batch planner: open windows survive a restart', () => {
  let databaseUrl: string;
  let stack: Stack;
  let sink: Awaited<ReturnType<typeof collect>>;
  let producer: Producer;
  let db: Client;
  let planner: INestApplication | undefined;

  const env = () => ({
    KAFKA_BROKERS: brokers().join(','),
    DATABASE_URL: databaseUrl,
    HTTP_PORT: '0',
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'error',
    ROUTER_POLICY: 'ucb1',
    PLANNER_GROUP_ID: GROUP,
    BATCH_WINDOW_SIZE: '100',
  });

  /** A planner on the file's database; it returns once its consumer group has its partitions. */
  async function startPlanner(windowMs: number) {
    const c = loadPlannerConfig({ ...env(), BATCH_WINDOW_MS: String(windowMs) });
    planner = await startService(PlannerModule.forRoot(c), {
      name: 'batch-planner',
      description: 'batch-planner',
      httpPort: 0,
      microservice: (log) =>
        kafkaMicroserviceOptions({ brokers: c.KAFKA_BROKERS, clientId: c.KAFKA_CLIENT_ID }, c.PLANNER_GROUP_ID, log),
    });
    const admin = plainKafka('durable-admin').admin();
    await admin.connect();
    try {
      await waitFor('planner group stable', async () => {
        const g = (await admin.describeGroups([GROUP])).groups[0];
        return g.state === 'Stable' && g.members.length === 1;
      });
    } finally {
      await admin.disconnect();
    }
  }

  const stopPlanner = async () => {
    await planner?.close();
    planner = undefined;
  };

  const health = async () => {
    const r = await fetch(`${await stack.url(planner!)}/health`);
    return (await r.json()).checks.windows as {
      held: number;
      restored: number;
      open: { scope: string; queued: number }[];
      closed: number;
    };
  };

  const pendingIds = async () =>
    (await db.query(`SELECT request_id FROM batch_pending ORDER BY received_at, request_id`)).rows.map(
      (r) => r.request_id as string,
    );

  /** Every batch.requests message is committed by the planner's group. */
  async function committedAll() {
    const admin = plainKafka('durable-admin').admin();
    await admin.connect();
    try {
      const end = await admin.fetchTopicOffsets(Topic.BatchRequests);
      const [committed] = await admin.fetchOffsets({ groupId: GROUP, topics: [Topic.BatchRequests] });
      const total = end.reduce((s, p) => s + Number(p.high), 0);
      const done = committed.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
      return total > 0 && done === total;
    } finally {
      await admin.disconnect();
    }
  }

  const query = (id: string, row: number) => datasetQuery(id, row, { constraints: { mode: 'batch' } });

  const answers = (ids: string[]) => sink.of(Topic.Responses).filter((m) => ids.includes(m.key!));

  beforeAll(async () => {
    await resetTopics();
    databaseUrl = await freshDatabase('durable');
    const data = writeSyntheticDataset(40);
    sink = await collect([Topic.Responses, Topic.BatchAssignments]);
    stack = await startStack({
      databaseUrl,
      dataPath: data.dataPath,
      modelsPath: data.modelsPath,
      env: { ROUTER_POLICY: 'ucb1' },
    });
    producer = await plainProducer();
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await stopPlanner().catch(() => undefined);
    await producer?.disconnect();
    await sink?.stop();
    await stack?.stop();
    await db?.end();
  });

  const ids = Array.from({ length: N }, (_, i) => `durable-${i}`);

  it('writes each received query to batch_pending once, before its offset is committed', async () => {
    // The window would close only after ten minutes: the queries stay in the open window.
    await startPlanner(600_000);
    // durable-0 twice: the re-delivery of a pending query is neither stored nor queued twice.
    await producer.send({ topic: Topic.Queries, messages: [...ids.map((id, i) => query(id, i)), query(ids[0], 0)] });
    await waitFor('batch.requests all consumed and committed', () => committedAll());
    expect((await pendingIds()).sort()).toEqual([...ids].sort());
    const w = await health();
    expect(w.held).toBe(N);
    expect(w.open).toMatchObject([{ scope: 'default', queued: N }]);
    expect(w.closed).toBe(0);
    const row = (await db.query(`SELECT scope, query, received_at FROM batch_pending WHERE request_id = $1`, [ids[3]]))
      .rows[0];
    expect(row.scope).toBe('default');
    expect(row.query).toMatchObject({ id: ids[3], scope: 'default', constraints: { mode: 'batch' } });
    expect(row.received_at).toBeInstanceOf(Date);
  });

  it('a planner stopped with an open window loses nothing: the next one reloads and answers every query once', async () => {
    await stopPlanner();
    // Kafka has nothing left to re-deliver (offsets committed): only batch_pending holds them.
    expect(await committedAll()).toBe(true);
    expect((await pendingIds()).sort()).toEqual([...ids].sort());
    expect(answers(ids)).toHaveLength(0);

    // A short window: the reloaded one reopens at its oldest query's receipt, long enough ago.
    await startPlanner(1000);
    const answered = await waitFor(`${N} responses after the restart`, () => {
      const r = answers(ids);
      return new Set(r.map((m) => m.key)).size === N && r;
    });
    for (const r of answered) expect(r.value.error).toBeUndefined();
    await waitFor('batch_pending empty', async () => (await pendingIds()).length === 0);
    const w = await health();
    expect(w).toMatchObject({ restored: N, held: 0, open: [], closed: 1 });

    // Nothing comes twice: one window (its exploration sub-round and the rest), one answer per request id.
    await new Promise((r) => setTimeout(r, 3000));
    const byId = new Map<string, number>();
    for (const m of answers(ids)) byId.set(m.key!, (byId.get(m.key!) ?? 0) + 1);
    expect([...byId.keys()].sort()).toEqual([...ids].sort());
    expect([...byId.values()].every((n) => n === 1)).toBe(true);
    const windows = sink
      .of(Topic.BatchAssignments)
      .filter((b) => b.value.assignments.some((a: { requestId: string }) => ids.includes(a.requestId)));
    const assigned = windows.flatMap((b) => b.value.assignments.map((a: { requestId: string }) => a.requestId));
    expect(assigned.sort()).toEqual([...ids].sort());
  });

  it('after the restart, new batch queries are stored and deleted once dispatched as usual', async () => {
    const more = ['durable-after-0', 'durable-after-1'];
    await producer.send({ topic: Topic.Queries, messages: more.map((id, i) => query(id, 20 + i)) });
    await waitFor('responses of the new queries', () => new Set(answers(more).map((m) => m.key)).size === more.length);
    await waitFor('batch_pending empty again', async () => (await pendingIds()).length === 0);
    expect(answers(more)).toHaveLength(more.length);
  });
});
