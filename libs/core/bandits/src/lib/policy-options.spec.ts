import { createPolicy, policyFromState, policyNames } from './registry';
import {
  checkPolicyOptions,
  formatOptionProblems,
  policyNameProblems,
  policyOptionNames,
  policyOptionProblems,
} from './policy-options';
import { ConservativePolicy } from './conservative';
import './auto';

/** Valid, non-default options for every policy this library registers. */
const SAMPLES: Record<string, Record<string, unknown>> = {
  random: { seed: 4 },
  'epsilon-greedy': { epsilon: 0.05, epsilonDecay: 20, epsilonMin: 0.01, gamma: 0.99, coldPulls: 1 },
  ucb1: { alpha: 0.5, priors: { a: { mean: 0.6, weight: 3 } } },
  'discounted-ucb': { alpha: 0.3, window: 50 },
  thompson: { kind: 'gaussian', priorMean: 0.4, propensityDraws: 16, propensityFloor: 0.01 },
  linucb: { alpha: 0.7, reg: 2, refreshEvery: 100, simd: false },
  lints: { v: 0.2, propensityDraws: 8 },
  fixed: { arm: 'b' },
  conservative: { baseline: 'a', alpha: 0.2, inner: 'thompson', innerOptions: { propensityDraws: 8 } },
  auto: { buckets: 8, alpha: 1.5, explorationFloor: 0.01 },
};

describe('policy options schemas', () => {
  it('describe every policy this library registers, and accept options the policies are created from', () => {
    expect(policyNames().sort()).toEqual(Object.keys(SAMPLES).sort());
    for (const [name, options] of Object.entries(SAMPLES)) {
      expect([name, policyOptionProblems(name, options, { complete: true })]).toEqual([name, []]);
      const p = createPolicy(name, { arms: ['a', 'b'], d: 4, seed: 1, ...options });
      expect(p.algorithm).toBe(name);
      expect(policyFromState(p.toState()).algorithm).toBe(name);
    }
  });

  it('names an unknown option with the known ones', () => {
    const problems = policyOptionProblems('epsilon-greedy', { epsilonn: 0.1 });
    expect(problems).toEqual([
      {
        path: ['epsilonn'],
        message:
          'unknown option (known: coldPulls, epsilon, epsilonDecay, epsilonMin, exploreAmong, gamma, priors, seed)',
      },
    ]);
    expect(formatOptionProblems('POLICY_OPTIONS.epsilon-greedy', problems)).toEqual([
      'POLICY_OPTIONS.epsilon-greedy.epsilonn: unknown option (known: coldPulls, epsilon, epsilonDecay, epsilonMin, exploreAmong, gamma, priors, seed)',
    ]);
  });

  it('refuses a wrong type or an out-of-range value, naming the option', () => {
    expect(policyOptionProblems('epsilon-greedy', { epsilon: '0.1' })[0].path).toEqual(['epsilon']);
    expect(policyOptionProblems('epsilon-greedy', { epsilon: 1.5 })[0]).toMatchObject({ path: ['epsilon'] });
    expect(policyOptionProblems('ucb1', { alpha: -1 })[0].message).toMatch(/>=\s*0/);
    expect(policyOptionProblems('thompson', { kind: 'poisson' })[0].path).toEqual(['kind']);
    expect(policyOptionProblems('ucb1', { priors: { a: { mean: 0.5 } } })[0].path).toEqual(['priors', 'a', 'weight']);
    expect(policyOptionProblems('discounted-ucb', { window: 10, gamma: 0.9 })[0].message).toMatch(/gamma or window/);
    expect(policyOptionProblems('ucb1', [1])[0].message).toMatch(/object/);
  });

  it('keeps the engine-set options out of configuration', () => {
    expect(policyOptionNames('linucb')).not.toContain('d');
    expect(policyOptionProblems('linucb', { d: 8, arms: ['a'] }).map((p) => p.path[0])).toEqual(['d', 'arms']);
  });

  it("checks conservative's baseline, its inner policy and the inner policy's options", () => {
    expect(policyOptionProblems('conservative', {})).toEqual([]);
    expect(policyOptionProblems('conservative', {}, { complete: true })[0]).toMatchObject({ path: ['baseline'] });
    expect(policyOptionProblems('conservative', { baseline: 'a', inner: 'nope' })[0]).toMatchObject({
      path: ['inner'],
      message: expect.stringMatching(/unknown policy 'nope'/),
    });
    expect(policyOptionProblems('conservative', { baseline: 'a', inner: 'conservative' })[0].message).toMatch(/itself/);
    expect(policyOptionProblems('conservative:ucb1', { baseline: 'a', innerOptions: { alphaa: 1 } })[0]).toMatchObject({
      path: ['innerOptions', 'alphaa'],
      message: expect.stringMatching(/^unknown option \(known: alpha, /),
    });
  });

  it('creates conservative from the flat form configuration gives', () => {
    const p = createPolicy('conservative', {
      arms: ['a', 'b'],
      seed: 3,
      baseline: 'a',
      alpha: 0.25,
      inner: 'ucb1',
      innerOptions: { alpha: 2 },
    }) as ConservativePolicy;
    expect(p.baseline).toBe('a');
    expect(p.toState().params).toMatchObject({ baseline: 'a', alpha: 0.25 });
    expect(p.inner.toState().params).toMatchObject({ alpha: 2 });
  });

  it('checks policy names and their arguments', () => {
    expect(policyNameProblems('thompson')).toEqual([]);
    expect(policyNameProblems('fixed:m')).toEqual([]);
    expect(policyNameProblems('thompsn')[0]).toMatch(/unknown policy 'thompsn' \(known: .*thompson/);
    expect(policyNameProblems('fixed:')[0]).toMatch(/needs what follows the colon/);
    expect(policyNameProblems('conservative:nope')[0]).toMatch(/unknown policy 'nope'/);
  });

  it('checkPolicyOptions throws one RangeError naming every problem', () => {
    expect(() => checkPolicyOptions('epsilon-greedy', { epsilonn: 1, epsilon: 3 })).toThrow(
      /epsilon-greedy\.epsilonn: unknown option.*; epsilon-greedy\.epsilon: /,
    );
    expect(() => checkPolicyOptions('nope', {})).toThrow(/unknown policy 'nope'/);
    expect(checkPolicyOptions('ucb1', undefined)).toEqual({});
  });
});
