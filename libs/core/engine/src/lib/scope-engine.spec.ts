import { validate, Topic, QueryRequest, PriceEvent } from '@llm-router/contracts';
import { QueryFeaturizer } from '@llm-router/features';
import { dense, ScopeEngine, sparse } from './scope-engine';
import { EngineRegistry } from './engine-registry';

const now = '2026-11-25T12:00:00.000Z';
const price = (model: string, perM: number, extra: Partial<PriceEvent> = {}): PriceEvent => ({
  model,
  inputPerM: perM,
  outputPerM: perM,
  effectiveFrom: now,
  source: 'test',
  selfHosted: false,
  discountTiers: [],
  ...extra,
});
const query = (id: string, constraints: Record<string, unknown> = {}): QueryRequest => {
  const r = validate(Topic.Queries, { id, messages: [{ role: 'user', content: `prompt ${id}` }], constraints });
  if (!r.ok) throw r.error;
  return r.value;
};
const featurizer = new QueryFeaturizer({ dim: 32 });
const engine = (algorithm = 'ucb1', lambda = 0) =>
  new ScopeEngine('s', { algorithm, featureDim: 32, seed: 1, defaultLambda: lambda }, featurizer);

/** Teaches the engine that `good` has quality 0.9 and `bad` 0.5, at equal counts. */
function teach(e: ScopeEngine) {
  for (let i = 0; i < 50; i++) {
    for (const [arm, q] of [
      ['good', 0.9],
      ['bad', 0.5],
    ] as const) {
      const d = e.decide(query(`t${i}${arm}`, { model: arm })).event;
      e.learn(d, q);
    }
  }
}

