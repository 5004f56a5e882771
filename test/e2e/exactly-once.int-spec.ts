import { Client } from 'pg';
import { INestApplication } from '@nestjs/common';
import { Producer } from 'kafkajs';
import { Topic } from '@llm-router/contracts';
import { brokers, plainKafka, plainProducer, resetTopics, waitFor } from '../support/kafka-test-kit';
import { freshDatabase } from '../support/database';
import { startAggregator } from '../support/aggregator';
import { decisionEvent, feedbackEvent, keyed } from '../support/ledger-events';

const GROUP = 'reward-aggregator-eo';
const N = 60;

/**
 * A restart of the reward aggregator, with Kafka's committed offsets lost (the window between
 * the database commit and Kafka's commit), and even with the database offsets lost too,
 * neither loses nor double-counts a reward.
 */
describe('reward aggregator: exactly-once effect across restarts', () => {
  let databaseUrl: string;
  let producer: Producer;
  let db: Client;
  let app: INestApplication | undefined;

  const start = async () => {
    app = await startAggregator(databaseUrl, GROUP, { BUDGET_PER_QUERY_USD: '0.001' });
  };
  const stop = async () => {
    await app?.close();
    app = undefined;
  };
  const count = async (sql: string) => (await db.query(sql)).rows[0].n as number;

  beforeAll(async () => {
    await resetTopics();
    databaseUrl = await freshDatabase('eo');
    producer = await plainProducer();
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await stop();
    await producer?.disconnect();
    await db?.end();
  });

  /** Rewinds the group's committed Kafka offsets to the start of both topics. */
  async function rewindKafkaOffsets() {
    const admin = plainKafka('eo-admin').admin();
    await admin.connect();
    for (const topic of [Topic.Decisions, Topic.Feedback])
      await admin.resetOffsets({ groupId: GROUP, topic, earliest: true });
    await admin.disconnect();
  }

  it('applies every reward once', async () => {
    await start();
    const ts = new Date().toISOString();
    const decisions = Array.from({ length: N }, (_, i) => decisionEvent('eo', `d-${i}`, i % 2 ? 'a' : 'b', { ts }));
    // Half of the feedback comes before its decision, one in five twice.
    const feedback = decisions.flatMap((d, i) => {
      const f = keyed(feedbackEvent('eo', d.decisionId, (i % 10) / 10, { ts }));
      return i % 5 === 0 ? [f, f] : [f];
    });
    await producer.send({ topic: Topic.Feedback, messages: feedback.slice(0, feedback.length / 2) });
    await producer.send({
      topic: Topic.Decisions,
      messages: decisions.map(keyed),
    });
    await producer.send({ topic: Topic.Feedback, messages: feedback.slice(feedback.length / 2) });
    await waitFor('all rewards', async () => (await count('SELECT count(*)::int AS n FROM rewards')) === N);
    await waitFor(
      'state persisted',
      async () =>
        (await db.query(`SELECT rewards_applied FROM policy_state WHERE scope = 'eo'`)).rows[0]?.rewards_applied === N,
    );
    await stop();
  });

  it('after Kafka forgets its offsets, a restart skips what the database already holds', async () => {
    const before = (
      await db.query(`SELECT version, rewards_applied, cumulative_reward, pacer FROM policy_state WHERE scope = 'eo'`)
    ).rows[0];
    await rewindKafkaOffsets();
    await start();
    // A marker after the replayed range: once it is applied, everything before it was read.
    await producer.send({
      topic: Topic.Decisions,
      messages: [keyed(decisionEvent('eo', 'd-marker', 'a', { twoArms: false }))],
    });
    await waitFor(
      'marker decision',
      async () => (await count(`SELECT count(*)::int AS n FROM decisions WHERE decision_id = 'd-marker'`)) === 1,
    );
    const after = (
      await db.query(`SELECT rewards_applied, cumulative_reward, pacer FROM policy_state WHERE scope = 'eo'`)
    ).rows[0];
    expect(after.rewards_applied).toBe(N);
    expect(after.cumulative_reward).toBeCloseTo(before.cumulative_reward, 9);
    // The fleet pacer (stored pacing, version 2) saw the 60 replayed decisions' spend once, plus the marker's.
    expect(after.pacer.pacer.done).toBe(before.pacer.pacer.done + 1);
    expect(await count('SELECT count(*)::int AS n FROM rewards')).toBe(N);
    await stop();
  });

  it('even with the database offsets gone too, the ledger key refuses a second count', async () => {
    await db.query('DELETE FROM consumer_offsets');
    await rewindKafkaOffsets();
    await start();
    await producer.send({
      topic: Topic.Feedback,
      messages: [
        {
          key: 'eo',
          value: JSON.stringify({
            decisionId: 'd-marker',
            scope: 'eo',
            quality: 1,
            source: 'user',
            ts: new Date().toISOString(),
          }),
        },
      ],
    });
    await waitFor(
      'marker reward',
      async () => (await count(`SELECT count(*)::int AS n FROM rewards WHERE decision_id = 'd-marker'`)) === 1,
    );
    expect(await count('SELECT count(*)::int AS n FROM rewards')).toBe(N + 1);
    const state = (await db.query(`SELECT rewards_applied FROM policy_state WHERE scope = 'eo'`)).rows[0];
    expect(state.rewards_applied).toBe(N + 1);
  });
});
