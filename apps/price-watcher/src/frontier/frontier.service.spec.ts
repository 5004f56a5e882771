import { createPolicy } from '@llm-router/bandits';
import { ParetoFrontierEvent, Topic } from '@llm-router/contracts';
import { MetricsService } from '@llm-router/service';
import { FakeProducer, fakeLog, MemoryPriceStore } from '../testing/fakes';
import { PriceBookService } from '../price-book/price-book.service';
import { costPerCall, FrontierService, policyQualities, PolicyView, QualityEstimator } from './frontier.service';

// The test policies' "state" is simply the quality per arm; 'unreadable' stands for a
// snapshot of an algorithm this service does not know.
const estimator: QualityEstimator = (s) => (s.state === 'unreadable' ? null : new Map(Object.entries(s.state as Record<string, number>)));
const snap = (scope: string, version: number, state: unknown): PolicyView => ({ scope, version, algorithm: 'test', state });
const ids = (e: ParetoFrontierEvent | null | undefined) => e && { frontier: e.frontier.map((p) => p.model), dominated: e.dominated.map((p) => p.model) };

async function setup(stored: PolicyView[] = []) {
  const producer = new FakeProducer();
  const metrics = new MetricsService();
  const log = fakeLog();
  const book = new PriceBookService(new MemoryPriceStore(), producer, log as never, metrics, { MAX_PRICE_JUMP: 10, selfHosted: [] });
  await book.onModuleInit();
  const frontier = new FrontierService(book, producer, log as never, metrics, { tokensPerCall: 1000 }, estimator, { latest: async () => stored });
  // small: cheap and weak, large: mid, pro: expensive and best, meh: dominated by large.
  await book.proposeMany('file', [
    { model: 'small', inputPerM: 0.1, outputPerM: 0.1 },
    { model: 'large', inputPerM: 0.5, outputPerM: 1.5 },
    { model: 'pro', inputPerM: 1.25, outputPerM: 10 },
    { model: 'meh', inputPerM: 1, outputPerM: 3 },
  ]);
  await frontier.onApplicationBootstrap();
  return { producer, book, frontier, log };
}

const Q = { small: 0.6, large: 0.8, pro: 0.9, meh: 0.7 };

describe('costPerCall', () => {
  it('prices a nominal call at the blended list price (input + 3 x output) / 4', () => {
    expect(costPerCall({ model: 'x', inputPerM: 1, outputPerM: 3 }, 1000)).toBeCloseTo(0.0025, 15);
    expect(costPerCall({ model: 'x', inputPerM: 1, outputPerM: 3, costFactor: 0.5 }, 1000)).toBeCloseTo(0.00125, 15);
    expect(costPerCall({ model: 'x', inputPerM: 0, outputPerM: 0 }, 1000)).toBe(0);
  });
});

