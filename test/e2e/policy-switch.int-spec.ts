import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Topic } from '@llm-router/contracts';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { sendFeedback } from '../support/feedback';
import { waitFor } from '../support/kafka-test-kit';
import { datasetRows, useStack } from '../support/use-stack';

const WORST = 'acme/small';
const BEST = 'acme/medium';
const ADMIN = { 'content-type': 'application/json', authorization: 'Bearer test-admin-token' };

/**
 * Switching a live scope's policy (docs/decisions/0016) on the real broker and database: the
 * scope runs `random` (uniform logs), the aggregator's gate reads its decisions from
 * PostgreSQL, refuses a clearly worse candidate with 409 and lets a better one through; both
 * verdicts are recorded, and the routers route with the new policy.
 */
describe('gated policy switch', () => {
  let rows: { arms: Record<string, { reward: number }> }[];
  let sent = 0;
  let databaseUrl = '';

  const e2e = useStack({
    database: 'switch',
    dataset: () => {
      const data = writeSyntheticDataset(400);
      rows = datasetRows(data.dataPath);
      return data;
    },
    topics: [Topic.Responses, Topic.Decisions],
  });

  /** Sends n queries, waits for their answers, returns the dataset's quality for each, and waits until applied. */
  async function round(n: number): Promise<string[]> {
    const ids = Array.from({ length: n }, () => `q-${sent++}`);
    const row = (id: string) => Number(id.slice(2)) % rows.length;
    await e2e.producer.send({
      topic: Topic.Queries,
      messages: ids.map((id) => ({
        key: id,
        value: JSON.stringify({
          id,
          messages: [{ role: 'user', content: `Question ${row(id)}` }],
          datasetRow: row(id),
        }),
      })),
    });
    const answers = await waitFor(`${n} answers`, () => {
      const got = ids.map((id) => e2e.sink.of(Topic.Responses).find((r) => r.key === id));
      return got.every(Boolean) && (got as { key: string; value: { decisionId: string; model: string } }[]);
    });
    await sendFeedback(e2e, answers, (a) => rows[row(a.key)].arms[a.value.model].reward, 'replay');
    await waitFor(
      'rewards applied',
      async () => (await e2e.db.query('SELECT count(*)::int AS n FROM rewards')).rows[0].n >= sent,
    );
    return ids;
  }

  const aggregatorUrl = () => e2e.stack.url(e2e.stack.aggregators[0]);
  const requestSwitch = async (body: unknown, headers: Record<string, string> = ADMIN) =>
    fetch(`${await aggregatorUrl()}/admin/scopes/default/policy`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    // The file's fresh database, for the CLI: the server of DATABASE_URL, this file's database name.
    const url = new URL(process.env['DATABASE_URL'] as string);
    url.pathname = `/${(await e2e.db.query('SELECT current_database() AS db')).rows[0].db}`;
    databaseUrl = url.toString();
    await round(150);
  });

  it('guards the switch with ADMIN_TOKEN and refuses unknown options by name', async () => {
    expect((await requestSwitch({ algorithm: 'ucb1' }, { 'content-type': 'application/json' })).status).toBe(401);
    const bad = await requestSwitch({ algorithm: 'epsilon-greedy', options: { epsilonn: 0.05 } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/epsilon-greedy\.epsilonn: unknown option \(known: .*epsilon/);
    expect((await e2e.db.query('SELECT count(*)::int AS n FROM policy_switches')).rows[0].n).toBe(0);
  });

  it('refuses a clearly worse candidate with 409 and its figures, records it, and keeps the policy', async () => {
    const before = (await e2e.db.query(`SELECT algorithm, version FROM policy_state WHERE scope = 'default'`)).rows[0];
    const res = await requestSwitch({ algorithm: `fixed:${WORST}` });
    expect(res.status).toBe(409);
    const body = await res.json();
    expect(body.passed).toBe(false);
    expect(body.figures.n).toBe(150);
    expect(body.figures.snips.figures.candidate.estimate).toBeLessThan(body.figures.current.estimate - 0.1);
    expect(body.figures.dr.promote).toBe(false);
    const recorded = (await e2e.db.query(`SELECT * FROM policy_switches ORDER BY id`)).rows;
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      scope: 'default',
      from_algorithm: 'random',
      to_algorithm: `fixed:${WORST}`,
      passed: false,
      new_version: null,
    });
    expect(recorded[0].figures.snips.figures.candidate.estimate).toBeCloseTo(
      body.figures.snips.figures.candidate.estimate,
      9,
    );
    const after = (await e2e.db.query(`SELECT algorithm, version FROM policy_state WHERE scope = 'default'`)).rows[0];
    expect(after).toEqual(before);
  });

  it('`npm run ope -- --from-db` judges the same log with the same figures', async () => {
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', 'tools/ope/main.ts', '--from-db', '--scope', 'default', '--candidates', `fixed:${WORST}`, '--json'],
      { env: { ...process.env, DATABASE_URL: databaseUrl }, maxBuffer: 1 << 24 },
    );
    const out = JSON.parse(stdout.trim().split('\n').pop() as string);
    const recorded = (await e2e.db.query(`SELECT figures FROM policy_switches ORDER BY id LIMIT 1`)).rows[0].figures;
    expect(out.n).toBe(150);
    expect(out.candidates[0].pass).toBe(false);
    expect(out.candidates[0].snips.figures.candidate.estimate).toBeCloseTo(
      recorded.snips.figures.candidate.estimate,
      9,
    );
    expect(out.candidates[0].dr.figures.candidate.estimate).toBeCloseTo(recorded.dr.figures.candidate.estimate, 9);
    expect(out.candidates[0].current.estimate).toBeCloseTo(recorded.current.estimate, 9);
  });

  it('passes a better candidate, records it, and the routers route with the new policy', async () => {
    const res = await requestSwitch({ algorithm: 'epsilon-greedy', options: { epsilon: 0.05 } });
    const body = await res.json();
    expect([res.status, body.reason]).toEqual([200, expect.stringMatching(/^passed/)]);
    expect(body.figures.snips.figures.candidate.lower).toBeGreaterThan(body.figures.current.estimate - 0.02);
    const state = (await e2e.db.query(`SELECT algorithm, version, state FROM policy_state WHERE scope = 'default'`))
      .rows[0];
    expect(state).toMatchObject({ algorithm: 'epsilon-greedy', version: body.version });
    expect(state.state.params).toMatchObject({ epsilon: 0.05 });
    const recorded = (await e2e.db.query(`SELECT * FROM policy_switches WHERE passed ORDER BY id`)).rows;
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      to_algorithm: 'epsilon-greedy',
      to_options: { epsilon: 0.05 },
      new_version: body.version,
    });

    const routerVersion = async () =>
      (await (await fetch(`${await e2e.stack.url(e2e.stack.routers[0])}/health`)).json()).checks.replica.scopes[
        'default'
      ] ?? 0;
    await waitFor('the router on the switched version', async () => (await routerVersion()) >= body.version);

    // New traffic is decided by the new policy, which learned the log: it mostly picks the best arm.
    const ids = new Set(await round(60));
    const decisions = e2e.sink.of(Topic.Decisions).filter((d) => ids.has(d.value.requestId));
    expect(decisions.map((d) => d.value.policy)).toEqual(Array(60).fill('epsilon-greedy'));
    expect(decisions.filter((d) => d.value.arm === BEST).length).toBeGreaterThan(45);
    // The aggregator learned those rewards on the new policy (its stale copy was reloaded).
    const now = (
      await e2e.db.query(`SELECT algorithm, version, rewards_applied FROM policy_state WHERE scope = 'default'`)
    ).rows[0];
    expect(now.algorithm).toBe('epsilon-greedy');
    expect(now.version).toBeGreaterThan(body.version);
    expect(now.rewards_applied).toBe(210);
  });
});
