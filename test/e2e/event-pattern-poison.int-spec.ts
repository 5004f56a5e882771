import { Client } from 'pg';
import { INestApplication } from '@nestjs/common';
import { Producer } from 'kafkajs';
import { dlqTopic, Topic } from '@llm-router/contracts';
import { kafkaMicroserviceOptions } from '@llm-router/kafka';
import { startService } from '@llm-router/service';
import { PlannerModule } from '../../apps/batch-planner/src/app.module';
import { loadPlannerConfig } from '../../apps/batch-planner/src/config';
import { brokers, collect, plainKafka, plainProducer, resetTopics, waitFor } from '../support/kafka-test-kit';
import { freshDatabase } from '../support/database';

const GROUP = 'batch-planner-poison';

const query = (id: string) => ({
  partition: 0,
  key: id,
  value: JSON.stringify({
    id,
    scope: 'bp',
    messages: [{ role: 'user', content: `question ${id}` }],
    constraints: { mode: 'batch' },
  }),
});

/**
 * An @EventPattern consumer (the batch-planner's batch.requests) whose database refuses one
 * query: after the bounded retry the query is dead-lettered and the queries behind it on the
 * same partition are still enqueued.
 */
describe('batch-planner: a query the database refuses does not stop batch.requests', () => {
  let producer: Producer;
  let db: Client;
  let app: INestApplication | undefined;
  let sink: Awaited<ReturnType<typeof collect>>;

  beforeAll(async () => {
    await resetTopics();
    const databaseUrl = await freshDatabase('bppoison');
    producer = await plainProducer();
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
    sink = await collect([dlqTopic(Topic.BatchRequests)]);
    const env = {
      KAFKA_BROKERS: brokers().join(','),
      DATABASE_URL: databaseUrl,
      HTTP_PORT: '0',
      LOG_LEVEL: 'error',
      ROUTER_POLICY: 'random',
      PLANNER_GROUP_ID: GROUP,
      // Windows stay open: the test reads the queries in batch_pending.
      BATCH_WINDOW_MS: '600000',
      BATCH_WINDOW_SIZE: '1000',
      CONSUMER_RETRIES: '1',
      CONSUMER_RETRY_BACKOFF_MS: '50',
    };
    const config = loadPlannerConfig(env);
    app = await startService(PlannerModule.forRoot(config), {
      name: 'batch-planner',
      description: 'test',
      httpPort: 0,
      microservice: (log) => kafkaMicroserviceOptions({ brokers: brokers(), clientId: 'batch-planner' }, GROUP, log),
    });
    // The transport's group starts at the end of the topic: produce only once it owns the partitions.
    const admin = plainKafka('bp-admin').admin();
    await admin.connect();
    await waitFor('the planner group to be stable', async () => {
      const [g] = (await admin.describeGroups([GROUP])).groups;
      return g.state === 'Stable' && g.members.length === 1;
    });
    await admin.disconnect();
  });

  afterAll(async () => {
    await app?.close();
    await sink?.stop();
    await producer?.disconnect();
    await db?.end();
  });

  it('dead-letters the refused query and enqueues the next one of its partition', async () => {
    await db.query(`ALTER TABLE batch_pending ADD CONSTRAINT refuse_for_test CHECK (request_id NOT LIKE 'refused-%')`);
    await producer.send({ topic: Topic.BatchRequests, messages: ['bp-1', 'refused-1', 'bp-2'].map(query) });
    const pending = async () =>
      (await db.query(`SELECT request_id FROM batch_pending ORDER BY request_id`)).rows.map((r) => r.request_id);
    await waitFor('both good queries pending', async () => (await pending()).length === 2, 90000);
    expect(await pending()).toEqual(['bp-1', 'bp-2']);
    const letter = await waitFor('the dead letter', () => sink.of(dlqTopic(Topic.BatchRequests))[0]?.value);
    expect(letter).toMatchObject({ topic: Topic.BatchRequests, partition: 0, consumer: 'batch-planner' });
    expect(letter.error).toContain('refuse_for_test');
    expect(JSON.parse(Buffer.from(letter.valueBase64, 'base64').toString('utf8')).id).toBe('refused-1');
  });
});
