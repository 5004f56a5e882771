import fc from 'fast-check';
import { decode, dlqTopic, Topic, TopicName } from '@llm-router/contracts';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { damagedBytes, mutate, mutation, pathsOf } from '../support/fuzz';
import { partitionsOf, waitFor } from '../support/kafka-test-kit';
import { useStack } from '../support/use-stack';

/** Records produced per topic: arbitrary bytes, arbitrary JSON, and valid messages with one mutation or damaged bytes. */
const RECORDS = 400;
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);

function fuzzValues(valid: Record<string, unknown>, n: number, seed: number): Buffer[] {
  const json = JSON.stringify(valid);
  const paths = pathsOf(valid);
  const value = fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)), weight: 1 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))), weight: 1 },
    {
      arbitrary: fc
        .tuple(fc.nat({ max: paths.length - 1 }), mutation)
        .map(([i, m]) => Buffer.from(JSON.stringify(mutate(valid, paths[i], m)))),
      weight: 6,
    },
    { arbitrary: damagedBytes(json), weight: 2 },
  );
  return fc.sample(value, { numRuns: n, seed });
}

/**
 * Poison and nearly valid records on the two topics that outside producers write
 * (llm.queries, feedback.rewards), on the real stack (issue 12 item 7): every record ends on
 * the dead-letter topic or is processed, and the consumers keep consuming: a valid message on
 * every partition after the fuzz is processed.
 */
describe(`Kafka fuzzing of llm.queries and feedback.rewards (FUZZ_SEED=${SEED})`, () => {
  const e2e = useStack({
    database: 'kafkafuzz',
    dataset: () => writeSyntheticDataset(50),
    topics: [Topic.Responses, Topic.BatchRequests, dlqTopic(Topic.Queries), dlqTopic(Topic.Feedback)],
    env: { LOG_LEVEL: 'fatal' },
  });

  const dlqKeys = (topic: TopicName) => new Set(e2e.sink.of(dlqTopic(topic)).map((r) => r.key));

  /** The same valid query on each partition: the router must answer every one of them. */
  const queriesOnEveryPartition = async (tag: string): Promise<string[]> => {
    const partitions = await partitionsOf(Topic.Queries);
    const ids = partitions.map((p) => `${tag}-${p}`);
    await e2e.producer.send({
      topic: Topic.Queries,
      messages: partitions.map((partition, i) => ({
        partition,
        key: ids[i],
        value: JSON.stringify({ id: ids[i], messages: [{ role: 'user', content: 'Question 1' }], datasetRow: 1 }),
      })),
    });
    return ids;
  };
  const answered = (ids: string[]) => {
    const got = new Set(e2e.sink.of(Topic.Responses).map((r) => r.value?.id));
    return ids.every((id) => got.has(id));
  };

  it('parks every invalid llm.queries record on llm.queries.dlq, answers the valid ones, and keeps consuming', async () => {
    const valid = {
      id: 'fuzz-q',
      scope: 'default',
      messages: [{ role: 'user', content: 'Question 2 about algebra' }],
      constraints: { mode: 'query', maxCostUsd: 0.01, minQuality: 0.1 },
      datasetRow: 2,
      replyTo: 'replies.fuzz',
      ts: new Date().toISOString(),
    };
    const values = fuzzValues(valid, RECORDS, SEED);
    const records = values.map((value, i) => ({ key: `fuzz-q-${i}`, value }));
    await e2e.producer.send({ topic: Topic.Queries, messages: records });

    // Where each record must end: the dead-letter topic (by its key), batch.requests or llm.responses (by its id).
    const expected = records.map((r) => {
      const d = decode(Topic.Queries, r.value);
      if (!d.ok) return { key: r.key, where: 'dlq' as const, id: null };
      const toPlanner = d.value.constraints.mode === 'batch' && !d.value.constraints.model;
      return { key: r.key, where: toPlanner ? ('planner' as const) : ('answer' as const), id: d.value.id };
    });
    const after = await queriesOnEveryPartition('after-q');

    const missing = () => {
      const parked = dlqKeys(Topic.Queries);
      const answers = new Set(e2e.sink.of(Topic.Responses).map((r) => r.value?.id));
      const planned = new Set(e2e.sink.of(Topic.BatchRequests).map((r) => r.value?.id));
      return expected.filter(
        (e) => !parked.has(e.key) && !(e.where === 'answer' && answers.has(e.id)) && !planned.has(e.id),
      );
    };
    await waitFor('a valid query on every partition after the fuzz to be answered', () => answered(after), 180_000);
    await waitFor('every fuzzed record to be parked or processed', () => missing().length === 0, 60_000).catch(() => {
      const m = missing();
      throw new Error(
        `${m.length} of ${RECORDS} records neither parked nor processed, e.g. ${m
          .slice(0, 3)
          .map((e) => `${e.key}: ${values[Number(e.key.split('-').pop())].toString().slice(0, 200)}`)
          .join(' | ')}`,
      );
    });
    // A record that decodes is never parked as undecodable, and one that does not decode is never answered.
    const parked = dlqKeys(Topic.Queries);
    expect(expected.filter((e) => e.where === 'dlq' && !parked.has(e.key))).toEqual([]);
  });

  it('parks every invalid feedback.rewards record on feedback.rewards.dlq and keeps applying rewards', async () => {
    const valid = {
      feedbackId: 'fuzz-f',
      decisionId: 'dec-fuzz',
      requestId: 'req-fuzz',
      scope: 'default',
      quality: 0.7,
      costUsd: 0.001,
      source: 'user',
      ts: new Date().toISOString(),
    };
    const values = fuzzValues(valid, RECORDS, SEED + 1);
    const records = values.map((value, i) => ({ key: `fuzz-f-${i}`, value }));
    await e2e.producer.send({ topic: Topic.Feedback, messages: records });
    const invalid = records.filter((r) => !decode(Topic.Feedback, r.value).ok).map((r) => r.key);

    // Then real decisions, and feedback on each of them on every partition of feedback.rewards.
    const ids = await queriesOnEveryPartition('after-f');
    await waitFor('the queries to be answered', () => answered(ids), 180_000);
    const decisions = e2e.sink
      .of(Topic.Responses)
      .filter((r) => ids.includes(r.value?.id))
      .map((r) => r.value.decisionId as string);
    const partitions = await partitionsOf(Topic.Feedback);
    await e2e.producer.send({
      topic: Topic.Feedback,
      messages: decisions.map((decisionId, i) => ({
        partition: partitions[i % partitions.length],
        key: 'default',
        value: JSON.stringify({ decisionId, scope: 'default', quality: 0.8, ts: new Date().toISOString() }),
      })),
    });
    await waitFor(
      'the rewards of the feedback sent after the fuzz to be applied',
      async () =>
        (await e2e.db.query('SELECT count(*)::int AS n FROM rewards WHERE decision_id = ANY($1)', [decisions])).rows[0]
          .n === decisions.length,
      180_000,
    );
    await waitFor('every invalid feedback record to be parked', () => {
      const parked = dlqKeys(Topic.Feedback);
      return invalid.every((k) => parked.has(k));
    });
  });
});
