import { createPolicy, Rng } from '@llm-router/bandits';
import { learnFromPreference, PreferenceRouter } from '../index';

const D = 4;
const ARMS = ['coder', 'mathy'];
const COSTS = { coder: 0.001, mathy: 0.001 };

/** Code prompts set x[1], maths prompts x[2]; x[3] is noise. */
function context(kind: 'code' | 'math', rng: Rng): Float64Array {
  return Float64Array.from([1, kind === 'code' ? 1 : 0, kind === 'math' ? 1 : 0, 0.2 * (rng.next() - 0.5)]);
}

/** The greedy arm (epsilon 0) on 50 fresh contexts of a kind, counted per arm. */
function choices(p: PreferenceRouter, kind: 'code' | 'math'): Record<string, number> {
  const rng = new Rng(7);
  const out: Record<string, number> = { coder: 0, mathy: 0 };
  for (let i = 0; i < 50; i++) out[p.decide({ features: context(kind, rng) }, ARMS, { lambda: 0, costs: COSTS }).arm]++;
  return out;
}

describe('learnFromPreference', () => {
  it('turns a stream of pairwise preferences into different routing choices', () => {
    const rng = new Rng(3);
    const p = new PreferenceRouter({ d: D, arms: ARMS, epsilon: 0, lr: 0.3, seed: 1 });
    // Offline: each specialist is best on its own kind of prompt.
    p.fit(
      Array.from({ length: 400 }, (_, i) => {
        const kind = i % 2 ? 'code' : 'math';
        return {
          features: context(kind, rng),
          rewards: kind === 'code' ? { coder: 0.9, mathy: 0.5 } : { coder: 0.5, mathy: 0.9 },
        };
      }),
      { epochs: 10, lr: 0.1 },
    );
    expect(choices(p, 'code').coder).toBe(50);
    expect(choices(p, 'math').mathy).toBe(50);

    // Users now prefer mathy's answers on code prompts (a new mathy release, say).
    for (let i = 0; i < 300; i++)
      expect(learnFromPreference(p, { features: context('code', rng) }, 'mathy', 'coder')).toBe(true);

    expect(choices(p, 'code').mathy).toBe(50);
    // Maths prompts were never compared differently: still mathy.
    expect(choices(p, 'math').mathy).toBe(50);
  });

  it('teaches nothing to a policy without preferences, or from an arm against itself', () => {
    const ucb = createPolicy('ucb1', { arms: ARMS });
    const before = JSON.stringify(ucb.toState());
    expect(learnFromPreference(ucb, { features: context('code', new Rng(1)) }, 'mathy', 'coder')).toBe(false);
    expect(JSON.stringify(ucb.toState())).toBe(before);
    const p = new PreferenceRouter({ d: D, arms: ARMS });
    expect(learnFromPreference(p, {}, 'coder', 'coder')).toBe(false);
  });
});
