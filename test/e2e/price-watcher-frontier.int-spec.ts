import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Producer } from 'kafkajs';
import { createPolicy } from '@llm-router/bandits';
import { encode, ParetoFrontierEvent, PolicySnapshot, Topic } from '@llm-router/contracts';
import { MessageProducer } from '@llm-router/kafka';
import { openDataSource } from '@llm-router/persistence';
import { collect, plainProducer, resetTopics, waitFor } from '../support/kafka-test-kit';
import { freshDatabase } from '../support/database';
import {
  ADMIN_TOKEN,
  captureLogs,
  LogLine,
  PriceWatcher,
  published,
  received,
  Sink,
  startPriceWatcher,
} from '../support/price-watcher';

// small: cheap and weak, large: mid, pro: expensive and best, meh: dominated by large.
const MODELS = {
  models: [
    { model_id: 'small', input_cost_per_m: 0.1, output_cost_per_m: 0.1 },
    { model_id: 'large', input_cost_per_m: 0.5, output_cost_per_m: 1.5 },
    { model_id: 'pro', input_cost_per_m: 1.25, output_cost_per_m: 10 },
    { model_id: 'meh', input_cost_per_m: 1, output_cost_per_m: 3 },
  ],
};
const Q = { small: 0.6, large: 0.8, pro: 0.9, meh: 0.7 };

/**
 * A real UCB1 snapshot in which each arm was observed once at the given quality: its estimate
 * is that quality exactly, so the frontier's quality axis is known in advance.
 */
function snapshot(scope: string, version: number, qualities: Record<string, number>): PolicySnapshot {
  const policy = createPolicy('ucb1', { arms: Object.keys(qualities) });
  for (const [arm, quality] of Object.entries(qualities)) policy.update({}, arm, { quality, costUsd: 0 });
  return {
    scope,
    version,
    algorithm: 'ucb1',
    state: JSON.parse(JSON.stringify(policy.toState())),
    lambda: 0,
    rewardsApplied: version,
    ts: new Date().toISOString(),
  };
}

const ids = (e: ParetoFrontierEvent | null | undefined) =>
  e && { frontier: e.frontier.map((p) => p.model), dominated: e.dominated.map((p) => p.model) };

