import { applyWarmStart, createPolicy } from '@llm-router/bandits';
import { QueryFeaturizer } from '@llm-router/features';
import { ScopeEngine } from './scope-engine';
import { primeCosts, warmStartEngine, WarmStartRow, WarmStartTemplates } from './warm-start';

const rows: WarmStartRow[] = Array.from({ length: 60 }, (_, i) => ({
  prompt: i % 2 ? `write code for task ${i}` : `summarise the news ${i}`,
  arms: {
    small: { reward: i % 2 ? 0.3 : 0.8, cost: 0.0001 },
    large: { reward: 0.9, cost: 0.002 },
    late: { reward: 1, cost: 0.0001 },
  },
}));

const engine = (priced: string[]) => {
  const e = new ScopeEngine(
    's',
    { algorithm: 'auto', featureDim: 32, seed: 1, defaultLambda: 0 },
    new QueryFeaturizer({ dim: 32 }),
  );
  for (const m of priced) e.applyPrice({ model: m, inputPerM: 1, outputPerM: 1 });
  return e;
};

describe('warmStartEngine', () => {
  it('primes the policy and the cost model of priced models only: a model priced later arrives cold', () => {
    const e = engine(['small', 'large']);
    const cold = engine(['small', 'large']);
    warmStartEngine(e, rows);
    expect(e.policy.arms().sort()).toEqual(['large', 'small']);
    // The policy learned that small fails on code prompts and large does not.
    const x = { text: 'write code for task 7', features: e.features('write code for task 7') };
    expect(e.policy.estimate(x, 'large').mean).toBeGreaterThan(e.policy.estimate(x, 'small').mean);
    expect(cold.policy.estimate(x, 'large').mean).toBe(cold.policy.estimate(x, 'small').mean);
    // Usage learned from the offline costs: large costs 20x small at the same list price.
    expect(e.costs.expectedCost('large') / e.costs.expectedCost('small')).toBeCloseTo(20, 6);
    expect(e.policy.arms()).not.toContain('late');
  });

  it('primes every arm of the file when the engine knows no prices (the aggregator learns without them)', () => {
    const e = engine([]);
    warmStartEngine(e, rows);
    expect(e.policy.arms().sort()).toEqual(['large', 'late', 'small']);
  });

  it('is what the replay does: the same rows through applyWarmStart on the same features give the same state', () => {
    const e = engine(['small', 'large', 'late']);
    warmStartEngine(e, rows);
    const p = createPolicy('auto', { arms: e.policy.arms(), seed: 1, d: 32 });
    const f = new QueryFeaturizer({ dim: 32 });

    applyWarmStart(p, rows, { context: (r: WarmStartRow) => ({ text: r.prompt, features: f.featurize(r.prompt) }) });
    expect(JSON.parse(JSON.stringify(e.policy.toState()))).toEqual(JSON.parse(JSON.stringify(p.toState())));
  });

  it('primeCosts can be limited to one model', () => {
    const e = engine(['small', 'large']);
    primeCosts(e, rows, new Set(['large']));
    const before = engine(['small', 'large']);
    expect(e.costs.expectedCost('small')).not.toBe(before.costs.expectedCost('small'));
    expect(e.costs.expectedCost('large') / before.costs.expectedCost('large')).toBeCloseTo(4, 6);
  });
});

describe('WarmStartTemplates', () => {
  const json = (v: unknown) => JSON.parse(JSON.stringify(v));

  it('fits once per policy and priced models, and a restored scope is the scope a fit would give', () => {
    const templates = new WarmStartTemplates(rows);
    const first = engine(['small', 'large']);
    templates.prime(first);
    const second = engine(['large', 'small']);
    templates.prime(second);
    expect(templates.size).toBe(1);
    const fitted = engine(['small', 'large']);
    warmStartEngine(fitted, rows);
    expect(json(second.policy.toState())).toEqual(json(fitted.policy.toState()));
    expect(second.costs.expectedCost('large')).toBe(fitted.costs.expectedCost('large'));
    // Each scope owns its policy: learning in one leaves the other as primed.
    const x = { text: 'write code for task 7', features: second.features('write code for task 7') };
    second.policy.update(x, 'large', { quality: 0, costUsd: 0.002 });
    expect(json(first.policy.toState())).toEqual(json(fitted.policy.toState()));
    expect(json(second.policy.toState())).not.toEqual(json(fitted.policy.toState()));
  });

  it('fits again for other priced models or another policy', () => {
    const templates = new WarmStartTemplates(rows);
    templates.prime(engine(['small', 'large']));
    templates.prime(engine(['small', 'large', 'late']));
    const other = new ScopeEngine(
      'other',
      { algorithm: 'linucb', featureDim: 32, seed: 1, defaultLambda: 0 },
      new QueryFeaturizer({ dim: 32 }),
    );
    other.applyPrice({ model: 'small', inputPerM: 1, outputPerM: 1 });
    templates.prime(other);
    expect(templates.size).toBe(3);
    expect(other.policy.toState().algorithm).toBe('linucb');
  });

  it('fit() keeps a state once per policy and leaves an engine of a kept policy untouched', () => {
    const templates = new WarmStartTemplates(rows);
    const fitted = engine(['small', 'large']);
    templates.fit(fitted);
    const untouched = engine(['small', 'large']);
    templates.fit(untouched);
    expect(templates.size).toBe(1);
    expect(json(untouched.policy.toState())).toEqual(json(engine(['small', 'large']).policy.toState()));
    const later = engine(['small', 'large']);
    templates.prime(later);
    expect(json(later.policy.toState())).toEqual(json(fitted.policy.toState()));
  });
});
