import { Topic } from '@llm-router/contracts';
import { writeSyntheticDataset, DEFAULT_ARMS } from '../../tools/lib/synthetic-data';
import { datasetQuery } from '../support/dataset-query';
import { waitFor } from '../support/kafka-test-kit';
import { useStack } from '../support/use-stack';

/**
 * The walking skeleton, end to end on the real broker and database: a query produced with a
 * plain kafkajs producer is routed and answered; the decision is logged; feedback becomes a
 * reward row exactly once; prices come from the models file; bad input is dead-lettered.
 */
describe('full loop through Kafka and PostgreSQL', () => {
  const e2e = useStack({
    database: 'loop',
    dataset: () => writeSyntheticDataset(200),
    topics: [
      Topic.Responses,
      Topic.Decisions,
      Topic.Prices,
      Topic.Catalog,
      Topic.PolicyUpdates,
      'llm.queries.dlq',
      'feedback.rewards.dlq',
      Topic.BatchAssignments,
    ],
    planner: true,
  });

  const query = datasetQuery;

  it('publishes the prices of the models file to model.prices', async () => {
    const prices = await waitFor(
      '3 prices',
      () => e2e.sink.of(Topic.Prices).length >= DEFAULT_ARMS.length && e2e.sink.of(Topic.Prices),
    );
    const byModel = Object.fromEntries(prices.map((p) => [p.key, p.value]));
    for (const a of DEFAULT_ARMS) {
      expect(byModel[a.id]).toMatchObject({ model: a.id, inputPerM: a.inputPerM, outputPerM: a.outputPerM });
    }
  });

  it('routes a query from a plain producer and answers on llm.responses with its decision id', async () => {
    await e2e.producer.send({ topic: Topic.Queries, messages: [query('q-1', 5)] });
    const resp = await waitFor('response to q-1', () => e2e.sink.of(Topic.Responses).find((r) => r.key === 'q-1'));
    expect(resp.value.decisionId).toMatch(/^dec_/);
    expect(DEFAULT_ARMS.map((a) => a.id)).toContain(resp.value.model);
    expect(resp.value.costUsd).toBeGreaterThan(0);
    const decision = await waitFor('decision of q-1', () =>
      e2e.sink.of(Topic.Decisions).find((d) => d.value.requestId === 'q-1'),
    );
    expect(decision.value).toMatchObject({
      decisionId: resp.value.decisionId,
      arm: resp.value.model,
      policy: 'random',
      scope: 'default',
    });
    expect(decision.value.propensity).toBeCloseTo(1 / 3, 6);
    expect(Object.keys(decision.value.priceSnapshot).sort()).toEqual(DEFAULT_ARMS.map((a) => a.id).sort());
  });

  it('turns feedback into exactly one reward row, even when sent twice', async () => {
    const resp = await waitFor('response to q-1', () => e2e.sink.of(Topic.Responses).find((r) => r.key === 'q-1'));
    const fb = {
      decisionId: resp.value.decisionId,
      scope: 'default',
      quality: 0.8,
      source: 'user',
      ts: new Date().toISOString(),
    };
    await e2e.producer.send({
      topic: Topic.Feedback,
      messages: [
        { key: 'default', value: JSON.stringify(fb) },
        { key: 'default', value: JSON.stringify(fb) },
      ],
    });
    const rows = await waitFor('reward row', async () => {
      const r = await e2e.db.query('SELECT * FROM rewards WHERE decision_id = $1', [resp.value.decisionId]);
      return r.rows.length > 0 && r.rows;
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ arm: resp.value.model, quality: 0.8, source: 'user' });
    // Give the duplicate time to be processed, then check it was not counted.
    await new Promise((r) => setTimeout(r, 1500));
    const again = await e2e.db.query('SELECT count(*)::int AS n FROM rewards WHERE decision_id = $1', [
      resp.value.decisionId,
    ]);
    expect(again.rows[0].n).toBe(1);
    const state = await e2e.db.query(`SELECT rewards_applied FROM policy_state WHERE scope = 'default'`);
    expect(state.rows[0].rewards_applied).toBe(1);
  });

  it('applies feedback that arrives before its decision once the decision comes', async () => {
    // Feedback names the request id: the decision id is not known to the client yet.
    await e2e.producer.send({
      topic: Topic.Feedback,
      messages: [
        {
          key: 'default',
          value: JSON.stringify({ requestId: 'q-early', scope: 'default', quality: 0.3, ts: new Date().toISOString() }),
        },
      ],
    });
    await waitFor(
      'pending feedback row',
      async () =>
        (await e2e.db.query(`SELECT 1 FROM pending_feedback WHERE match_key = 'r:q-early'`)).rows.length === 1,
    );
    await e2e.producer.send({ topic: Topic.Queries, messages: [query('q-early', 9)] });
    const resp = await waitFor('response to q-early', () =>
      e2e.sink.of(Topic.Responses).find((r) => r.key === 'q-early'),
    );
    const rows = await waitFor('reward of q-early', async () => {
      const r = await e2e.db.query('SELECT * FROM rewards WHERE decision_id = $1', [resp.value.decisionId]);
      return r.rows.length > 0 && r.rows;
    });
    expect(rows[0].quality).toBeCloseTo(0.3, 9);
    expect((await e2e.db.query(`SELECT count(*)::int AS n FROM pending_feedback`)).rows[0].n).toBe(0);
  });

  it('publishes a policy snapshot after rewards are applied', async () => {
    const snap = await waitFor('policy update', () =>
      e2e.sink.of(Topic.PolicyUpdates).find((s) => s.value.rewardsApplied >= 1),
    );
    expect(snap.key).toBe('default');
    expect(snap.value.version).toBeGreaterThan(0);
  });

  it('sends invalid queries to llm.queries.dlq with a path-precise reason', async () => {
    await e2e.producer.send({
      topic: Topic.Queries,
      messages: [
        { key: 'bad-1', value: JSON.stringify({ id: 'bad-1', messages: [] }) },
        { key: 'bad-2', value: 'not json' },
      ],
    });
    const dead = await waitFor(
      '2 dead letters',
      () => e2e.sink.of('llm.queries.dlq').length >= 2 && e2e.sink.of('llm.queries.dlq'),
    );
    const reasons = dead.map((d) => d.value.error).join('\n');
    expect(reasons).toMatch(/messages: /);
    expect(reasons).toMatch(/not JSON/);
    expect(Buffer.from(dead.find((d) => d.key === 'bad-2')!.value.valueBase64, 'base64').toString()).toBe('not json');
  });

  it('answers over HTTP in the OpenAI format, with the choice in headers, and 400 on bad input', async () => {
    const url = await e2e.stack.url(e2e.stack.routers[0]);
    const ok = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Question 3' }], dataset_row: 3 }),
    });
    expect(ok.status).toBe(200);
    expect(DEFAULT_ARMS.map((a) => a.id)).toContain(ok.headers.get('x-router-model'));
    expect(ok.headers.get('x-router-decision-id')).toMatch(/^dec_/);
    const body = await ok.json();
    expect(body.choices[0].message.content).toContain('[replay');
    const bad = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: 'hi' }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/messages/);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
  });

  it('routes batch-mode queries through the batch planner in a window', async () => {
    const health = await fetch(`${await e2e.stack.url(e2e.stack.planner!)}/health`);
    expect(health.status).toBe(200);
    expect((await health.json()).checks.windows).toBeDefined();
    await e2e.producer.send({
      topic: Topic.Queries,
      messages: [
        query('b-1', 11, { constraints: { mode: 'batch' } }),
        query('b-2', 12, { constraints: { mode: 'batch' } }),
      ],
    });
    const assignment = await waitFor('batch assignment', () =>
      e2e.sink
        .of(Topic.BatchAssignments)
        .find((a) => a.value.assignments.some((x: { requestId: string }) => x.requestId === 'b-1')),
    );
    expect(assignment.value.assignments.map((a: { requestId: string }) => a.requestId).sort()).toEqual(['b-1', 'b-2']);
    const resp = await waitFor('response to b-2', () => e2e.sink.of(Topic.Responses).find((r) => r.key === 'b-2'));
    expect(resp.value.model).toBe(
      assignment.value.assignments.find((a: { requestId: string }) => a.requestId === 'b-2').model,
    );
  });
});
