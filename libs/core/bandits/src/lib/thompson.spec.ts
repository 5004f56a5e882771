import { normalCdf } from '@llm-router/numerics';
import { ThompsonPolicy } from './thompson';

const none = { lambda: 0, costs: {} };

describe('ThompsonPolicy (beta)', () => {
  it('fractional qualities update Beta(alpha, beta) by q and 1 - q', () => {
    const p = new ThompsonPolicy({ arms: ['a'] });
    p.update({}, 'a', { quality: 0.3, costUsd: 0 });
    p.update({}, 'a', { quality: 0.8, costUsd: 0 });
    const alpha = 1 + 1.1;
    const beta = 1 + 0.9;
    const e = p.estimate({}, 'a');
    expect(e.mean).toBeCloseTo(alpha / (alpha + beta), 12);
    const s = alpha + beta;
    expect(e.halfWidth).toBeCloseTo(1.96 * Math.sqrt((alpha * beta) / (s * s * (s + 1))), 12);
  });

  it('estimates a model with neither a pull nor a prior of its own at the hyperprior mean, without bounds', () => {
    const p = new ThompsonPolicy({ arms: ['a', 'b'], priors: { b: { mean: 0.8, weight: 10 } } });
    expect(p.estimate({}, 'a')).toEqual({ mean: 0.5, halfWidth: Infinity, n: 0 });
    expect(Number.isFinite(p.estimate({}, 'b').halfWidth)).toBe(true);
    p.update({}, 'a', { quality: 1, costUsd: 0 });
    expect(p.estimate({}, 'a').halfWidth).toBeCloseTo(1.96 * Math.sqrt(2 / (9 * 4)), 12);
    const g = new ThompsonPolicy({ arms: ['a'], kind: 'gaussian', priorMean: 0.4 });
    expect(g.estimate({}, 'a')).toEqual({ mean: 0.4, halfWidth: Infinity, n: 0 });
  });

  it('an ArmPrior adds weight * mean successes and weight * (1 - mean) failures', () => {
    const p = new ThompsonPolicy({ arms: ['a'], priors: { a: { mean: 0.8, weight: 10 } } });
    expect(p.estimate({}, 'a').mean).toBeCloseTo(9 / 12, 12);
  });

  it('out-of-range qualities are clamped rather than breaking the posterior', () => {
    const p = new ThompsonPolicy({ arms: ['a', 'b'] });
    p.update({}, 'a', { quality: 1.7, costUsd: 0 });
    p.update({}, 'b', { quality: -2, costUsd: 0 });
    expect(p.estimate({}, 'a').mean).toBeCloseTo(2 / 3, 12);
    expect(Number.isFinite(p.decide({}, ['a', 'b'], none).propensity)).toBe(true);
  });

  it('propensities are floored, so IPS weights stay bounded', () => {
    const p = new ThompsonPolicy({ arms: ['a', 'b', 'c'], propensityFloor: 0.01, propensityDraws: 32 });
    for (let i = 0; i < 200; i++) p.update({}, 'a', { quality: 1, costUsd: 0 });
    for (let i = 0; i < 200; i++) p.update({}, 'b', { quality: 0, costUsd: 0 });
    for (let i = 0; i < 200; i++) p.update({}, 'c', { quality: 0, costUsd: 0 });
    const d = p.decide({}, ['a', 'b', 'c'], none);
    expect(d.arm).toBe('a');
    expect(d.probabilities['b']).toBeCloseTo(0.01, 12);
    expect(d.probabilities['a']).toBeCloseTo(0.98, 12);
  });
});

describe('ThompsonPolicy (gaussian)', () => {
  it('known variance: conjugate Normal posterior', () => {
    const p = new ThompsonPolicy({ arms: ['a'], kind: 'gaussian', variance: 0.04, priorMean: 0.5, priorWeight: 2 });
    for (const q of [0.9, 0.7, 0.8]) p.update({}, 'a', { quality: q, costUsd: 0 });
    const e = p.estimate({}, 'a');
    expect(e.mean).toBeCloseTo((2 * 0.5 + 2.4) / 5, 12);
    expect(e.halfWidth).toBeCloseTo(1.96 * Math.sqrt(0.04 / 5), 12);
  });

  it('unknown variance: a noisier arm gets a wider posterior at the same mean', () => {
    const p = new ThompsonPolicy({ arms: ['calm', 'noisy'], kind: 'gaussian' });
    for (let i = 0; i < 20; i++) {
      p.update({}, 'calm', { quality: 0.6, costUsd: 0 });
      p.update({}, 'noisy', { quality: i % 2 ? 1 : 0.2, costUsd: 0 });
    }
    expect(p.estimate({}, 'calm').mean).toBeCloseTo(p.estimate({}, 'noisy').mean, 1);
    expect(p.estimate({}, 'noisy').halfWidth).toBeGreaterThan(2 * p.estimate({}, 'calm').halfWidth);
  });

  it('Monte Carlo propensities match the exact win probability of two Normal posteriors', () => {
    const p = new ThompsonPolicy({ arms: ['a', 'b'], kind: 'gaussian', variance: 0.25, propensityFloor: 0 });
    for (let i = 0; i < 6; i++) p.update({}, 'a', { quality: 0.7, costUsd: 0 });
    for (let i = 0; i < 4; i++) p.update({}, 'b', { quality: 0.5, costUsd: 0 });
    const ea = p.estimate({}, 'a');
    const eb = p.estimate({}, 'b');
    const sd = Math.hypot(ea.halfWidth / 1.96, eb.halfWidth / 1.96);
    const exact = normalCdf((ea.mean - eb.mean) / sd);
    let reported = 0;
    let chosen = 0;
    const n = 400;
    for (let i = 0; i < n; i++) {
      const d = p.decide({}, ['a', 'b'], none);
      reported += d.probabilities['a'];
      if (d.arm === 'a') chosen++;
    }
    expect(Math.abs(reported / n - exact)).toBeLessThan(0.02);
    expect(Math.abs(chosen / n - exact)).toBeLessThan(0.06);
  });

  it('rejects bad options', () => {
    expect(() => new ThompsonPolicy({ kind: 'poisson' as 'beta' })).toThrow();
    expect(() => new ThompsonPolicy({ propensityDraws: 0 })).toThrow();
    expect(() => new ThompsonPolicy({ a0: 0 })).toThrow();
  });
});