describe('ScopeEngine', () => {
  it('refuses to decide before any model is priced', () => {
    expect(() => engine().decide(query('1'))).toThrow(/no model is available/);
  });

  it('logs an explicit model with propensity 1 and refuses an unknown one', () => {
    const e = engine();
    e.applyPrice(price('a', 1));
    const d = e.decide(query('1', { model: 'a' }));
    expect(d.event).toMatchObject({ arm: 'a', propensity: 1, policy: 'explicit' });
    expect(() => e.decide(query('2', { model: 'zzz' }))).toThrow(/not available/);
  });

  it('a price event flips the next decision without any re-learning', () => {
    const e = engine('ucb1', 1000);
    e.applyPrice(price('good', 1));
    e.applyPrice(price('bad', 1));
    for (const m of ['good', 'bad']) e.costs.observe(m, 0.0001);
    teach(e);
    expect(e.decide(query('before')).event.arm).toBe('good');
    e.applyPrice(price('good', 100));
    const after = e.decide(query('after'));
    expect(after.event.arm).toBe('bad');
    expect(after.event.priceSnapshot['good']).toBeCloseTo(100 * 0.0001, 9);
    expect(after.ranking).toEqual(['bad', 'good']);
  });

  it('computes the reward with the lambda and price in force at decision time', () => {
    const e = engine('ucb1', 10);
    e.applyPrice(price('a', 1));
    e.costs.observe('a', 0.002);
    const d = e.decide(query('1')).event;
    e.lambda = 99;
    const r = e.learn(d, 0.8);
    expect(r.costUsd).toBeCloseTo(0.002, 12);
    expect(r.reward).toBeCloseTo(0.8 - 10 * 0.002, 12);
  });

  it('honours maxCostUsd', () => {
    const e = engine('ucb1');
    e.applyPrice(price('cheap', 1));
    e.applyPrice(price('dear', 100));
    for (const m of ['cheap', 'dear']) e.costs.observe(m, 0.001 * (m === 'dear' ? 100 : 1));
    for (let i = 0; i < 10; i++) expect(e.decide(query(`q${i}`, { maxCostUsd: 0.01 })).event.arm).toBe('cheap');
  });

  it('drops removed and disabled models, and takes an enabled one back', () => {
    const e = engine();
    e.applyPrice(price('a', 1));
    e.applyPrice(price('b', 1));
    e.applyCatalog('a', 'disabled');
    expect(e.arms()).toEqual(['b']);
    e.applyCatalog('a', 'enabled');
    expect(e.arms()).toEqual(['a', 'b']);
    e.applyCatalog('b', 'removed');
    expect(e.arms()).toEqual(['a']);
    expect(e.policy.arms()).not.toContain('b');
  });

  it('applies only newer snapshots, and keeps priced arms the snapshot does not know', () => {
    const learner = engine();
    learner.applyPrice(price('good', 1));
    learner.applyPrice(price('bad', 1));
    teach(learner);
    const replica = engine();
    replica.applyPrice(price('good', 1));
    replica.applyPrice(price('bad', 1));
    replica.applyPrice(price('new', 1));
    expect(replica.applySnapshot({ version: 3, algorithm: 'ucb1', state: learner.snapshotState(), lambda: 0.5 })).toBe(
      true,
    );
    expect(replica.applySnapshot({ version: 2, algorithm: 'ucb1', state: engine().snapshotState(), lambda: 9 })).toBe(
      false,
    );
    expect(replica.version).toBe(3);
    expect(replica.lambda).toBe(0.5);
    expect(replica.policy.arms().sort()).toEqual(['bad', 'good', 'new']);
    expect(replica.policy.estimate({}, 'good').mean).toBeCloseTo(learner.policy.estimate({}, 'good').mean, 12);
  });

  it.each(['ucb1', 'thompson', 'epsilon-greedy', 'linucb', 'lints', 'discounted-ucb'])(
    '%s: a router that has not learnt yet tries each model its cold pulls, not on every query until its rewards arrive',
    (algorithm) => {
      // What a router does between two snapshots: it decides and never learns.
      const e = engine(algorithm, 1);
      for (const [m, perM] of [
        ['cheap', 0.1],
        ['mid', 1],
        ['flagship', 60],
      ] as const)
        e.applyPrice(price(m, perM));
      // The snapshot it has holds cheap's three cold pulls, learnt; mid and flagship are cold.
      for (let i = 0; i < 3; i++) e.learn(e.decide(query(`t${i}`, { model: 'cheap' })).event, 0.5);
      const picks: Record<string, number> = {};
      for (let i = 0; i < 200; i++) {
        const arm = e.decide(query(`q${i}`)).event.arm;
        picks[arm] = (picks[arm] ?? 0) + 1;
      }
      // Three cold pulls of each (DEFAULT_COLD_PULLS), then the cheapest while their rewards are
      // awaited: without the count of its own decisions, every query went to mid, the cheapest
      // cold model, until the next snapshot, and then to the flagship.
      expect(picks['flagship']).toBe(3);
      expect(picks['mid']).toBe(3);
      expect(picks['cheap']).toBe(194);
    },
  );

  it('counts a caller-chosen model as a pull decided, and starts counting again when the policy is switched', () => {
    const e = engine('ucb1', 1);
    e.applyPrice(price('cheap', 0.1));
    e.applyPrice(price('flagship', 60));
    for (let i = 0; i < 3; i++) e.decide(query(`x${i}`, { model: 'flagship' }));
    expect(e.decide(query('next')).event.arm).toBe('cheap');
    for (let i = 0; i < 5; i++) e.decide(query(`c${i}`));
    // The same algorithm from a snapshot that has learnt nothing: the flagship is still awaited.
    const fresh = new ScopeEngine('s', { algorithm: 'ucb1', featureDim: 32, seed: 2, defaultLambda: 1 }, featurizer);
    e.applySnapshot({ version: 1, algorithm: 'ucb1', state: fresh.snapshotState(), lambda: 1 });
    expect(e.decide(query('after-snapshot')).event.arm).toBe('cheap');
    // Another algorithm: its own cold start, flagship included once cheap has its pulls.
    const other = new ScopeEngine(
      's',
      { algorithm: 'thompson', featureDim: 32, seed: 2, defaultLambda: 1 },
      featurizer,
    );
    e.applySnapshot({ version: 2, algorithm: 'thompson', state: other.snapshotState(), lambda: 1 });
    const arms = Array.from({ length: 6 }, (_, i) => e.decide(query(`s${i}`)).event.arm);
    expect(arms.filter((a) => a === 'flagship')).toHaveLength(3);
  });

  it("draws on a stream of its own after every snapshot, not on the learner's unmoving random state", () => {
    // The learner never decides: every snapshot it sends carries the same random state.
    const learner = engine('random');
    const e = engine('random');
    for (const m of ['a', 'b', 'c', 'd']) {
      learner.applyPrice(price(m, 1));
      e.applyPrice(price(m, 1));
    }
    const interval = (version: number) => {
      e.applySnapshot(
        { version, algorithm: 'random', state: learner.snapshotState(), lambda: 0 },
        { ownRandomness: true },
      );
      return Array.from({ length: 20 }, (_, i) => e.decide(query(`v${version}-${i}`)).event.arm).join(',');
    };
    const first = interval(1);
    expect(interval(2)).not.toBe(first);
    expect(interval(3)).not.toBe(first);
    // The learner restoring its own checkpoint keeps the state it wrote, random state included.
    const restored = engine('random');
    restored.applySnapshot({ version: 1, algorithm: 'random', state: learner.snapshotState(), lambda: 0 });
    expect(restored.snapshotState()).toEqual(learner.snapshotState());
  });

  it('gives replicas of one fleet (one POLICY_SEED) streams of their own by their salt', () => {
    const learner = engine('random');
    const replica = (replicaSalt?: number) =>
      new ScopeEngine('s', { algorithm: 'random', featureDim: 32, seed: 1, defaultLambda: 0, replicaSalt }, featurizer);
    const draws = (e: ScopeEngine) => {
      for (const m of ['a', 'b', 'c', 'd']) e.applyPrice(price(m, 1));
      e.applySnapshot(
        { version: 1, algorithm: 'random', state: learner.snapshotState(), lambda: 0 },
        { ownRandomness: true },
      );
      return Array.from({ length: 20 }, (_, i) => e.decide(query(`q${i}`)).event.arm).join(',');
    };
    for (const m of ['a', 'b', 'c', 'd']) learner.applyPrice(price(m, 1));
    expect(draws(replica(7))).toBe(draws(replica(7)));
    expect(draws(replica(7))).not.toBe(draws(replica(8)));
    expect(draws(replica())).toBe(draws(replica(0)));
  });

  it('round-trips features through the sparse form logged with decisions', () => {
    const x = featurizer.featurize('What is 2 + 2? Answer with code.');
    expect(Array.from(dense(sparse(x), 32))).toEqual(Array.from(x));
  });
});

