import { INestApplication } from '@nestjs/common';
import { sha256Hex } from '@llm-router/service';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { useStack } from '../support/use-stack';

const ADMIN = 'test-admin-token';
const KEY_A = 'sk-test-owner-a-0123456789abcdef';
const KEY_B = 'sk-test-other-b-0123456789abcdef';
const KEY_RPM = 'sk-test-rpm-0123456789abcdef0000';
const KEY_TPM = 'sk-test-tpm-0123456789abcdef0000';
const CAP_USD = 0.02;
/** Prices and dataset costs agree: a call costs at most 0.0012 and its worst case (150 output tokens) is 0.0016. */
const ARMS = [
  { id: 't/one', quality: 0.5, cost: 0.001, inputPerM: 10, outputPerM: 10 },
  { id: 't/two', quality: 0.7, cost: 0.001, inputPerM: 10, outputPerM: 10 },
];
const MAX_CALL_USD = 0.0012;

/**
 * Access control of the HTTP front door on the real stack (two routers, Kafka, PostgreSQL):
 * keys, scopes, rate limits, feedback ownership, limits, operator endpoints and the budget cap.
 */
describe('router access control', () => {
  const e2e = useStack({
    database: 'access',
    dataset: () => writeSyntheticDataset(100, ARMS),
    topics: [],
    routers: 2,
    env: {
      ALLOW_NO_AUTH: 'false',
      ROUTER_API_KEYS: JSON.stringify([
        { key: KEY_A, name: 'a', scopes: ['default', 'capped'] },
        { key: KEY_B, name: 'b', scopes: ['default'] },
        { key: KEY_RPM, name: 'rpm', scopes: ['default'], rpm: 3 },
        { key: KEY_TPM, name: 'tpm', scopes: ['default'], tpm: 1 },
      ]),
      SCOPE_BUDGETS: JSON.stringify({ capped: { dayUsd: CAP_USD } }),
      MAX_BODY_BYTES: '65536',
      MAX_PROMPT_CHARS: '20000',
      DEFAULT_MAX_TOKENS: '150',
    },
  });

  const urls = async () => Promise.all(e2e.stack.routers.map((r) => e2e.stack.url(r)));
  const url = async (app: INestApplication) => e2e.stack.url(app);
  const chat = async (base: string, key: string | undefined, body: Record<string, unknown> = {}) => {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({
        model: 'auto',
        messages: [{ role: 'user', content: 'Question 3' }],
        dataset_row: 3,
        ...body,
      }),
    });
    return { res, body: await res.json() };
  };
  const feedback = async (base: string, key: string, body: Record<string, unknown>) =>
    fetch(`${base}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ quality: 0.9, ...body }),
    });

  it('answers 401 in OpenAI format without a key or with an unknown one', async () => {
    const [r0] = await urls();
    for (const key of [undefined, 'sk-not-a-key-0123456789abcdef']) {
      const { res, body } = await chat(r0, key);
      expect(res.status).toBe(401);
      expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
      expect(body.error.message).toEqual(expect.any(String));
    }
  });

  it('routes "auto" in the key\'s first scope and answers 403 for a scope the key may not use', async () => {
    const [r0] = await urls();
    const ok = await chat(r0, KEY_B);
    expect(ok.res.status).toBe(200);
    expect(ok.body.router.scope).toBe('default');
    const denied = await chat(r0, KEY_B, { model: 'auto:capped' });
    expect(denied.res.status).toBe(403);
    expect(denied.body.error).toMatchObject({ type: 'permission_error', code: 'scope_not_allowed' });
  });

  it('accepts a key created in the database on the admin token, on both routers, until it is revoked', async () => {
    const [r0, r1] = await urls();
    const noToken = await fetch(`${r0}/admin/api-keys`, { method: 'POST' });
    expect(noToken.status).toBe(401);
    const created = await fetch(`${r0}/admin/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ name: 'db-key', scopes: ['support'] }),
    });
    expect(created.status).toBe(201);
    const { key, keyHash } = await created.json();
    expect(keyHash).toBe(sha256Hex(key));
    const stored = await e2e.db.query('SELECT key_hash FROM api_keys');
    expect(JSON.stringify(stored.rows)).not.toContain(key);
    const viaOther = await chat(r1, key);
    expect(viaOther.res.status).toBe(200);
    expect(viaOther.body.router.scope).toBe('support');
    const revoked = await fetch(`${r0}/admin/api-keys/${keyHash}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(revoked.status).toBe(204);
    // r0 dropped its cache entry at once; r1 trusts its cached answer for API_KEY_CACHE_S (10 s) at most.
    expect((await chat(r0, key)).res.status).toBe(401);
  });

  it('limits requests per minute across both routers, with 429 and Retry-After', async () => {
    const [r0, r1] = await urls();
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) {
      const { res, body } = await chat(i % 2 ? r1 : r0, KEY_RPM);
      statuses.push(res.status);
      if (res.status === 429) {
        expect(body.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
        const retry = Number(res.headers.get('retry-after'));
        expect(retry).toBeGreaterThanOrEqual(1);
        expect(retry).toBeLessThanOrEqual(60);
      } else expect(res.status).toBe(200);
    }
    const windows = await e2e.db.query('SELECT requests, tokens FROM rate_windows WHERE key_hash = $1', [
      sha256Hex(KEY_RPM),
    ]);
    for (const w of windows.rows) expect(w.requests).toBeLessThanOrEqual(3);
    // No tokens-per-minute limit, so no token count: the answers' tokens are committed before
    // they are sent, and none were written.
    for (const w of windows.rows) expect(Number(w.tokens)).toBe(0);
    const admitted = windows.rows.reduce((n, w) => n + w.requests, 0);
    expect(statuses.filter((s) => s === 200)).toHaveLength(admitted);
    // Nine requests in at most two minute windows: at least three were refused.
    if (windows.rows.length <= 2) expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
  });

  it('limits tokens per minute: once the window holds the limit, the next request is refused', async () => {
    const [r0, r1] = await urls();
    const first = await chat(r0, KEY_TPM);
    expect(first.res.status).toBe(200);
    const second = await chat(r1, KEY_TPM);
    const window = await e2e.db.query('SELECT count(*)::int AS n FROM rate_windows WHERE key_hash = $1', [
      sha256Hex(KEY_TPM),
    ]);
    // Unless the minute turned between the two calls, the second one finds the tokens of the first.
    if (window.rows[0].n === 1) expect(second.res.status).toBe(429);
  });

  it('takes feedback on a decision only from the key that made it', async () => {
    const [r0, r1] = await urls();
    const { res, body } = await chat(r0, KEY_A);
    expect(res.status).toBe(200);
    const decisionId = body.router.decision_id;
    const stranger = await feedback(r1, KEY_B, { decisionId });
    expect(stranger.status).toBe(403);
    expect((await stranger.json()).error).toMatchObject({ type: 'permission_error', code: 'not_decision_owner' });
    const byRequest = await feedback(r1, KEY_B, { requestId: body.id });
    expect(byRequest.status).toBe(403);
    expect((await feedback(r1, KEY_A, { decisionId })).status).toBe(202);
    const unknown = await feedback(r0, KEY_A, { decisionId: 'dec_not_made_over_http' });
    expect(unknown.status).toBe(404);
  });

  it('answers 413 for a body over MAX_BODY_BYTES and 400 for a prompt over MAX_PROMPT_CHARS', async () => {
    const [r0] = await urls();
    const big = await chat(r0, KEY_A, { messages: [{ role: 'user', content: 'x'.repeat(70_000) }] });
    expect(big.res.status).toBe(413);
    expect(big.body.error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
    const long = await chat(r0, KEY_A, { messages: [{ role: 'user', content: 'x'.repeat(20_001) }] });
    expect(long.res.status).toBe(400);
    expect(long.body.error).toMatchObject({ type: 'invalid_request_error', code: 'prompt_too_long' });
  });

  it('opens operator endpoints on the admin token only; /health stays open', async () => {
    const aggregator = await url(e2e.stack.aggregators[0]);
    const [r0] = await urls();
    for (const target of [`${aggregator}/stats`, `${aggregator}/policy/default`, `${r0}/metrics`]) {
      const anonymous = await fetch(target);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect((await fetch(target, { headers: { authorization: `Bearer ${KEY_A}` } })).status).toBe(401);
      const admin = await fetch(target, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect([200, 404]).toContain(admin.status);
    }
    const browser = await fetch(`${aggregator}/dashboard`, {
      headers: { authorization: `Basic ${Buffer.from(`ops:${ADMIN}`).toString('base64')}` },
    });
    expect(browser.status).not.toBe(401);
    expect((await fetch(`${aggregator}/health`)).status).toBe(200);
    expect((await fetch(`${r0}/health`)).status).toBe(200);
  });

  it('never lets 64 concurrent clients on two routers spend past the scope cap', async () => {
    const routers = await urls();
    const served = [0, 0];
    let refused = 0;
    let reportedUsd = 0;
    await Promise.all(
      Array.from({ length: 64 }, async (_, client) => {
        const r = client % 2;
        for (;;) {
          const { res, body } = await chat(routers[r], KEY_A, {
            model: 'auto:capped',
            max_tokens: 150,
            dataset_row: client % 100,
          });
          if (res.status === 429) {
            expect(body.error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota' });
            refused++;
            return;
          }
          expect(res.status).toBe(200);
          served[r]++;
          reportedUsd += Number(res.headers.get('x-router-cost-usd'));
        }
      }),
    );
    expect(refused).toBe(64);
    expect(served[0]).toBeGreaterThan(0);
    expect(served[1]).toBeGreaterThan(0);
    // The guarantee asked for is "at most one in-flight call per router over"; reserving the
    // worst case makes it tighter: not over at all, when prices bound the real cost.
    expect(reportedUsd).toBeLessThanOrEqual(CAP_USD + 2 * MAX_CALL_USD);
    expect(reportedUsd).toBeLessThanOrEqual(CAP_USD + 1e-9);
    const counter = await e2e.db.query(
      `SELECT spent_usd, reserved_usd FROM budget_counters WHERE subject = 'scope:capped'`,
    );
    expect(counter.rows).toHaveLength(1);
    expect(counter.rows[0].spent_usd).toBeCloseTo(reportedUsd, 9);
    expect(counter.rows[0].reserved_usd).toBeCloseTo(0, 9);
    expect((await e2e.db.query('SELECT count(*)::int AS n FROM budget_reservations')).rows[0].n).toBe(0);
  });
  it('counts spend again on a counter row deleted while the routers run (an operator reset)', async () => {
    const routers = await urls();
    // Both routers have booked on this counter already (the cap test): each remembers that it exists.
    await e2e.db.query(`DELETE FROM budget_counters WHERE subject = 'scope:capped'`);
    for (const base of routers) {
      const { res } = await chat(base, KEY_A, { model: 'auto:capped', max_tokens: 150, dataset_row: 5 });
      expect(res.status).toBe(200);
    }
    const counter = await e2e.db.query(
      `SELECT spent_usd, reserved_usd FROM budget_counters WHERE subject = 'scope:capped'`,
    );
    expect(counter.rows).toHaveLength(1);
    expect(counter.rows[0].spent_usd).toBeGreaterThan(0);
    expect(counter.rows[0].reserved_usd).toBeCloseTo(0, 9);
  });
});
