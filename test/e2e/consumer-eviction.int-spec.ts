import { Topic } from '@llm-router/contracts';
import { createKafka, MessageProducer, TopicConsumer } from '@llm-router/kafka';
import { brokers, plainProducer, resetTopics, waitFor } from '../support/kafka-test-kit';
import { stall } from '../support/stall';

const RUN = `ev-${Date.now()}`;

const feedback = (decisionId: string) => ({
  key: 'ev',
  value: JSON.stringify({ decisionId, scope: 'ev', quality: 1, source: 'user', ts: new Date().toISOString() }),
});

/**
 * A member evicted from its group during a stall crashes with a non-retriable error when it
 * commits ("The coordinator is not aware of this member"); kafkajs does not restart it. The
 * consumer must come back and go on consuming (seen in an e2e run on a loaded machine: the
 * aggregator applied nothing afterwards).
 */
describe('a consumer evicted from its group comes back', () => {
  let producer: MessageProducer;
  let consumer: TopicConsumer;
  const seen = new Set<string>();
  const crashes: string[] = [];

  beforeAll(async () => {
    await resetTopics();
    const kafka = createKafka({ brokers: brokers(), clientId: 'ev-test' });
    producer = new MessageProducer(kafka);
    await producer.connect();
    consumer = new TopicConsumer(kafka, producer, {
      groupId: `${RUN}-group`,
      topics: [Topic.Feedback],
      fromBeginning: true,
      consumerConfig: { sessionTimeout: 6000, heartbeatInterval: 500 },
      log: { warn: () => undefined, error: (_o, m) => crashes.push(m) },
    });
    await consumer.runTransactional(
      async () => new Map(),
      async (batch) => {
        for (const m of batch.messages) {
          const id = (m.value as { decisionId: string }).decisionId;
          // The first time the stall message comes, stall past the session timeout: the group
          // evicts this member, and the commit after this batch is refused.
          if (id.endsWith('stall') && !seen.has(id)) {
            seen.add(id);
            stall(9000);
          }
          seen.add(id);
        }
      },
    );
  }, 180000);

  afterAll(async () => {
    await consumer?.stop();
    await producer?.disconnect();
  });

  it('goes on consuming after the crash kafkajs does not restart from', async () => {
    const p = await plainProducer();
    await p.send({ topic: Topic.Feedback, messages: [feedback(`${RUN}-stall`)] });
    await waitFor('the stalled message', () => seen.has(`${RUN}-stall`), 60000);
    await waitFor('the crash', () => crashes.some((m) => m.includes('crashed')), 60000);
    await p.send({ topic: Topic.Feedback, messages: [feedback(`${RUN}-after`)] });
    await p.disconnect();
    await waitFor('a message produced after the crash', () => seen.has(`${RUN}-after`), 90000);
    expect(crashes.some((m) => m.includes('crashed'))).toBe(true);
  }, 200000);
});
