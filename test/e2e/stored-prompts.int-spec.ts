import { randomUUID } from 'node:crypto';
import { Topic } from '@llm-router/contracts';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { waitFor } from '../support/kafka-test-kit';
import { useStack } from '../support/use-stack';

/**
 * STORE_PROMPTS=true (docs/decisions/0022-data-lifecycle.md): the router keeps each query's
 * messages in stored_prompts, from the Kafka path and the HTTP front door alike, once per
 * request. Without it nothing is stored: data-lifecycle.int-spec.ts.
 */
describe('stored prompts (STORE_PROMPTS=true)', () => {
  const e2e = useStack({
    database: 'prompts',
    dataset: () => writeSyntheticDataset(50),
    topics: [Topic.Responses],
    env: { STORE_PROMPTS: 'true' },
  });
  const stored = async (where: string, param: string) =>
    (
      await e2e.db.query<{ request_id: string; decision_id: string | null; messages: unknown }>(
        `SELECT request_id, decision_id, messages FROM stored_prompts WHERE ${where} = $1`,
        [param],
      )
    ).rows;

  it('keeps the messages of a Kafka query once, with its decision id, even when it is redelivered', async () => {
    const text = `kafka prompt ${randomUUID()}`;
    const query = {
      key: 'sp-q-1',
      value: JSON.stringify({
        id: 'sp-q-1',
        scope: 'default',
        messages: [{ role: 'user', content: text }],
        datasetRow: 3,
      }),
    };
    await e2e.producer.send({ topic: Topic.Queries, messages: [query] });
    const answer = await waitFor('the answer', () => e2e.sink.of(Topic.Responses).find((r) => r.key === 'sp-q-1'));
    const rows = await waitFor('the stored prompt', async () => {
      const r = await stored('request_id', 'sp-q-1');
      return r.length > 0 ? r : undefined;
    });
    expect(rows).toEqual([
      {
        request_id: 'sp-q-1',
        decision_id: (answer.value as { decisionId: string }).decisionId,
        messages: [{ role: 'user', content: text }],
      },
    ]);

    // The same query again (a producer retry): answered from the idempotency record, stored once.
    await e2e.producer.send({ topic: Topic.Queries, messages: [query] });
    await waitFor(
      'the second answer',
      () => e2e.sink.of(Topic.Responses).filter((r) => r.key === 'sp-q-1').length >= 2,
    );
    expect(await stored('request_id', 'sp-q-1')).toHaveLength(1);
  });

  it('keeps the messages of an HTTP chat completion', async () => {
    const text = `http prompt ${randomUUID()}`;
    const res = await fetch(`${await e2e.stack.url(e2e.stack.routers[0])}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: text }], dataset_row: 4 }),
    });
    expect(res.status).toBe(200);
    const decisionId = res.headers.get('x-router-decision-id')!;
    const rows = await waitFor('the stored prompt', async () => {
      const r = await stored('decision_id', decisionId);
      return r.length > 0 ? r : undefined;
    });
    expect(rows).toHaveLength(1);
    expect(rows[0].messages).toEqual([{ role: 'user', content: text }]);
  });
});
