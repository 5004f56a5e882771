import { Ucb1Policy } from './ucb1';
import { COLD_SCORE } from './common';

const none = { lambda: 0, costs: {} };

describe('Ucb1Policy', () => {
  it('score = mean + alpha sqrt(2 ln T / n) - lambda * cost, deterministic argmax, propensity 1', () => {
    const p = new Ucb1Policy({ arms: ['a', 'b'], alpha: 0.5, coldPulls: 1 });
    for (let i = 0; i < 4; i++) p.update({}, 'a', { quality: i % 2, costUsd: 0 });
    for (let i = 0; i < 2; i++) p.update({}, 'b', { quality: 0.25, costUsd: 0 });
    const d = p.decide({}, ['a', 'b'], { lambda: 2, costs: { a: 0.1 } });
    const T = 6;
    expect(d.scores['a']).toBeCloseTo(0.5 + 0.5 * Math.sqrt((2 * Math.log(T)) / 4) - 0.2, 12);
    expect(d.scores['b']).toBeCloseTo(0.25 + 0.5 * Math.sqrt((2 * Math.log(T)) / 2), 12);
    expect(d.arm).toBe(d.scores['a'] > d.scores['b'] ? 'a' : 'b');
    expect(d.propensity).toBe(1);
    expect(d.probabilities[d.arm === 'a' ? 'b' : 'a']).toBe(0);
  });

  it('exact ties are split uniformly and reported as such', () => {
    const p = new Ucb1Policy({ arms: ['a', 'b', 'c'], coldPulls: 1 });
    for (const a of ['a', 'b', 'c']) p.update({}, a, { quality: 0.5, costUsd: 0 });
    const d = p.decide({}, ['a', 'b', 'c'], none);
    expect(d.probabilities).toEqual({ a: 1 / 3, b: 1 / 3, c: 1 / 3 });
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) seen.add(p.decide({}, ['a', 'b', 'c'], none).arm);
    expect(seen.size).toBe(3);
  });

  it('with coldPulls = 0 an arm with nothing known still has an (effectively) infinite bonus', () => {
    const p = new Ucb1Policy({ arms: ['a', 'b'], coldPulls: 0 });
    p.update({}, 'a', { quality: 1, costUsd: 0 });
    const d = p.decide({}, ['a', 'b'], none);
    expect(d.arm).toBe('b');
    expect(d.scores['b']).toBe(COLD_SCORE);
  });

  it('prior pseudo-observations count in n: a warm arm explores less than a cold one', () => {
    const warm = new Ucb1Policy({ arms: ['a'], priors: { a: { mean: 0.5, weight: 20 } } });
    const cold = new Ucb1Policy({ arms: ['a'] });
    warm.update({}, 'a', { quality: 0.5, costUsd: 0 });
    cold.update({}, 'a', { quality: 0.5, costUsd: 0 });
    expect(warm.estimate({}, 'a').halfWidth).toBeLessThan(cold.estimate({}, 'a').halfWidth);
    expect(warm.upperBound('a')).toBeLessThan(cold.upperBound('a') + 1);
  });

  it('unknown arms offered in `available` are hot-added; removed arms are filtered out', () => {
    const p = new Ucb1Policy({ arms: ['a'], coldPulls: 1 });
    p.update({}, 'a', { quality: 1, costUsd: 0 });
    expect(p.decide({}, ['a', 'z'], none).arm).toBe('z');
    expect(p.arms()).toContain('z');
    p.removeArm('z');
    p.update({}, 'z', { quality: 1, costUsd: 0 });
    expect(p.arms()).not.toContain('z');
    expect(p.decide({}, ['a', 'z'], none).arm).toBe('a');
    expect(() => p.decide({}, ['z'], none)).toThrow(/removed/);
    p.addArm('z');
    expect(p.decide({}, ['a', 'z'], none).arm).toBe('z');
  });
});
