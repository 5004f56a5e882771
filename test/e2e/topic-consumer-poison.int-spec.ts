import { dlqTopic, Topic } from '@llm-router/contracts';
import { createKafka, DeadLetterReason, MessageProducer, Received, TopicConsumer } from '@llm-router/kafka';
import { brokers, collect, plainProducer, resetTopics, waitFor } from '../support/kafka-test-kit';

const RUN = `tc-${Date.now()}`;

const feedback = (decisionId: string) => ({
  key: 'tc',
  value: JSON.stringify({ decisionId, scope: 'tc', quality: 1, source: 'user', ts: new Date().toISOString() }),
});

/** TopicConsumer.runEach on the real broker: a message its handler keeps refusing is parked, the rest flows. */
describe('TopicConsumer.runEach: bounded retry, then dead-letter', () => {
  const kafka = () => createKafka({ brokers: brokers(), clientId: 'tc-test' });
  let producer: MessageProducer;
  let consumer: TopicConsumer;
  let sink: Awaited<ReturnType<typeof collect>>;
  const handled: string[] = [];
  const attempts = new Map<string, number>();
  const parked: [string, DeadLetterReason][] = [];

  beforeAll(async () => {
    await resetTopics();
    sink = await collect([dlqTopic(Topic.Feedback)]);
    const k = kafka();
    producer = new MessageProducer(k);
    await producer.connect();
    consumer = new TopicConsumer(k, producer, {
      groupId: `${RUN}-group`,
      topics: [Topic.Feedback],
      fromBeginning: true,
      retry: { retries: 2, backoffMs: 20 },
      onDeadLetter: (topic, reason) => parked.push([topic, reason]),
    });
    await consumer.runEach(async (m: Received) => {
      const id = (m.value as { decisionId: string }).decisionId;
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      if (id.endsWith('poison')) throw new Error(`handler refused ${id}`);
      // A transient failure (e.g. the database restarting) is waited for, never dead-lettered.
      if (id.endsWith('flaky') && n <= 4) throw Object.assign(new Error('database restarting'), { code: '57P03' });
      handled.push(id);
    });
  });

  afterAll(async () => {
    await consumer?.stop();
    await producer?.disconnect();
    await sink?.stop();
  });

  it('parks the poison after its retries and handles every message behind it', async () => {
    const ids = [
      ...Array.from({ length: 5 }, (_, i) => `${RUN}-${i}`),
      `${RUN}-poison`,
      `${RUN}-flaky`,
      ...Array.from({ length: 5 }, (_, i) => `${RUN}-${i + 5}`),
    ];
    const p = await plainProducer();
    await p.send({ topic: Topic.Feedback, messages: ids.map(feedback) });
    await p.disconnect();
    await waitFor('every good message', () => handled.length === ids.length - 1, 90000);
    expect(handled).toEqual(ids.filter((id) => !id.endsWith('poison')));
    expect(attempts.get(`${RUN}-poison`)).toBe(3);
    const letters = await waitFor(
      'the dead letter',
      () => sink.of(dlqTopic(Topic.Feedback)).length > 0 && sink.of(dlqTopic(Topic.Feedback)),
    );
    expect(letters).toHaveLength(1);
    expect(letters[0].value).toMatchObject({
      topic: Topic.Feedback,
      consumer: `${RUN}-group`,
      error: `handler refused ${RUN}-poison`,
    });
    expect(letters[0].headers['x-original-offset']).toBe(letters[0].value.offset);
    expect(parked).toEqual([[Topic.Feedback, 'processing']]);
  });
});
