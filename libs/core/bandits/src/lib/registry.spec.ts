import { createPolicy, policyFromState, policyNames, registerPolicy } from './registry';
import { RandomPolicy } from './random-policy';
import { ConservativePolicy } from './conservative';
import { FixedPolicy } from './fixed-policy';

describe('registry', () => {
  it('creates every built-in policy by name, and rebuilds it from its state', () => {
    const expected: Record<string, string> = {
      random: 'random',
      'epsilon-greedy': 'epsilon-greedy',
      ucb1: 'ucb1',
      'discounted-ucb': 'discounted-ucb',
      thompson: 'thompson',
      linucb: 'linucb',
      lints: 'lints',
      'fixed:m1': 'fixed',
    };
    for (const [name, algo] of Object.entries(expected)) {
      const p = createPolicy(name, { arms: ['m1', 'm2'], d: 2 });
      expect(p.algorithm).toBe(algo);
      expect(policyFromState(p.toState()).algorithm).toBe(algo);
    }
    expect(policyNames()).toEqual(
      expect.arrayContaining(['random', 'ucb1', 'linucb', 'lints', 'fixed', 'conservative']),
    );
  });

  it('fixed:<arm> carries the arm; conservative:<inner> wraps the named policy', () => {
    expect((createPolicy('fixed:gpt-4o-mini') as FixedPolicy).arm).toBe('gpt-4o-mini');
    const c = createPolicy('conservative:thompson', {
      arms: ['a', 'b'],
      conservative: { baseline: 'a' },
    }) as ConservativePolicy;
    expect(c.inner.algorithm).toBe('thompson');
    expect((policyFromState(c.toState()) as ConservativePolicy).inner.algorithm).toBe('thompson');
  });

  it('explains what is missing or unknown', () => {
    expect(() => createPolicy('nope')).toThrow(/unknown policy 'nope'.*ucb1/);
    expect(() => createPolicy('linucb', { arms: ['a'] })).toThrow(/options.d/);
    expect(() => createPolicy('fixed')).toThrow(/arm/);
    expect(() => createPolicy('conservative', { arms: ['a'] })).toThrow(/baseline/);
    expect(() => registerPolicy('a:b', () => new RandomPolicy(), RandomPolicy.fromState)).toThrow();
  });

  it('other libraries can register their own policies', () => {
    class Custom extends RandomPolicy {
      override readonly algorithm = 'custom-test' as 'random';
    }
    registerPolicy(
      'custom-test',
      (o) => new Custom(o),
      () => new Custom(),
    );
    const p = createPolicy('custom-test', { arms: ['a'] });
    expect(p).toBeInstanceOf(Custom);
    expect(policyFromState({ algorithm: 'custom-test', params: {}, arms: [], stats: null })).toBeInstanceOf(Custom);
  });
});
