import { randomBytes } from 'node:crypto';
import { CompressionTypes } from 'kafkajs';
import { DeadLetter, dlqTopic, Topic } from '@llm-router/contracts';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { partitionsOf, plainKafka, waitFor } from '../support/kafka-test-kit';
import { dlqCli } from '../support/dlq-cli';
import { promptsOf, useStack } from '../support/use-stack';

/**
 * A record near the topic's size limit cannot be parked as it is on a dead-letter topic of the
 * same limit (its bytes grow by a third in base64): the send failed, the consumer tried the
 * record again, and its partition stopped. Records of llm.queries and feedback.rewards as large as
 * a producer can write them go to the dead-letter topic, and the records behind them are processed.
 */
describe('dead letters of records as large as the topics take', () => {
  let prompts: string[] = [];
  const e2e = useStack({
    database: 'bigdlq',
    dataset: () => {
      const d = writeSyntheticDataset(20);
      prompts = promptsOf(d.dataPath);
      return d;
    },
    topics: [Topic.Responses, dlqTopic(Topic.Queries), dlqTopic(Topic.Feedback)],
  });
  const letter = (topic: string, key: string) =>
    e2e.sink
      .of(dlqTopic(topic))
      .map((r) => r.value as DeadLetter)
      .find((d) => d.key === key);

  it('parks a record of 1,000,000 random bytes on llm.queries.dlq, bytes intact, and answers the queries behind it', async () => {
    const partitions = await partitionsOf(Topic.Queries);
    const huge = randomBytes(1_000_000);
    await e2e.producer.send({
      topic: Topic.Queries,
      messages: partitions.map((partition) => ({ partition, key: `huge-q-${partition}`, value: huge })),
    });
    const ids = partitions.map((p) => `after-huge-${p}`);
    await e2e.producer.send({
      topic: Topic.Queries,
      messages: partitions.map((partition, i) => ({
        partition,
        key: ids[i],
        value: JSON.stringify({ id: ids[i], messages: [{ role: 'user', content: prompts[i] }] }),
      })),
    });
    const answered = () => {
      const got = new Set(e2e.sink.of(Topic.Responses).map((r) => r.value?.id));
      return ids.every((id) => got.has(id));
    };
    await waitFor('the queries behind the large records to be answered', answered, 120_000);
    for (const p of partitions) {
      const d = letter(Topic.Queries, `huge-q-${p}`);
      expect(d).toBeDefined();
      expect(Buffer.from(d!.valueBase64, 'base64').equals(huge)).toBe(true);
    }
  });

  it('parks a record that unzips to 6 MB without its bytes, saying where they are, and applies the feedback behind it', async () => {
    // Gzipped by the producer, the record passes the topic's 1 MiB limit; unzipped it is larger
    // than any dead-letter topic takes, so the letter points at the record instead.
    const value = Buffer.from(`{"decisionId":"${'x'.repeat(6_000_000)}`);
    const producer = plainKafka('bigdlq-gzip').producer();
    await producer.connect();
    try {
      await producer.send({
        topic: Topic.Feedback,
        compression: CompressionTypes.GZIP,
        messages: [{ partition: 0, key: 'huge-f', value }],
      });
    } finally {
      await producer.disconnect();
    }
    const res = await fetch(`${await e2e.stack.url(e2e.stack.routers[0])}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: prompts[7] }] }),
    });
    expect(res.status).toBe(200);
    const decisionId = res.headers.get('x-router-decision-id')!;
    await e2e.producer.send({
      topic: Topic.Feedback,
      messages: [
        {
          partition: 0,
          key: 'default',
          value: JSON.stringify({ decisionId, quality: 0.9, ts: new Date().toISOString() }),
        },
      ],
    });
    await waitFor(
      'the feedback behind the large record to be applied',
      async () =>
        (await e2e.db.query('SELECT count(*)::int AS n FROM rewards WHERE decision_id = $1', [decisionId])).rows[0]
          .n === 1,
      120_000,
    );
    const d = letter(Topic.Feedback, 'huge-f');
    expect(d).toMatchObject({ topic: Topic.Feedback, partition: 0, valueBase64: '', valueBytes: value.length });
    expect(d!.valueOmitted).toMatch(/too large/);
    // The dlq CLI lists it and does not send an empty record back.
    const replay = await dlqCli('replay', Topic.Feedback, '--dry-run');
    expect(replay.at(-1)).toBe(
      `would replay 0 message(s) to ${Topic.Feedback} (1 letter(s) without their bytes skipped)`,
    );
    expect(replay[0]).toMatch(
      /^not replayed: .* key=huge-f .*\(bytes not kept: \d+ bytes are too large for feedback\.rewards\.dlq/,
    );
  });
});
