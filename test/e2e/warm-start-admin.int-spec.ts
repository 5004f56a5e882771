import { Topic } from '@llm-router/contracts';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { waitFor } from '../support/kafka-test-kit';
import { useStack } from '../support/use-stack';

const ADMIN = 'test-admin-token';
const ARMS = [
  { id: 't/weak', quality: 0.2, cost: 0.0001, inputPerM: 1, outputPerM: 1 },
  { id: 't/strong', quality: 0.9, cost: 0.0001, inputPerM: 1, outputPerM: 1 },
];

/** Issue 10 item 4: an admin call primes a scope once, as WARM_START_FILE and replay --warm-start do. */
describe('warm start through the admin API', () => {
  const e2e = useStack({
    database: 'warmadmin',
    dataset: () => writeSyntheticDataset(60, ARMS),
    topics: [Topic.PolicyUpdates],
    // The stack's default is random; warm start primes the policy the scope runs.
    env: { ROUTER_POLICY: 'auto' },
  });
  const post = async (scope: string, body: unknown, token = ADMIN) =>
    fetch(`${await e2e.stack.url(e2e.stack.aggregators[0])}/admin/scopes/${scope}/warm-start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  const rows = Array.from({ length: 40 }, (_, i) => ({
    prompt: `Question ${i}`,
    arms: { 't/weak': { reward: 0.2, cost: 0.0001 }, 't/strong': { reward: 0.9, cost: 0.0001 } },
  }));

  it('primes a new scope once, publishes it to the routers, and refuses a second priming with 409', async () => {
    const first = await post('primed', { rows });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ scope: 'primed', rows: 40, version: 1 });
    const stored = await e2e.db.query(`SELECT version, state FROM policy_state WHERE scope = 'primed'`);
    expect(stored.rows).toHaveLength(1);
    const snapshot = await waitFor('the primed snapshot', () =>
      e2e.sink.of(Topic.PolicyUpdates).find((m) => m.value.scope === 'primed'),
    );
    expect(snapshot.value.version).toBe(1);

    const again = await post('primed', { rows });
    expect(again.status).toBe(409);
    expect((await again.json()).message).toMatch(/already has learned state/);
    const after = await e2e.db.query(`SELECT state FROM policy_state WHERE scope = 'primed'`);
    expect(after.rows[0].state).toEqual(stored.rows[0].state);
  });

  it('primes the routers: a primed scope routes to the arm the offline rows favour from its first query', async () => {
    expect((await post('routed', { rows })).status).toBe(201);
    const router = await e2e.stack.url(e2e.stack.routers[0]);
    await waitFor('the router to apply the primed snapshot', async () => {
      const h = await (await fetch(`${router}/health`)).json();
      return h.checks?.replica?.scopes?.routed >= 1 || JSON.stringify(h).includes('"routed":1');
    });
    const picks: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await fetch(`${router}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'auto:routed',
          messages: [{ role: 'user', content: `Question ${i}` }],
          dataset_row: i,
        }),
      });
      picks.push(r.headers.get('x-router-model') ?? '');
    }
    expect(picks.filter((m) => m === 't/strong').length).toBeGreaterThanOrEqual(9);
  });

  it('answers 400 for neither path nor rows, and 401 without the admin token', async () => {
    expect((await post('bad', {})).status).toBe(400);
    expect((await post('bad', { path: '/nonexistent.jsonl' })).status).toBe(400);
    expect((await post('bad', { rows }, 'wrong-token')).status).toBe(401);
  });
});
