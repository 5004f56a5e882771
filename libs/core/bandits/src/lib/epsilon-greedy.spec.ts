import { EpsilonGreedyPolicy } from './epsilon-greedy';

const ARMS = ['a', 'b', 'c', 'd'];
const none = { lambda: 0, costs: {} };
const trained = (opts = {}) => {
  const p = new EpsilonGreedyPolicy({ arms: ARMS, seed: 5, ...opts });
  const q: Record<string, number> = { a: 0.2, b: 0.4, c: 0.9, d: 0.5 };
  for (const a of ARMS) for (let i = 0; i < 10; i++) p.update({}, a, { quality: q[a], costUsd: 0 });
  return p;
};

describe('EpsilonGreedyPolicy', () => {
  it('exact propensities: greedy 1 - eps + eps/k, others eps/k', () => {
    const p = trained({ epsilon: 0.2 });
    const d = p.decide({}, ARMS, none);
    expect(d.probabilities).toEqual({ a: 0.05, b: 0.05, c: 0.8 + 0.05, d: 0.05 });
    expect(d.propensity).toBe(d.probabilities[d.arm]);
  });

  it('chooses arms with the frequencies it reports', () => {
    const p = trained({ epsilon: 0.2 });
    let c = 0;
    for (let i = 0; i < 4000; i++) if (p.decide({}, ARMS, none).arm === 'c') c++;
    expect(c / 4000).toBeGreaterThan(0.82);
    expect(c / 4000).toBeLessThan(0.88);
  });

  it('decaying schedule eps_t = min(epsilon, c / t), with a floor', () => {
    const p = new EpsilonGreedyPolicy({ arms: ARMS, epsilonDecay: 10, epsilonMin: 0.01 });
    expect(p.currentEpsilon()).toBe(1);
    for (let i = 0; i < 19; i++) p.update({}, 'a', { quality: 1, costUsd: 0 });
    expect(p.currentEpsilon()).toBeCloseTo(0.5, 12);
    for (let i = 0; i < 2000; i++) p.update({}, 'a', { quality: 1, costUsd: 0 });
    expect(p.currentEpsilon()).toBe(0.01);
  });

  it('cold arms are forced first, cheapest first, with propensity 1', () => {
    const p = new EpsilonGreedyPolicy({ arms: ARMS, epsilon: 0.5 });
    const d = p.decide({}, ARMS, { lambda: 1, costs: { a: 0.3, b: 0.1, c: 0.2, d: 0.4 } });
    expect(d.arm).toBe('b');
    expect(d.propensity).toBe(1);
  });

  it('a warm-start prior makes an arm warm: greedy from the start, not forced', () => {
    const p = new EpsilonGreedyPolicy({
      arms: ['a', 'b'],
      epsilon: 0,
      priors: { a: { mean: 0.9, weight: 5 }, b: { mean: 0.3, weight: 5 } },
    });
    expect(p.decide({}, ['a', 'b'], none).arm).toBe('a');
    expect(p.estimate({}, 'a')).toMatchObject({ mean: 0.9, n: 5 });
    // Prior and data combine as pseudo-observations: (5 * 0.9 + 5 * 0) / 10.
    for (let i = 0; i < 5; i++) p.update({}, 'a', { quality: 0, costUsd: 0 });
    expect(p.estimate({}, 'a').mean).toBeCloseTo(0.45, 12);
  });

  it('respects maxCostUsd and minQuality through eligibility', () => {
    const p = trained({ epsilon: 0.3 });
    const d = p.decide({}, ARMS, { lambda: 0, costs: { a: 0, b: 0, c: 1, d: 0 }, maxCostUsd: 0.5 });
    expect(Object.keys(d.probabilities).sort()).toEqual(['a', 'b', 'd']);
    const e = p.decide({}, ARMS, { lambda: 0, costs: {}, minQuality: 0.45 });
    expect(Object.keys(e.probabilities).sort()).toEqual(['c', 'd']);
  });

  it('gamma decays the data toward the prior', () => {
    const p = new EpsilonGreedyPolicy({ arms: ['a'], gamma: 0.5, priors: { a: { mean: 0.5, weight: 1 } } });
    p.update({}, 'a', { quality: 1, costUsd: 0 });
    p.update({}, 'a', { quality: 1, costUsd: 0 });
    // data weight 0.5 + 1 = 1.5 at quality 1, prior 1 at 0.5.
    expect(p.estimate({}, 'a').n).toBeCloseTo(2.5, 12);
    expect(p.estimate({}, 'a').mean).toBeCloseTo((0.5 + 1.5) / 2.5, 12);
  });

  it('explores only the models that could still be the best at the price of a dollar', () => {
    // c scores 0.9 - 0.1 = 0.8; d (0.5 at $0.5) could reach 1 - 0.5 = 0.5 at best: never explored.
    const priced = { lambda: 1, costs: { a: 0.1, b: 0.1, c: 0.1, d: 0.5 } };
    const d = trained({ epsilon: 0.3 }).decide({}, ARMS, priced);
    expect(d.probabilities['a']).toBeCloseTo(0.1, 12);
    expect(d.probabilities['b']).toBeCloseTo(0.1, 12);
    expect(d.probabilities['c']).toBeCloseTo(0.8, 12);
    expect(d.probabilities['d']).toBe(0);
    const p = trained({ epsilon: 0.3 });
    const counts: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
    for (let i = 0; i < 3000; i++) counts[p.decide({}, ARMS, priced).arm]++;
    expect(counts['d']).toBe(0);
    expect(counts['a'] / 3000).toBeGreaterThan(0.08);
    expect(counts['a'] / 3000).toBeLessThan(0.12);
    // The textbook rule explores d too, and lambda 0 makes every model a contender.
    expect(trained({ epsilon: 0.3, exploreAmong: 'all' }).decide({}, ARMS, priced).probabilities['d']).toBeCloseTo(
      0.075,
      12,
    );
    expect(trained({ epsilon: 0.3 }).decide({}, ARMS, { ...priced, lambda: 0 }).probabilities['d']).toBeCloseTo(
      0.075,
      12,
    );
    expect(EpsilonGreedyPolicy.fromState(trained({ exploreAmong: 'all' }).toState()).toState().params).toMatchObject({
      exploreAmong: 'all',
    });
  });

  it('rejects bad options and non-finite qualities', () => {
    expect(() => new EpsilonGreedyPolicy({ epsilon: 1.5 })).toThrow();
    expect(() => new EpsilonGreedyPolicy({ gamma: 0 })).toThrow();
    expect(() => new EpsilonGreedyPolicy({ exploreAmong: 'every' as never })).toThrow(
      /exploreAmong must be one of contenders, all/,
    );
    expect(() => trained().update({}, 'a', { quality: NaN, costUsd: 0 })).toThrow();
  });
});
