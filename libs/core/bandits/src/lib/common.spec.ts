import { argmaxDecision, withoutAwaitedColdArms } from './common';
import { Rng } from './rng';

describe('withoutAwaitedColdArms', () => {
  const learnt: Record<string, number | null> = { a: 0, b: 1, c: 5, d: null };
  const pulls = (arm: string) => learnt[arm];

  it('sets aside an arm still cold by what was learnt whose cold pulls are all decided', () => {
    expect(withoutAwaitedColdArms(['a', 'b', 'c', 'd'], pulls, 3, { a: 3, b: 2, c: 9, d: 9 })).toEqual(['b', 'c', 'd']);
  });

  it('keeps every arm without a count of decisions, and when every arm is awaited', () => {
    expect(withoutAwaitedColdArms(['a', 'b'], pulls, 3, undefined)).toEqual(['a', 'b']);
    expect(withoutAwaitedColdArms(['a', 'b'], pulls, 3, { a: 3, b: 4 })).toEqual(['a', 'b']);
  });

  it('never sets aside an arm that is never cold (a prior) or once its cold pulls are learnt', () => {
    expect(withoutAwaitedColdArms(['c', 'd', 'a'], pulls, 3, { c: 100, d: 100, a: 0 })).toEqual(['c', 'd', 'a']);
    expect(withoutAwaitedColdArms(['b', 'a'], pulls, 1, { a: 0, b: 7 })).toEqual(['b', 'a']);
  });
});

describe('argmaxDecision', () => {
  const arms = ['a', 'b', 'c'];

  it('explores among the arms whose ceiling reaches the greedy score, with exact probabilities', () => {
    const d = argmaxDecision(arms, [0.5, 0.7, 0.2], new Rng(1), 0.4, [0.9, 0.9, 0.6]);
    expect(d.probabilities).toEqual({ a: 0.2, b: 0.6 + 0.2, c: 0 });
    const rng = new Rng(2);
    for (let i = 0; i < 500; i++)
      expect(argmaxDecision(arms, [0.5, 0.7, 0.2], rng, 0.4, [0.9, 0.9, 0.6]).arm).not.toBe('c');
  });

  it('explores every arm without ceilings, when every score is unusable, or when no ceiling reaches', () => {
    expect(argmaxDecision(arms, [0.5, 0.7, 0.2], new Rng(1), 0.3).probabilities['c']).toBeCloseTo(0.1, 12);
    const all = argmaxDecision(arms, [NaN, NaN, NaN], new Rng(1), 0.3, [0, 0, 0]).probabilities;
    for (const a of arms) expect(all[a]).toBeCloseTo(1 / 3, 12);
    expect(argmaxDecision(arms, [0.5, 0.7, 0.2], new Rng(1), 0.3, [0, 0, 0]).probabilities['c']).toBeCloseTo(0.1, 12);
  });

  it('draws the same arms as before when every arm is explored', () => {
    const withCeilings = new Rng(9);
    const without = new Rng(9);
    for (let i = 0; i < 200; i++) {
      expect(argmaxDecision(arms, [0.5, 0.7, 0.2], withCeilings, 0.5, [1, 1, 1]).arm).toBe(
        argmaxDecision(arms, [0.5, 0.7, 0.2], without, 0.5).arm,
      );
    }
  });
});
