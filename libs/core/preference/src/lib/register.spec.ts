import { createPolicy, policyFromState, policyNames } from '@llm-router/bandits';
import { PreferenceRouter } from '../index';

describe('registry', () => {
  it("creates and restores 'preference' by name, with an optional offline warm start", () => {
    expect(policyNames()).toContain('preference');
    const warmStart = Array.from({ length: 40 }, (_, i) => ({
      features: [1, i % 2, 1 - (i % 2)],
      rewards: { a: i % 2 ? 0.9 : 0.2, b: i % 2 ? 0.3 : 0.8 },
    }));
    const p = createPolicy('preference', { d: 3, seed: 2, epsilon: 0, warmStart, fit: { epochs: 20, lr: 0.2 } });
    expect(p).toBeInstanceOf(PreferenceRouter);
    expect(p.arms().sort()).toEqual(['a', 'b']);
    const c = { lambda: 0, costs: {} };
    expect(p.decide({ features: [1, 1, 0] }, ['a', 'b'], c).arm).toBe('a');
    expect(p.decide({ features: [1, 0, 1] }, ['a', 'b'], c).arm).toBe('b');
    const q = policyFromState(JSON.parse(JSON.stringify(p.toState())));
    expect(q.algorithm).toBe('preference');
    expect(q.toState()).toEqual(p.toState());
  });
});
