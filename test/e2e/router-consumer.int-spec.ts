import { dlqTopic, QueryRequest, Topic } from '@llm-router/contracts';
import { decisionIdFor } from '@llm-router/engine';
import type { ChatProvider, ChatRequest } from '@llm-router/providers';
import { CHAT_PROVIDER, RoutingService } from '../../apps/router/src/routing/routing.service';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { collect, plainKafka, waitFor } from '../support/kafka-test-kit';
import { useStack } from '../support/use-stack';

const SESSION_TIMEOUT_MS = 6000;
/** Longer than the session timeout of this file's router (6 s) and of the old Nest consumer (15 s). */
const SLOW_CALL_MS = 20000;
const GROUP = 'router';
const RETRIES = 2;

/**
 * The router's llm.queries consumer on the real broker and database: a bad replyTo, a send
 * that fails, a redelivered query, a deadline and a model call longer than the session timeout.
 * Model calls are counted at the router's own (replay) provider, per dataset row: each test
 * uses its own rows.
 */
describe('router consumption of llm.queries', () => {
  const e2e = useStack({
    database: 'routercons',
    dataset: () => writeSyntheticDataset(100),
    topics: [Topic.Responses, Topic.Decisions, dlqTopic(Topic.Queries)],
    env: {
      ALLOW_NO_AUTH: 'true',
      ROUTER_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
      ROUTER_HEARTBEAT_INTERVAL_MS: '500',
      KAFKA_SEND_TIMEOUT_MS: '5000',
      CONSUMER_RETRIES: String(RETRIES),
      CONSUMER_RETRY_BACKOFF_MS: '50',
    },
  });

  const calls = new Map<number, number>();
  const slowRows = new Set<number>();
  const callsOf = (row: number) => calls.get(row) ?? 0;
  let replies: Awaited<ReturnType<typeof collect>>;

  beforeAll(async () => {
    const provider = e2e.stack.routers[0].get<ChatProvider>(CHAT_PROVIDER);
    const complete = provider.complete.bind(provider);
    provider.complete = async (req: ChatRequest, signal?: AbortSignal) => {
      const row = req.datasetRow ?? -1;
      calls.set(row, callsOf(row) + 1);
      if (slowRows.has(row)) await new Promise((r) => setTimeout(r, SLOW_CALL_MS));
      return complete(req, signal);
    };
    const admin = plainKafka('test-admin').admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          { topic: 'replies.ok', numPartitions: 1 },
          // Takes no answer: every send to it fails with MESSAGE_TOO_LARGE.
          { topic: 'replies.tiny', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '100' }] },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    replies = await collect(['replies.ok']);
    // The router is up once it answers a query.
    await e2e.producer.send({ topic: Topic.Queries, messages: [query('warm-up', 0)] });
    await waitFor('the first answer', () => responsesTo('warm-up')[0], 120000);
  }, 180000);
  afterAll(() => replies?.stop());

  function query(id: string, row: number, extra: Record<string, unknown> = {}) {
    return {
      key: id,
      value: JSON.stringify({
        id,
        messages: [{ role: 'user', content: `Question ${row}` }],
        datasetRow: row,
        ...extra,
      }),
    };
  }
  const responsesTo = (id: string) => e2e.sink.of(Topic.Responses).filter((r) => r.key === id);
  const decisionsOf = (id: string) => e2e.sink.of(Topic.Decisions).filter((d) => d.value.requestId === id);

  it('answers on llm.responses, with the reason, when replyTo is malformed or missing, and others are not held up', async () => {
    await e2e.producer.send({
      topic: Topic.Queries,
      messages: [
        query('reply-missing', 1, { replyTo: 'replies.missing' }),
        query('reply-malformed', 2, { replyTo: 'llm.decisions-of-someone-else' }),
        query('reply-ok', 3, { replyTo: 'replies.ok' }),
        query('after-bad-replies', 4),
      ],
    });
    const url = await e2e.stack.url(e2e.stack.routers[0]);
    const http = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Question 5' }], dataset_row: 5 }),
      signal: AbortSignal.timeout(60000),
    });
    expect(http.status).toBe(200);
    const missing = await waitFor('answer to reply-missing', () => responsesTo('reply-missing')[0]);
    expect(missing.value.error).toMatch(/replyTo replies\.missing does not exist/);
    expect(missing.value.output).not.toBe('');
    const malformed = await waitFor('answer to reply-malformed', () => responsesTo('reply-malformed')[0]);
    expect(malformed.value.error).toMatch(/does not match/);
    await waitFor('answer to after-bad-replies', () => responsesTo('after-bad-replies')[0]);
    const ok = await waitFor('answer on replies.ok', () => replies.of('replies.ok').find((r) => r.key === 'reply-ok'));
    expect(ok.value.error).toBeUndefined();
    expect(responsesTo('reply-ok')).toHaveLength(0);
  });

  it('a failed send to replyTo is not a model failure: one model call, the answer on llm.responses', async () => {
    await e2e.producer.send({ topic: Topic.Queries, messages: [query('reply-tiny', 11, { replyTo: 'replies.tiny' })] });
    const answer = await waitFor('answer to reply-tiny', () => responsesTo('reply-tiny')[0], 90000);
    expect(answer.value.error).toMatch(/could not deliver to replyTo replies\.tiny/);
    expect(answer.value.output).not.toBe('');
    expect(callsOf(11)).toBe(1);
    await waitFor('decision of reply-tiny', () => decisionsOf('reply-tiny')[0]);
    expect(new Set(decisionsOf('reply-tiny').map((d) => d.value.arm))).toEqual(new Set([answer.value.model]));
  });

  it('a redelivered query is answered again with the same decision and model, without a second model call', async () => {
    const message = query('redelivered', 12);
    await e2e.producer.send({ topic: Topic.Queries, messages: [message] });
    const first = await waitFor('first answer', () => responsesTo('redelivered')[0]);
    await e2e.producer.send({ topic: Topic.Queries, messages: [message] });
    const both = await waitFor(
      'second answer',
      () => responsesTo('redelivered').length >= 2 && responsesTo('redelivered'),
    );
    expect(callsOf(12)).toBe(1);
    expect(both[1].value.decisionId).toBe(first.value.decisionId);
    expect(both[1].value.model).toBe(first.value.model);
    expect(new Set(decisionsOf('redelivered').map((d) => d.value.arm))).toEqual(new Set([first.value.model]));
  });

  it('a redelivered query whose decision was never published gets it published from the stored answer', async () => {
    // What a crash (or a failed send) between storing an answer and publishing it leaves: the
    // answer and its decision in router_answers, nothing on the topics. Built from a real answer.
    await e2e.producer.send({ topic: Topic.Queries, messages: [query('stored-source', 16)] });
    await waitFor('the source answer', () => responsesTo('stored-source')[0]);
    const [row] = (
      await e2e.db.query(`SELECT scope, response, decision FROM router_answers WHERE request_id = 'stored-source'`)
    ).rows;
    const decisionId = decisionIdFor(row.scope, 'stored-unpublished');
    await e2e.db.query(`INSERT INTO router_answers (scope, request_id, response, decision) VALUES ($1, $2, $3, $4)`, [
      row.scope,
      'stored-unpublished',
      JSON.stringify({ ...row.response, id: 'stored-unpublished', decisionId }),
      JSON.stringify({ ...row.decision, requestId: 'stored-unpublished', decisionId }),
    ]);

    await e2e.producer.send({ topic: Topic.Queries, messages: [query('stored-unpublished', 16)] });
    const answer = await waitFor('the answer', () => responsesTo('stored-unpublished')[0]);
    const decision = await waitFor('its decision', () => decisionsOf('stored-unpublished')[0]);
    expect(answer.value.decisionId).toBe(decisionId);
    expect(decision.value).toMatchObject({ decisionId, arm: row.decision.arm });
    expect(callsOf(16)).toBe(1);
  });

  it('a query that routing fails on for a reason of its own is retried, parked with the error and its offset, and its partition flows on', async () => {
    // A bug the message triggers (as a scope named __proto__ once did): not a model failure, not transient.
    const routing = e2e.stack.routers[0].get(RoutingService);
    const answer = routing.answer.bind(routing);
    let tries = 0;
    routing.answer = async (q: QueryRequest, o: Parameters<RoutingService['answer']>[1]) => {
      if (q.id !== 'routing-bug') return answer(q, o);
      tries++;
      throw new TypeError('name.indexOf is not a function');
    };
    try {
      // One partition, the poison first: the query behind it must still be answered.
      await e2e.producer.send({
        topic: Topic.Queries,
        messages: [
          { ...query('routing-bug', 17), partition: 0 },
          { ...query('after-routing-bug', 18), partition: 0 },
        ],
      });
      const letter = await waitFor('the dead letter', () =>
        e2e.sink.of(dlqTopic(Topic.Queries)).find((r) => r.key === 'routing-bug'),
      );
      expect(letter.value).toMatchObject({ topic: Topic.Queries, consumer: 'router', partition: 0 });
      expect(letter.value.error).toMatch(/name\.indexOf is not a function/);
      expect(Number(letter.value.offset)).toBeGreaterThanOrEqual(0);
      await waitFor('answer to after-routing-bug', () => responsesTo('after-routing-bug')[0]);
      expect(tries).toBe(1 + RETRIES);
      expect(responsesTo('routing-bug')).toHaveLength(0);
    } finally {
      routing.answer = answer;
    }
  });

  it.each(['__proto__', 'constructor', 'toString'])(
    'a query in a scope named %s (a key every plain object inherits) is answered like any other',
    async (scope) => {
      const id = `scope-${scope}`;
      await e2e.producer.send({ topic: Topic.Queries, messages: [query(id, 19, { scope })] });
      const answer = await waitFor(`answer to ${id}`, () => responsesTo(id)[0]);
      expect(answer.value.error).toBeUndefined();
      expect(answer.value.model).toMatch(/\S/);
    },
  );

  it('a query whose deadline has passed gets an error answer and calls no model', async () => {
    const deadline = new Date(Date.now() - 1000).toISOString();
    await e2e.producer.send({ topic: Topic.Queries, messages: [query('late', 13, { constraints: { deadline } })] });
    const answer = await waitFor('answer to late', () => responsesTo('late')[0]);
    expect(answer.value.error).toMatch(/deadline .* passed after 0 model call/);
    expect(callsOf(13)).toBe(0);
  });

  it('a model call longer than the session timeout does not evict the router from its group', async () => {
    const admin = plainKafka('test-admin').admin();
    await admin.connect();
    try {
      const members = async () => {
        const [group] = (await admin.describeGroups([GROUP])).groups;
        return group.state === 'Stable' ? group.members.map((m) => m.memberId).sort() : undefined;
      };
      const before = await waitFor('a stable router group', members);
      slowRows.add(14);
      await e2e.producer.send({ topic: Topic.Queries, messages: [query('slow', 14)] });
      await waitFor('answer to slow', () => responsesTo('slow')[0], 120000);
      // Another answer after it: anything redelivered by an eviction has been handled by then.
      await e2e.producer.send({ topic: Topic.Queries, messages: [query('after-slow', 15)] });
      await waitFor('answer to after-slow', () => responsesTo('after-slow')[0], 120000);
      expect(await waitFor('a stable router group', members)).toEqual(before);
      expect(callsOf(14)).toBe(1);
      expect(responsesTo('slow')).toHaveLength(1);
    } finally {
      await admin.disconnect();
    }
  }, 240000);
});
