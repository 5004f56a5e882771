import { Client } from 'pg';
import { INestApplication } from '@nestjs/common';
import { Producer } from 'kafkajs';
import { Topic } from '@llm-router/contracts';
import { startService } from '@llm-router/service';
import { AggregatorModule } from '../../apps/reward-aggregator/src/app.module';
import { loadAggregatorConfig } from '../../apps/reward-aggregator/src/config';
import { brokers, plainKafka, plainProducer, resetTopics, waitFor } from '../support/kafka-test-kit';
import { freshDatabase } from '../support/database';
import { dlqCli } from '../support/dlq-cli';
import { decisionEvent, feedbackEvent, keyed } from '../support/ledger-events';

const SCOPE = 'dlqcli';

const decision = (decisionId: string) => keyed(decisionEvent(SCOPE, decisionId, 'a', { twoArms: false }));
const feedback = (decisionId: string) => keyed(feedbackEvent(SCOPE, decisionId, 0.5));

/** Dead letters are listed with their error and source, and replayed to their topic once the cause is fixed. */
describe('dlq CLI: list and replay dead letters on the real broker', () => {
  let producer: Producer;
  let db: Client;
  let app: INestApplication | undefined;
  const rewards = async () => (await db.query('SELECT decision_id FROM rewards ORDER BY decision_id')).rows;
  const feedbackEnd = async () => {
    const admin = plainKafka('dlq-cli-admin').admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(Topic.Feedback);
    await admin.disconnect();
    return offsets.reduce((n, p) => n + Number(p.high), 0);
  };

  beforeAll(async () => {
    await resetTopics();
    const databaseUrl = await freshDatabase('dlqcli');
    producer = await plainProducer();
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
    app = await startService(
      AggregatorModule.forRoot(
        loadAggregatorConfig({
          KAFKA_BROKERS: brokers().join(','),
          DATABASE_URL: databaseUrl,
          HTTP_PORT: '0',
          LOG_LEVEL: 'error',
          ROUTER_POLICY: 'thompson',
          AGGREGATOR_GROUP_ID: 'reward-aggregator-dlq-cli',
          CONSUMER_RETRIES: '1',
          CONSUMER_RETRY_BACKOFF_MS: '50',
        }),
      ),
      { name: 'reward-aggregator', description: 'test', httpPort: 0 },
    );
  });

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    await db?.end();
  });

  it('lists the letters, replays only the selected ones, and --dry-run publishes nothing', async () => {
    // The database refuses rewards of refused-*, until the "fix" below drops the rule.
    await db.query(`ALTER TABLE rewards ADD CONSTRAINT refuse_for_test CHECK (decision_id NOT LIKE 'refused-%')`);
    await producer.send({ topic: Topic.Decisions, messages: ['ok-1', 'refused-1', 'refused-2'].map(decision) });
    await producer.send({
      topic: Topic.Feedback,
      messages: [feedback('ok-1'), feedback('refused-1'), { key: SCOPE, value: 'not json' }, feedback('refused-2')],
    });
    await waitFor('the good reward', async () => (await rewards()).length === 1);
    const listed = await waitFor('three dead letters', async () => {
      const lines = await dlqCli('list', Topic.Feedback);
      return lines.at(-1) === `3 dead letter(s) of ${Topic.Feedback}` && lines;
    });
    expect(listed.filter((l) => l.includes('refuse_for_test'))).toHaveLength(2);
    expect(listed.filter((l) => l.includes('not JSON'))).toHaveLength(1);
    for (const l of listed.slice(0, 3)) expect(l).toMatch(/feedback\.rewards\[\d+\]@\d+ key=dlqcli /);

    // An offset range selects by source offset: the first refused feedback only.
    const json = (await dlqCli('list', Topic.Feedback, '--json')).map((l) => JSON.parse(l));
    const first = json.find((l) => l.value.includes('refused-1'));
    const ranged = await dlqCli(
      'list',
      Topic.Feedback,
      '--partition',
      String(first.letter.partition),
      '--from-offset',
      first.letter.offset,
      '--to-offset',
      first.letter.offset,
    );
    expect(ranged).toHaveLength(2);
    expect(ranged[0]).toContain(`@${first.letter.offset} `);

    const end = await feedbackEnd();
    const dry = await dlqCli('replay', Topic.Feedback, '--error', 'refuse_for_test', '--dry-run');
    expect(dry.at(-1)).toBe(`would replay 2 message(s) to ${Topic.Feedback}`);
    expect(await feedbackEnd()).toBe(end);

    await db.query('ALTER TABLE rewards DROP CONSTRAINT refuse_for_test');
    const replayed = await dlqCli('replay', Topic.Feedback, '--error', 'REFUSE_FOR_TEST');
    expect(replayed.at(-1)).toBe(`replayed 2 message(s) to ${Topic.Feedback}`);
    expect(await feedbackEnd()).toBe(end + 2);
    await waitFor('the replayed rewards', async () => (await rewards()).length === 3);
    expect(await rewards()).toEqual([
      { decision_id: 'ok-1' },
      { decision_id: 'refused-1' },
      { decision_id: 'refused-2' },
    ]);
  });
});
