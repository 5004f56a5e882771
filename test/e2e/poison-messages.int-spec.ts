import { Client } from 'pg';
import { INestApplication } from '@nestjs/common';
import { Producer } from 'kafkajs';
import { dlqTopic, Topic } from '@llm-router/contracts';
import { brokers, collect, plainKafka, plainProducer, resetTopics, waitFor } from '../support/kafka-test-kit';
import { freshDatabase } from '../support/database';
import { startAggregator } from '../support/aggregator';
import { decisionEvent, feedbackEvent, keyed } from '../support/ledger-events';

const GROUP = 'reward-aggregator-poison';
const SCOPE = 'poison';
const N = 20;

const decision = (id: string) => keyed(decisionEvent(SCOPE, id, id.length % 2 ? 'a' : 'b'));
const feedback = (decisionId: string, quality = 0.5) => keyed(feedbackEvent(SCOPE, decisionId, quality));

/**
 * A message that passes its schema but that processing or the database refuses must not stop
 * its partition: after a bounded retry it goes to <topic>.dlq and the aggregator moves on,
 * applying every other message of the batch exactly once.
 */
describe('reward aggregator: poison messages are dead-lettered, the partition keeps flowing', () => {
  let databaseUrl: string;
  let producer: Producer;
  let db: Client;
  let app: INestApplication | undefined;
  let sink: Awaited<ReturnType<typeof collect>>;

  const start = async () => {
    app = await startAggregator(databaseUrl, GROUP, { CONSUMER_RETRIES: '2', CONSUMER_RETRY_BACKOFF_MS: '50' });
  };
  const stop = async () => {
    await app?.close();
    app = undefined;
  };
  const count = async (sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows[0].n as number;
  const rewardsApplied = async () =>
    (await db.query(`SELECT rewards_applied FROM policy_state WHERE scope = $1`, [SCOPE])).rows[0]?.rewards_applied;
  const deadLetters = () => sink.of(dlqTopic(Topic.Feedback)).map((r) => r.value);

  beforeAll(async () => {
    await resetTopics();
    databaseUrl = await freshDatabase('poison');
    producer = await plainProducer();
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
    sink = await collect([dlqTopic(Topic.Feedback), dlqTopic(Topic.Decisions)]);
  });

  afterAll(async () => {
    await stop();
    await sink?.stop();
    await producer?.disconnect();
    await db?.end();
  });

  it('a feedback whose decision id holds NUL (PostgreSQL refuses it) does not stop later feedback', async () => {
    await start();
    const ids = Array.from({ length: N }, (_, i) => `nul-${i}`);
    await producer.send({ topic: Topic.Decisions, messages: ids.map(decision) });
    await waitFor('decisions stored', async () => (await count('SELECT count(*)::int AS n FROM decisions')) === N);
    // One send: the poison sits in the middle of the batch the aggregator fetches.
    await producer.send({
      topic: Topic.Feedback,
      messages: [
        ...ids.slice(0, N / 2).map((id) => feedback(id)),
        feedback('nul-\u0000-bad'),
        ...ids.slice(N / 2).map((id) => feedback(id)),
      ],
    });
    await waitFor(
      'every good reward',
      async () => (await count('SELECT count(*)::int AS n FROM rewards')) === N,
      90000,
    );
    await waitFor('state persisted', async () => (await rewardsApplied()) === N);
    const letter = await waitFor('the dead letter', () =>
      deadLetters().find((l) => Buffer.from(l.valueBase64, 'base64').toString('utf8').includes('nul-\\u0000-bad')),
    );
    expect(letter.topic).toBe(Topic.Feedback);
    expect(letter.consumer).toBe(GROUP);
    expect(letter.error).toMatch(/\S/);
    expect(Number(letter.offset)).toBeGreaterThanOrEqual(0);
    // Restarting must not replay the poison nor count anything twice.
    await stop();
    await start();
    await producer.send({ topic: Topic.Feedback, messages: [feedback('nul-after-restart')] });
    await producer.send({ topic: Topic.Decisions, messages: [decision('nul-after-restart')] });
    await waitFor(
      'reward after restart',
      async () => (await count('SELECT count(*)::int AS n FROM rewards')) === N + 1,
    );
    await waitFor('state after restart', async () => (await rewardsApplied()) === N + 1);
    await stop();
  });

  it('a message the database refuses for another reason is isolated; the rest of its batch counts once', async () => {
    // A rule the contracts cannot know about: the database alone refuses these rewards.
    await db.query(`ALTER TABLE rewards ADD CONSTRAINT refuse_for_test CHECK (decision_id NOT LIKE 'refused-%')`);
    const before = await count('SELECT count(*)::int AS n FROM rewards');
    const appliedBefore = await rewardsApplied();
    await start();
    const good = Array.from({ length: N }, (_, i) => `iso-${i}`);
    const refused = ['refused-1', 'refused-2'];
    await producer.send({ topic: Topic.Decisions, messages: [...good, ...refused].map(decision) });
    await waitFor(
      'decisions stored',
      async () =>
        (await count(
          `SELECT count(*)::int AS n FROM decisions WHERE decision_id LIKE 'iso-%' OR decision_id LIKE 'refused-%'`,
        )) ===
        N + 2,
    );
    // Poison at the start, in the middle and at the end of one batch, one good message twice.
    await producer.send({
      topic: Topic.Feedback,
      messages: [
        feedback('refused-1'),
        ...good.slice(0, N / 2).map((id) => feedback(id, 0.9)),
        feedback(good[0], 0.1),
        feedback('refused-2'),
        ...good.slice(N / 2).map((id) => feedback(id, 0.9)),
        feedback('refused-1'),
      ],
    });
    await waitFor(
      'every good reward',
      async () => (await count('SELECT count(*)::int AS n FROM rewards')) === before + N,
      90000,
    );
    await waitFor('state persisted', async () => (await rewardsApplied()) === appliedBefore + N);
    await waitFor('three dead letters', () => {
      const refusedLetters = deadLetters().filter((l) =>
        Buffer.from(l.valueBase64, 'base64').toString('utf8').includes('refused-'),
      );
      return refusedLetters.length >= 3 && refusedLetters;
    });
    expect(deadLetters().find((l) => l.error.includes('refuse_for_test'))).toBeDefined();
    // The duplicate of iso-0 was refused by the ledger key, not counted twice.
    const q = await db.query(`SELECT quality FROM rewards WHERE decision_id = 'iso-0'`);
    expect(q.rows).toEqual([{ quality: 0.9 }]);

    // Counted per topic and reason class.
    const metrics = await (await fetch(`${(await app!.getUrl()).replace('[::1]', '127.0.0.1')}/metrics`)).text();
    const counted = /^kafka_dead_letters_total\{topic="feedback.rewards",reason="database"\} (\d+)/m.exec(metrics);
    expect(Number(counted?.[1])).toBeGreaterThanOrEqual(3);

    // A restart after Kafka forgot its offsets resumes from the database's: nothing twice.
    await stop();
    const admin = plainKafka('poison-admin').admin();
    await admin.connect();
    for (const topic of [Topic.Decisions, Topic.Feedback])
      await admin.resetOffsets({ groupId: GROUP, topic, earliest: true });
    await admin.disconnect();
    const lettersBefore = deadLetters().length;
    await start();
    await producer.send({ topic: Topic.Decisions, messages: [decision('iso-marker')] });
    await producer.send({ topic: Topic.Feedback, messages: [feedback('iso-marker')] });
    await waitFor(
      'marker reward',
      async () => (await count('SELECT count(*)::int AS n FROM rewards')) === before + N + 1,
    );
    await waitFor('state after restart', async () => (await rewardsApplied()) === appliedBefore + N + 1);
    expect(deadLetters().length).toBe(lettersBefore);
    await stop();
  });

  it("a feedback's bill overrides the realised cost up to a bound, and above it does not poison the reward", async () => {
    await start();
    const withCost = (id: string, realisedCostUsd?: number) => {
      const d = decision(id);
      return { ...d, value: JSON.stringify({ ...JSON.parse(d.value), realisedCostUsd }) };
    };
    const claim = (decisionId: string, costUsd: number) => ({
      key: SCOPE,
      value: JSON.stringify({ decisionId, scope: SCOPE, quality: 0.5, costUsd, ts: new Date().toISOString() }),
    });
    // decision(): arm 'a' (expected $0.001) for an odd-length id, 'b' ($0.002) for an even one.
    await producer.send({
      topic: Topic.Decisions,
      messages: [
        withCost('cost-real', 0.003),
        withCost('cost-bill', 0.003),
        withCost('cost-none'),
        withCost('cost-typo'),
      ],
    });
    await producer.send({
      topic: Topic.Feedback,
      messages: [
        claim('cost-real', 1e300),
        claim('cost-bill', 0.009),
        claim('cost-none', 1e300),
        claim('cost-typo', 0.1),
      ],
    });
    const charged = async () =>
      Object.fromEntries(
        (await db.query(`SELECT decision_id, cost_usd, reward FROM rewards WHERE decision_id LIKE 'cost-%'`)).rows.map(
          (r) => [r.decision_id, [r.cost_usd, r.reward]],
        ),
      );
    await waitFor('the four rewards', async () => Object.keys(await charged()).length === 4);
    // lambda 1: reward = 0.5 - cost.
    expect(await charged()).toEqual({
      'cost-real': [0.003, 0.497],
      'cost-bill': [0.009, 0.491],
      'cost-none': [0.001, 0.499],
      'cost-typo': [0.1, 0.4],
    });
    const metrics = await (await fetch(`${(await app!.getUrl()).replace('[::1]', '127.0.0.1')}/metrics`)).text();
    expect(metrics).toMatch(/^aggregator_feedback_cost_ignored_total 2$/m);

    // A judge's evaluation cost is the scope's spend: a claim of $1e300 is refused, not paced on.
    await producer.send({
      topic: Topic.Feedback,
      messages: [
        {
          key: 'eval-1e300',
          value: JSON.stringify({
            decisionId: 'cost-real',
            scope: SCOPE,
            quality: 0.5,
            source: 'judge',
            evaluationCostUsd: 1e300,
            ts: new Date().toISOString(),
          }),
        },
      ],
    });
    const letter = await waitFor('the evaluation claim dead-lettered', () =>
      deadLetters().find((l) => l.key === 'eval-1e300'),
    );
    expect(letter.error).toContain('an evaluation costing more than $10 is not believed');
    await stop();
  });
});
