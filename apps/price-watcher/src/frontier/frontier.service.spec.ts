import { createPolicy } from '@llm-router/bandits';
import { costPerCall, policyQualities } from './frontier.service';

// FrontierService itself runs on Kafka and Postgres: test/e2e/price-watcher-frontier.int-spec.ts.

describe('costPerCall', () => {
  it('prices a nominal call at the blended list price (input + 3 x output) / 4', () => {
    expect(costPerCall({ model: 'x', inputPerM: 1, outputPerM: 3 }, 1000)).toBeCloseTo(0.0025, 15);
    expect(costPerCall({ model: 'x', inputPerM: 1, outputPerM: 3, costFactor: 0.5 }, 1000)).toBeCloseTo(0.00125, 15);
    expect(costPerCall({ model: 'x', inputPerM: 0, outputPerM: 0 }, 1000)).toBe(0);
  });
});

describe('policyQualities', () => {
  it.each(['ucb1', 'thompson', 'linucb', 'preference'])(
    "reads the observed arms' mean quality from a %s snapshot, and leaves unobserved arms out",
    (algorithm) => {
      const policy = createPolicy(algorithm, { arms: ['a', 'b', 'c'], d: 4, seed: 1 });
      const x = { features: [1, 0, 0, 0] };
      for (let i = 0; i < 3; i++) policy.update(x, 'a', { quality: 0.9, costUsd: 0 });
      policy.update(x, 'b', { quality: 0.2, costUsd: 0 });
      const state = JSON.parse(JSON.stringify(policy.toState()));
      const q = policyQualities({ scope: 's', version: 1, algorithm, state });
      expect([...q!.keys()].sort()).toEqual(['a', 'b']);
      expect(q!.get('a')).toBeGreaterThan(q!.get('b')!);
      expect(q!.get('a')).toBe(policy.estimate({}, 'a').mean);
    },
  );

  it('has no estimate for a state it cannot load', () => {
    expect(
      policyQualities({
        scope: 's',
        version: 1,
        algorithm: 'no-such-algorithm',
        state: { algorithm: 'no-such-algorithm', params: {}, arms: ['a'], stats: {} },
      }),
    ).toBeNull();
    expect(policyQualities({ scope: 's', version: 1, algorithm: 'x', state: null })).toBeNull();
  });
});