describe('FrontierService', () => {
  it('publishes nothing before a scope has quality estimates, and says why', async () => {
    const { producer, frontier, log } = await setup();
    expect(producer.on(Topic.ParetoFrontier)).toEqual([]);
    expect(frontier.frontiers()).toEqual([]);
    expect(log.lines.some((l) => l.level === 'info' && /no pareto\.frontier is published/.test(l.msg ?? ''))).toBe(true);
  });

  it('publishes a scope\'s frontier on its first policy update, keyed by scope, with costs per nominal call', async () => {
    const { producer, frontier } = await setup();
    producer.clear();
    const e = await frontier.onPolicySnapshot(snap('default', 1, Q));
    expect(ids(e)).toEqual({ frontier: ['small', 'large', 'pro'], dominated: ['meh'] });
    const sent = producer.sent.filter((s) => s.topic === Topic.ParetoFrontier);
    expect(sent.map((s) => s.key)).toEqual(['default']);
    const msg = sent[0].message as ParetoFrontierEvent;
    expect(msg.frontier[0]).toEqual({ model: 'small', quality: 0.6, costUsd: expect.closeTo(0.0001, 15) });
    expect(msg.reason).toBe('policy update v1');
  });

  it('publishes again only when the frontier changed', async () => {
    const { producer, frontier, book } = await setup();
    await frontier.onPolicySnapshot(snap('default', 1, Q));
    producer.clear();

    expect(await frontier.onPolicySnapshot(snap('default', 2, { ...Q, large: 0.801 }))).toBeNull();
    await book.propose('url', { model: 'pro', inputPerM: 1.25, outputPerM: 10.01 });
    expect(producer.on(Topic.ParetoFrontier)).toEqual([]);

    // A price cut moves the dominated model onto the frontier.
    await book.propose('admin', { model: 'meh', inputPerM: 0.2, outputPerM: 0.3 });
    const [cut] = producer.on(Topic.ParetoFrontier);
    expect(ids(cut)).toEqual({ frontier: ['small', 'meh', 'large', 'pro'], dominated: [] });
    expect(cut.reason).toMatch(/price change \(admin\): meh/);

    // A quality move that reorders the frontier.
    producer.clear();
    const q = await frontier.onPolicySnapshot(snap('default', 3, { ...Q, meh: 0.7, large: 0.65 }));
    expect(ids(q)).toEqual({ frontier: ['small', 'meh', 'pro'], dominated: ['large'] });
    expect(producer.on(Topic.ParetoFrontier)).toHaveLength(1);
  });

  it('recomputes every scope on a price change, and drops removed models', async () => {
    const { producer, frontier, book } = await setup();
    await frontier.onPolicySnapshot(snap('default', 1, Q));
    await frontier.onPolicySnapshot(snap('tenant-a', 1, { small: 0.5, pro: 0.95 }));
    producer.clear();
    await book.removeModel('pro');
    const sent = producer.sent.filter((s) => s.topic === Topic.ParetoFrontier);
    expect(sent.map((s) => s.key).sort()).toEqual(['default', 'tenant-a']);
    expect(ids(sent.find((s) => s.key === 'tenant-a')!.message as ParetoFrontierEvent)).toEqual({ frontier: ['small'], dominated: [] });
  });

  it('gives a snapshot it cannot read no estimates, instead of failing', async () => {
    const { producer, frontier, log } = await setup();
    producer.clear();
    expect(await frontier.onPolicySnapshot(snap('other', 1, 'unreadable'))).toBeNull();
    expect(producer.on(Topic.ParetoFrontier)).toEqual([]);
    expect(log.lines.some((l) => l.level === 'warn' && /cannot estimate/.test(l.msg ?? ''))).toBe(true);
    expect(frontier.frontiers()).toEqual([{ scope: 'other', policyVersion: 1, estimates: {}, frontier: expect.anything() }]);
  });

  it('starts from the stored policies', async () => {
    const { producer, frontier } = await setup([snap('default', 7, Q)]);
    expect(producer.on(Topic.ParetoFrontier).map((e) => e.scope)).toEqual(['default']);
    expect(frontier.frontiers()[0]).toMatchObject({ scope: 'default', policyVersion: 7 });
  });

  it('publishes after a failed publication even when nothing changed since', async () => {
    const { producer, frontier } = await setup();
    producer.failNext = 1;
    expect(await frontier.onPolicySnapshot(snap('default', 1, Q))).toBeNull();
    expect(producer.on(Topic.ParetoFrontier)).toEqual([]);
    expect(ids(await frontier.onPolicySnapshot(snap('default', 2, Q)))).toEqual({ frontier: ['small', 'large', 'pro'], dominated: ['meh'] });
    expect(await frontier.onPolicySnapshot(snap('default', 3, Q))).toBeNull();
  });
});

describe('policyQualities', () => {
  it.each(['ucb1', 'thompson', 'linucb', 'preference'])('reads the observed arms\' mean quality from a %s snapshot, and leaves unobserved arms out', (algorithm) => {
    const policy = createPolicy(algorithm, { arms: ['a', 'b', 'c'], d: 4, seed: 1 });
    const x = { features: [1, 0, 0, 0] };
    for (let i = 0; i < 3; i++) policy.update(x, 'a', { quality: 0.9, costUsd: 0 });
    policy.update(x, 'b', { quality: 0.2, costUsd: 0 });
    const state = JSON.parse(JSON.stringify(policy.toState()));
    const q = policyQualities({ scope: 's', version: 1, algorithm, state });
    expect([...q!.keys()].sort()).toEqual(['a', 'b']);
    expect(q!.get('a')).toBeGreaterThan(q!.get('b')!);
    expect(q!.get('a')).toBe(policy.estimate({}, 'a').mean);
  });

  it('has no estimate for a state it cannot load', () => {
    expect(policyQualities({ scope: 's', version: 1, algorithm: 'no-such-algorithm', state: { algorithm: 'no-such-algorithm', params: {}, arms: ['a'], stats: {} } })).toBeNull();
    expect(policyQualities({ scope: 's', version: 1, algorithm: 'x', state: null })).toBeNull();
  });
});