/** pareto.frontier from the running price-watcher: quality from policy.updates snapshots, cost from its prices. */
describe('price-watcher frontier', () => {
  let sink: Sink;
  let logs: LogLine[];
  let producer: Producer;
  let dir: string;
  let file: string;
  let pw: PriceWatcher;

  const send = (s: PolicySnapshot) => {
    const e = encode(Topic.PolicyUpdates, s);
    return producer.send({ topic: Topic.PolicyUpdates, messages: [{ key: e.key, value: e.value }] });
  };
  const frontiers = async () =>
    (await received(sink, Topic.ParetoFrontier)).map((m) => ({ key: m.key, value: m.value as ParetoFrontierEvent }));
  /** The next frontier published for a scope after `mark`. */
  const next = (scope: string, mark: number) =>
    waitFor(`a frontier for ${scope}`, async () => (await frontiers()).slice(mark).find((f) => f.key === scope)?.value);
  /** A line logged after `mark`, once it is there. */
  const logged = (what: string, mark: number, match: (l: LogLine) => boolean) =>
    waitFor(what, () => logs.slice(mark).find(match));
  /** The frontier service logs this once it has recomputed a scope and found nothing to publish. */
  const notPublished = (scope: string, reason: string) => (l: LogLine) =>
    l.msg === 'frontier unchanged, not published' && l['scope'] === scope && l['reason'] === reason;

  beforeAll(async () => {
    // One partition per topic: the sink then sees messages in the order they were published.
    process.env['KAFKA_PARTITIONS_CAP'] = '1';
    await resetTopics();
    sink = await collect([Topic.ParetoFrontier]);
    producer = await plainProducer();
    logs = captureLogs();
    dir = mkdtempSync(join(tmpdir(), 'pw-frontier-'));
    file = join(dir, 'models.json');
    writeFileSync(file, JSON.stringify(MODELS));
  });

  afterAll(async () => {
    await producer?.disconnect();
    await sink?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('from policy.updates', () => {
    beforeAll(async () => {
      pw = await startPriceWatcher({
        databaseUrl: await freshDatabase('pw_frontier'),
        env: { PRICES_FILE: file, ADMIN_TOKEN },
        policyUpdates: true,
      });
    });
    afterAll(async () => pw?.close());

    it('publishes nothing before a scope has quality estimates, and says why', async () => {
      expect(await published(Topic.ParetoFrontier)).toBe(0);
      expect((await pw.call('GET', '/frontier', undefined, null)).body).toEqual({ scopes: [] });
      expect(logs.some((l) => l.level === 'info' && /no pareto\.frontier is published/.test(l.msg ?? ''))).toBe(true);
    });

    it("publishes a scope's frontier on its first policy update, keyed by scope, with costs per nominal call", async () => {
      const mark = (await frontiers()).length;
      await send(snapshot('default', 1, Q));
      const e = await next('default', mark);
      expect(ids(e)).toEqual({ frontier: ['small', 'large', 'pro'], dominated: ['meh'] });
      const sent = (await frontiers()).slice(mark);
      expect(sent.map((s) => s.key)).toEqual(['default']);
      expect(sent[0].value.frontier[0]).toEqual({ model: 'small', quality: 0.6, costUsd: expect.closeTo(0.0001, 15) });
      expect(sent[0].value.reason).toBe('policy update v1');
    });

    it('publishes again only when the frontier changed', async () => {
      let mark = (await frontiers()).length;
      const logMark = logs.length;
      await send(snapshot('default', 2, { ...Q, large: 0.801 }));
      await logged('v2 recomputed', logMark, notPublished('default', 'policy update v2'));
      // The admin API answers once the frontier has been recomputed for the new price.
      expect(
        (await pw.call('POST', '/admin/prices', { model: 'pro', inputPerM: 1.25, outputPerM: 10.01 })).body,
      ).toMatchObject({ status: 'accepted' });
      expect(await published(Topic.ParetoFrontier)).toBe(mark);

      // A price cut moves the dominated model onto the frontier.
      expect(
        (await pw.call('POST', '/admin/prices', { model: 'meh', inputPerM: 0.2, outputPerM: 0.3 })).body,
      ).toMatchObject({ status: 'accepted' });
      const [cut] = (await frontiers()).slice(mark).map((f) => f.value);
      expect(ids(cut)).toEqual({ frontier: ['small', 'meh', 'large', 'pro'], dominated: [] });
      expect(cut.reason).toMatch(/price change \(admin\): meh/);
      expect((await frontiers()).slice(mark)).toHaveLength(1);

      // A quality move that reorders the frontier.
      mark = (await frontiers()).length;
      await send(snapshot('default', 3, { ...Q, meh: 0.7, large: 0.65 }));
      const q = await next('default', mark);
      expect(ids(q)).toEqual({ frontier: ['small', 'meh', 'pro'], dominated: ['large'] });
      expect((await frontiers()).slice(mark)).toHaveLength(1);
    });

    it('recomputes every scope on a price change, and drops removed models', async () => {
      let mark = (await frontiers()).length;
      await send(snapshot('tenant-a', 1, { small: 0.5, pro: 0.95 }));
      await next('tenant-a', mark);
      mark = (await frontiers()).length;
      expect((await pw.call('DELETE', '/admin/models/pro')).status).toBe(200);
      const sent = (await frontiers()).slice(mark);
      expect(sent.map((s) => s.key).sort()).toEqual(['default', 'tenant-a']);
      expect(ids(sent.find((s) => s.key === 'tenant-a')!.value)).toEqual({ frontier: ['small'], dominated: [] });
    });

    it('gives a snapshot it cannot read no estimates, instead of failing', async () => {
      const mark = await published(Topic.ParetoFrontier);
      const logMark = logs.length;
      const unreadable = { algorithm: 'no-such-algorithm', params: {}, arms: ['a'], stats: {} };
      await send({ ...snapshot('other', 1, {}), algorithm: 'no-such-algorithm', state: unreadable });
      await logged('the unreadable snapshot recomputed', logMark, notPublished('other', 'policy update v1'));
      expect(await published(Topic.ParetoFrontier)).toBe(mark);
      expect(logs.slice(logMark).some((l) => l.level === 'warn' && /cannot estimate/.test(l.msg ?? ''))).toBe(true);
      const scopes = (await pw.call('GET', '/frontier', undefined, null)).body.scopes;
      expect(scopes.map((s: { scope: string }) => s.scope)).toEqual(['default', 'tenant-a', 'other']);
      expect(scopes[2]).toEqual({ scope: 'other', policyVersion: 1, estimates: {}, frontier: expect.anything() });
    });
  });

  describe('at start, and after a failed publication', () => {
    let mark: number;

    beforeAll(async () => {
      const databaseUrl = await freshDatabase('pw_frontier_stored');
      // The row the reward-aggregator keeps per scope, written before the price-watcher starts.
      const ds = await openDataSource(databaseUrl);
      const s = snapshot('default', 7, Q);
      await ds.query(
        `INSERT INTO policy_state (scope, algorithm, version, state, lambda) VALUES ($1, $2, $3, $4, $5)`,
        [s.scope, s.algorithm, s.version, JSON.stringify(s.state), s.lambda],
      );
      await ds.destroy();
      mark = await published(Topic.ParetoFrontier);
      pw = await startPriceWatcher({ databaseUrl, env: { PRICES_FILE: file, ADMIN_TOKEN }, policyUpdates: true });
    });
    afterAll(async () => pw?.close());

    it('starts from the stored policies', async () => {
      expect((await frontiers()).slice(mark).map((f) => f.value.scope)).toEqual(['default']);
      expect((await pw.call('GET', '/frontier', undefined, null)).body.scopes[0]).toMatchObject({
        scope: 'default',
        policyVersion: 7,
      });
    });

    it('publishes after a failed publication even when nothing changed since', async () => {
      const before = await published(Topic.ParetoFrontier);
      let logMark = logs.length;
      // The app's own producer, disconnected: the frontier's send fails instead of reaching the broker.
      const kafka = pw.app.get(MessageProducer);
      await kafka.disconnect();
      try {
        await send(snapshot('retry', 1, Q));
        await logged(
          'the failed publication',
          logMark,
          (l) => l.level === 'error' && l['scope'] === 'retry' && /publishing the frontier failed/.test(l.msg ?? ''),
        );
      } finally {
        await kafka.connect();
      }
      expect(await published(Topic.ParetoFrontier)).toBe(before);

      await send(snapshot('retry', 2, Q));
      const e = await next('retry', before);
      expect(ids(e)).toEqual({ frontier: ['small', 'large', 'pro'], dominated: ['meh'] });
      expect(e.reason).toBe('policy update v2');

      logMark = logs.length;
      await send(snapshot('retry', 3, Q));
      await logged('v3 recomputed', logMark, notPublished('retry', 'policy update v3'));
      expect(await published(Topic.ParetoFrontier)).toBe(before + 1);
    });
  });
});
