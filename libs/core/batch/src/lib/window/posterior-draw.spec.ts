import { Rng } from '@llm-router/numerics';
import { drawQualities, plansOnDraws } from './posterior-draw';
import { emptyWindowEstimates } from './window-estimates';

describe('plansOnDraws', () => {
  it('plans the policies that sample their posterior on draws, the others on their means', () => {
    expect(plansOnDraws('thompson')).toBe(true);
    expect(plansOnDraws('lints')).toBe(true);
    for (const a of ['auto', 'ucb1', 'linucb', 'epsilon-greedy', 'preference']) expect(plansOnDraws(a)).toBe(false);
  });
});

describe('drawQualities', () => {
  /** n queries of one arm at mean 0.5 and half-width h. */
  const window = (n: number, h: number) => {
    const e = emptyWindowEstimates(n, 1);
    e.quality.fill(0.5);
    e.halfWidth.fill(h);
    e.available.fill(1);
    return e;
  };

  it('draws each estimate from a normal with its mean and the sd its 95% half-width implies', () => {
    const e = window(20000, 0.196);
    drawQualities(e, new Rng(3));
    const xs = Array.from(e.quality);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sd).toBeCloseTo(0.1, 2);
  });

  it('is reproducible from its seed, and keeps draws within [0, 1]', () => {
    const a = window(500, 2);
    const b = window(500, 2);
    drawQualities(a, new Rng(7));
    drawQualities(b, new Rng(7));
    expect(Array.from(a.quality)).toEqual(Array.from(b.quality));
    expect(Math.min(...a.quality)).toBe(0);
    expect(Math.max(...a.quality)).toBe(1);
  });

  it('leaves a model without bounds, a certain one and an unavailable one as they are', () => {
    const e = window(3, Infinity);
    e.halfWidth[1] = 0;
    e.halfWidth[2] = 0.3;
    e.available[2] = 0;
    drawQualities(e, new Rng(1));
    expect(Array.from(e.quality)).toEqual([0.5, 0.5, 0.5]);
  });
});
