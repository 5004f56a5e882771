import { Topic } from '@llm-router/contracts';
import { readFileSync } from 'node:fs';
import { DEFAULT_ARMS, writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { sendFeedback } from '../support/feedback';
import { waitFor } from '../support/kafka-test-kit';
import { datasetRows, useStack } from '../support/use-stack';

const NEW_ARM = { id: 'acme/new', quality: 0.97, cost: 0.0005, inputPerM: 0.4, outputPerM: 1.2 };
const BEST = 'acme/medium';
/** Best net reward at lambda 20 once BEST costs 50x more: 0.6 - 20 * 0.004 beats 0.35 and 0.9 - 20 * 0.03. */
const RUNNER_UP = 'acme/large';

/**
 * Online learning through Kafka with two routers and two aggregators sharing one policy
 * state: the best arm's share grows, replicas converge, a price event and a new model change
 * the very next decisions without a restart.
 */
describe('learning online through Kafka', () => {
  let rows: { arms: Record<string, { reward: number }> }[];
  let sent = 0;
  const chosen: string[] = [];

  const e2e = useStack({
    database: 'learn',
    dataset: () => {
      // The dataset knows a fourth model that the models file does not list yet.
      const data = writeSyntheticDataset(600, [...DEFAULT_ARMS, NEW_ARM], 11);
      const models = JSON.parse(readFileSync(data.modelsPath, 'utf8'));
      models.models = models.models.filter((m: { model_id: string }) => m.model_id !== NEW_ARM.id);
      require('node:fs').writeFileSync(data.modelsPath, JSON.stringify(models));
      rows = datasetRows(data.dataPath);
      return data;
    },
    topics: [Topic.Responses],
    routers: 2,
    aggregators: 2,
    env: { ROUTER_POLICY: 'thompson', DEFAULT_LAMBDA: '20', POLICY_SEED: '3' },
  });

  /** Sends n queries, waits for their answers, sends the dataset's quality back, waits until applied. */
  async function round(n: number): Promise<string[]> {
    const ids = Array.from({ length: n }, () => `q-${sent++}`);
    await e2e.producer.send({
      topic: Topic.Queries,
      messages: ids.map((id) => {
        const row = Number(id.slice(2)) % rows.length;
        return {
          key: id,
          value: JSON.stringify({ id, messages: [{ role: 'user', content: `Question ${row}` }], datasetRow: row }),
        };
      }),
    });
    const answers = await waitFor(`${n} answers`, () => {
      const got = ids.map((id) => e2e.sink.of(Topic.Responses).find((r) => r.key === id));
      return got.every(Boolean) && (got as { value: { decisionId: string; model: string; id: string } }[]);
    });
    await sendFeedback(e2e, answers, (a) => rows[Number(a.value.id.slice(2)) % rows.length].arms[a.value.model].reward);
    await waitFor(
      'rewards applied',
      async () => (await e2e.db.query('SELECT count(*)::int AS n FROM rewards')).rows[0].n >= sent,
    );
    // Let the debounced snapshot reach both routers before the next round.
    const version = (await e2e.db.query(`SELECT version FROM policy_state WHERE scope = 'default'`)).rows[0].version;
    await waitFor('routers on the latest policy', async () => (await routerVersions()).every((v) => v >= version));
    const models = answers.map((a) => a.value.model);
    chosen.push(...models);
    return models;
  }

  async function routerVersions(): Promise<number[]> {
    return Promise.all(
      e2e.stack.routers.map(async (r) => {
        const h = await (await fetch(`${await e2e.stack.url(r)}/health`)).json();
        return h.checks.replica.scopes['default'] ?? 0;
      }),
    );
  }

  const share = (xs: string[], arm: string) => xs.filter((x) => x === arm).length / xs.length;

  it('learns the best arm: its share in the last quarter clearly exceeds the first quarter', async () => {
    for (let i = 0; i < 8; i++) await round(40);
    const q = chosen.length / 4;
    const first = share(chosen.slice(0, q), BEST);
    const last = share(chosen.slice(-q), BEST);
    expect(last).toBeGreaterThan(first + 0.25);
    expect(last).toBeGreaterThan(0.7);
  });

  it('converges both routers to the policy version in Postgres once traffic stops', async () => {
    const { version, rewards_applied } = (
      await e2e.db.query(`SELECT version, rewards_applied FROM policy_state WHERE scope = 'default'`)
    ).rows[0];
    expect(rewards_applied).toBe(sent);
    const versions = await waitFor('both routers at the stored version', async () => {
      const v = await routerVersions();
      return v.every((x) => x === version) && v;
    });
    expect(versions).toEqual([version, version]);
  });

  it('a price event changes the next decisions without a restart', async () => {
    const pw = await e2e.stack.url(e2e.stack.priceWatcher);
    const res = await fetch(`${pw}/admin/prices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-admin-token' },
      body: JSON.stringify({ model: BEST, inputPerM: 25, outputPerM: 75, confirm: true }),
    });
    expect(res.status).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 1500));
    const after = await round(40);
    // At lambda 20 the best arm now costs more than its quality is worth: the runner-up wins.
    expect(share(after, BEST)).toBeLessThan(0.2);
    expect(share(after, RUNNER_UP)).toBeGreaterThan(0.5);
  });

  it('a model added through the admin API is explored by the routers at once', async () => {
    const pw = await e2e.stack.url(e2e.stack.priceWatcher);
    const res = await fetch(`${pw}/admin/models`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-admin-token' },
      body: JSON.stringify({ model: NEW_ARM.id, inputPerM: NEW_ARM.inputPerM, outputPerM: NEW_ARM.outputPerM }),
    });
    expect(res.status).toBeLessThan(300);
    await waitFor('routers know the new model', async () => {
      const lists = await Promise.all(
        e2e.stack.routers.map(async (r) =>
          (await (await fetch(`${await e2e.stack.url(r)}/v1/models`)).json()).data.map((m: { id: string }) => m.id),
        ),
      );
      return lists.every((l) => l.includes(NEW_ARM.id));
    });
    const picks = [...(await round(40)), ...(await round(40))];
    expect(picks.filter((m) => m === NEW_ARM.id).length).toBeGreaterThanOrEqual(5);
  });
});