describe('EngineRegistry', () => {
  it('applies remembered prices and catalog events to scopes created later, with per-scope policies', () => {
    const r = new EngineRegistry(
      { algorithm: 'ucb1', featureDim: 32, seed: 1, defaultLambda: 0, scopePolicies: { special: 'thompson' } },
      featurizer,
    );
    r.applyPrice(price('a', 1));
    r.applyPrice(price('b', 1));
    r.applyCatalog('b', 'disabled');
    expect(r.get('late').arms()).toEqual(['a']);
    expect(r.models()).toEqual(['a']);
    expect(r.get('special').policy.algorithm).toBe('thompson');
    expect(r.get('late').policy.algorithm).toBe('ucb1');
    r.drop('late');
    expect(r.has('late')).toBe(false);
  });

  it.each(['__proto__', 'constructor', 'toString'])(
    'gives a scope named %s (a key inherited by plain objects) the default policy and options',
    (scope) => {
      const r = new EngineRegistry(
        {
          algorithm: 'ucb1',
          featureDim: 32,
          seed: 1,
          defaultLambda: 0,
          scopePolicies: { special: 'thompson' },
          scopePolicyOptions: { special: {} },
          optionsByPolicy: {},
        },
        featurizer,
      );
      r.applyPrice(price('a', 1));
      const e = r.get(scope);
      expect(e.policy.algorithm).toBe('ucb1');
      expect(e.arms()).toEqual(['a']);
    },
  );
});
