import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { allTopics, dlqTopic, Topic } from '@llm-router/contracts';
import { ensureTopics } from '@llm-router/infra';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { RetentionService, SweepResult } from '../../apps/reward-aggregator/src/retention/retention.service';
import { RETENTION_LOCK_KEY } from '../../apps/reward-aggregator/src/retention/prune-rules';
import { brokers, plainKafka, waitFor } from '../support/kafka-test-kit';
import { useStack } from '../support/use-stack';

const DAY_MS = 86_400_000;
const HOUR_S = 3600;

/**
 * The data lifecycle (docs/decisions/0022-data-lifecycle.md) on the real broker and database:
 * the aggregator's sweep deletes rows older than the retention and keeps the younger ones and
 * the exactly-once state; topics get the contract's retention; no prompt reaches PostgreSQL.
 */
describe('data lifecycle: retention and prompt storage', () => {
  const e2e = useStack({
    database: 'lifecycle',
    dataset: () => writeSyntheticDataset(50),
    topics: [Topic.Responses],
    planner: true,
    env: {
      RETENTION_DAYS: '1',
      // Longer than the retention: decisions must outlive it by FEEDBACK_TTL_S plus the margin.
      FEEDBACK_TTL_S: String(2 * 24 * HOUR_S),
      // Small, so that the sweep below needs several bounded statements per table.
      RETENTION_BATCH_ROWS: '2',
    },
  });

  const ago = (hours: number) => new Date(Date.now() - hours * HOUR_S * 1000);
  const sql = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    (await e2e.db.query(text, params)).rows as T[];
  const ids = async (table: string, column: string, prefix: string) =>
    (
      await sql<{ id: string }>(`SELECT ${column}::text AS id FROM ${table} WHERE ${column}::text LIKE $1 ORDER BY 1`, [
        `${prefix}%`,
      ])
    ).map((r) => r.id);
  /** The aggregator's sweep; the one it runs at start may still hold the lock, so it is tried until it runs. */
  const sweep = (): Promise<SweepResult> =>
    waitFor(
      'a retention sweep that gets the lock',
      async () => (await e2e.stack.aggregators[0].get(RetentionService).sweep()) ?? undefined,
    );

  const insertDecision = (id: string, recordedAt: Date) =>
    sql(
      `INSERT INTO decisions (decision_id, request_id, scope, policy, policy_version, arm, propensity, scores, price_snapshot, lambda, decided_at, recorded_at)
       VALUES ($1, $1, 'ret', 'random', 1, 'a', 0.5, '{}', '{}', 0, $2, $2)`,
      [id, recordedAt],
    );
  const insertReward = (decisionId: string, appliedAt: Date) =>
    sql(
      `INSERT INTO rewards (decision_id, scope, arm, quality, cost_usd, lambda, reward, source, applied_at)
       VALUES ($1, 'ret', 'a', 1, 0, 0, 1, 'user', $2)`,
      [decisionId, appliedAt],
    );

  it('deletes rows older than RETENTION_DAYS, keeps younger ones and the exactly-once state', async () => {
    // Decisions: 1 day of retention, but kept 2 days + 1 hour (FEEDBACK_TTL_S + margin).
    await insertDecision('ret-d-old', ago(72));
    await insertDecision('ret-d-mid', ago(36));
    await insertDecision('ret-d-new', ago(0));
    await insertReward('ret-d-old', ago(72));
    await insertReward('ret-d-mid', ago(36)); // old enough, but its decision is still there
    await insertReward('ret-d-new', ago(0));
    await insertReward('ret-orphan', ago(48));
    for (const [key, at] of [
      ['d:ret-p-old', ago(72)],
      ['d:ret-p-new', ago(0)],
    ] as const)
      await sql(
        `INSERT INTO pending_feedback (match_key, scope, quality, source, expires_at, received_at)
         VALUES ($1, 'ret', 1, 'user', now() + interval '1 day', $2)`,
        [key, at],
      );
    // feedback_log keeps every source's score as long as decisions are kept (2 days + 1 hour here).
    for (const [id, at] of [
      ['ret-f-old', ago(72)],
      ['ret-f-mid', ago(36)],
    ] as const)
      await sql(
        `INSERT INTO feedback_log (kind, source, scope, decision_id, quality, state, given_at, received_at)
         VALUES ('score', 'judge', 'ret', $1, 0.5, 'superseded', $2, $2)`,
        [id, at],
      );
    for (let i = 0; i < 5; i++)
      await sql(`INSERT INTO router_answers (scope, request_id, response, answered_at) VALUES ('ret', $1, '{}', $2)`, [
        `ret-a-old-${i}`,
        ago(36),
      ]);
    await sql(`INSERT INTO router_answers (scope, request_id, response) VALUES ('ret', 'ret-a-new', '{}')`);
    for (const [id, at] of [
      ['ret-s-old', ago(36)],
      ['ret-s-new', ago(0)],
    ] as const)
      await sql(`INSERT INTO stored_prompts (scope, request_id, messages, stored_at) VALUES ('ret', $1, '[]', $2)`, [
        id,
        at,
      ]);
    for (const [id, at] of [
      ['ret-b-old', ago(36)],
      ['ret-b-new', ago(0)],
    ] as const)
      await sql(
        `INSERT INTO batch_bills (decision_id, scope, period, model, expected_usd, recorded_at) VALUES ($1, 'ret', 'p', 'a', 1, $2)`,
        [id, at],
      );
    // ret-m changed price twice since: its old rows go. ret-n's only price is old but in force: it stays.
    for (const [model, at] of [
      ['ret-m', ago(72)],
      ['ret-m', ago(48)],
      ['ret-m', ago(0)],
      ['ret-n', ago(72)],
    ] as const)
      await sql(
        `INSERT INTO price_history (model, input_per_m, output_per_m, effective_from, source, recorded_at) VALUES ($1, 1, 1, $2, 'test', $2)`,
        [model, at],
      );
    await sql(`INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ('ret-group', 't', 0, 7)`);
    await sql(
      `INSERT INTO policy_state (scope, algorithm, version, state, lambda, updated_at) VALUES ('ret-idle', 'random', 1, '{}', 0, $1)`,
      [new Date(Date.now() - 365 * DAY_MS)],
    );

    const deleted: SweepResult = await sweep();

    expect(await ids('decisions', 'decision_id', 'ret-')).toEqual(['ret-d-mid', 'ret-d-new']);
    expect(await ids('rewards', 'decision_id', 'ret-')).toEqual(['ret-d-mid', 'ret-d-new']);
    expect(await ids('pending_feedback', 'match_key', 'd:ret-')).toEqual(['d:ret-p-new']);
    expect(await ids('feedback_log', 'decision_id', 'ret-')).toEqual(['ret-f-mid']);
    expect(await ids('router_answers', 'request_id', 'ret-')).toEqual(['ret-a-new']);
    expect(await ids('batch_bills', 'decision_id', 'ret-')).toEqual(['ret-b-new']);
    expect(await ids('stored_prompts', 'request_id', 'ret-')).toEqual(['ret-s-new']);
    const prices = await sql<{ model: string; recent: boolean }>(
      `SELECT model, recorded_at > now() - interval '1 hour' AS recent FROM price_history WHERE model LIKE 'ret-%' ORDER BY model`,
    );
    expect(prices).toEqual([
      { model: 'ret-m', recent: true },
      { model: 'ret-n', recent: false },
    ]);
    expect(await ids('consumer_offsets', 'group_id', 'ret-')).toEqual(['ret-group']);
    expect(await ids('policy_state', 'scope', 'ret-')).toEqual(['ret-idle']);
    expect(deleted).toMatchObject({
      decisions: 1,
      rewards: 2,
      pending_feedback: 1,
      feedback_log: 1,
      router_answers: 5,
      stored_prompts: 1,
      batch_bills: 1,
      price_history: 2,
    });
  });

  it('sweeps from one instance at a time: while another holds the lock, a sweep deletes nothing', async () => {
    await insertDecision('ret-locked', ago(72));
    await sql('SELECT pg_advisory_lock($1)', [RETENTION_LOCK_KEY]);
    try {
      expect(await e2e.stack.aggregators[0].get(RetentionService).sweep()).toBeNull();
      expect(await ids('decisions', 'decision_id', 'ret-locked')).toEqual(['ret-locked']);
    } finally {
      await sql('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
    }
    expect((await sweep()).decisions).toBe(1);
    expect(await ids('decisions', 'decision_id', 'ret-locked')).toEqual([]);
  });

  describe('topic retention', () => {
    let admin: Admin;
    beforeAll(async () => {
      admin = plainKafka('test-retention-admin').admin();
      await admin.connect();
    });
    afterAll(() => admin.disconnect());

    const configsOf = async (names: string[]) => {
      const { resources } = await admin.describeConfigs({
        resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
        includeSynonyms: false,
      });
      return new Map(
        resources.map((r) => [
          r.resourceName,
          Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue])),
        ]),
      );
    };

    it('a topic created by ensureTopics has the contract retention.ms (compacted ones keep compaction)', async () => {
      // The test kit created every contract topic with ensureTopics(allTopics()): the default 30 days.
      const history = [Topic.Queries, Topic.Responses, Topic.Decisions, Topic.Feedback, Topic.RewardStream];
      const configs = await configsOf([...history, Topic.PolicyUpdates, Topic.Prices, dlqTopic(Topic.Queries)]);
      for (const t of history) expect(configs.get(t)?.['retention.ms']).toBe(String(30 * DAY_MS));
      expect(configs.get(dlqTopic(Topic.Queries))?.['retention.ms']).toBe(String(90 * DAY_MS));
      for (const t of [Topic.PolicyUpdates, Topic.Prices]) expect(configs.get(t)?.['cleanup.policy']).toBe('compact');
    });

    it('gives an existing topic the contract retention when asked (npm run -s infra -- topics)', async () => {
      const name = `retention-probe-${randomUUID().slice(0, 8)}`;
      await admin.createTopics({ topics: [{ topic: name, numPartitions: 1 }], waitForLeaders: true });
      try {
        const definition = { ...allTopics({ retentionDays: 2 }).find((t) => t.name === Topic.Queries)!, name };
        expect(definition.retentionMs).toBe(2 * DAY_MS);
        const untouched = await ensureTopics(brokers(), [definition]);
        expect(untouched).toMatchObject({ created: [], existing: [name], altered: [] });
        expect((await configsOf([name])).get(name)?.['retention.ms']).not.toBe(String(2 * DAY_MS));

        expect((await ensureTopics(brokers(), [definition], { alterExisting: true })).altered).toEqual([name]);
        expect((await configsOf([name])).get(name)?.['retention.ms']).toBe(String(2 * DAY_MS));
        // Already as the contract says: nothing more to change.
        expect((await ensureTopics(brokers(), [definition], { alterExisting: true })).altered).toEqual([]);
      } finally {
        await admin.deleteTopics({ topics: [name] });
      }
    });
  });

  it('with STORE_PROMPTS unset, no prompt text is in any table after routed queries (per query and batch)', async () => {
    /** Every (table, column) of the schema that can hold text, and the ones whose value contains `needle`. */
    const tablesHolding = async (needle: string) => {
      const columns = await sql<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM information_schema.columns
          WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')`,
      );
      expect(columns.length).toBeGreaterThan(20);
      const hits: string[] = [];
      for (const c of columns) {
        const [{ n }] = await sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${c.table_name}" WHERE strpos("${c.column_name}"::text, $1) > 0`,
          [needle],
        );
        if (n > 0) hits.push(`${c.table_name}.${c.column_name}`);
      }
      return hits;
    };

    // The search finds a string where one is stored (so an empty answer below means something).
    const control = `control-${randomUUID()}`;
    await sql(`INSERT INTO router_answers (scope, request_id, response) VALUES ('ret', 'ret-control', $1)`, [
      JSON.stringify({ output: control }),
    ]);
    expect(await tablesHolding(control)).toEqual(['router_answers.response']);
    await sql(`DELETE FROM router_answers WHERE request_id = 'ret-control'`);

    const secret = `do-not-store-${randomUUID()}`;
    const query = (id: string, row: number, mode: 'query' | 'batch') => ({
      key: id,
      value: JSON.stringify({
        id,
        scope: 'default',
        messages: [{ role: 'user', content: `${secret} (${mode} question ${row})` }],
        datasetRow: row,
        constraints: { mode },
      }),
    });
    await e2e.producer.send({
      topic: Topic.Queries,
      messages: [query('ret-q-1', 3, 'query'), query('ret-q-2', 4, 'batch')],
    });
    await waitFor('both answers', () =>
      ['ret-q-1', 'ret-q-2'].every((id) => e2e.sink.of(Topic.Responses).some((r) => r.key === id)),
    );
    // Everything the query path writes is in: both decisions logged by the aggregator, both
    // router answers, and the batch query no longer pending.
    await waitFor('decisions and answers stored, nothing pending', async () => {
      const [{ decisions }] = await sql<{ decisions: number }>(
        `SELECT count(*)::int AS decisions FROM decisions WHERE request_id IN ('ret-q-1', 'ret-q-2')`,
      );
      const [{ answers }] = await sql<{ answers: number }>(
        `SELECT count(*)::int AS answers FROM router_answers WHERE request_id IN ('ret-q-1', 'ret-q-2')`,
      );
      const [{ pending }] = await sql<{ pending: number }>(`SELECT count(*)::int AS pending FROM batch_pending`);
      return decisions === 2 && answers === 2 && pending === 0;
    });
    expect(await tablesHolding(secret)).toEqual([]);
  });
});
