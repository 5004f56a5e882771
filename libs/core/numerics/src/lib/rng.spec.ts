import { Rng, mulberry32 } from './rng';

describe('Rng (mulberry32)', () => {
  it('gives the same sequence for the same seed, pinned so a change of algorithm shows', () => {
    const r = new Rng(42);
    expect([r.next(), r.next(), r.next()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });

  it('stands in 0x9e3779b9 for seed 0', () => {
    expect(new Rng(0).state).toBe(0x9e3779b9);
    expect(new Rng(0).next()).toBe(new Rng(0x9e3779b9).next());
  });

  it('resumes from a saved state', () => {
    const a = new Rng(7);
    a.next();
    const b = new Rng();
    b.state = a.state;
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(Array.from({ length: 5 }, () => a.next()));
  });

  it('draws uniforms in [0, 1) and ints in [0, n)', () => {
    const r = new Rng(3);
    for (let i = 0; i < 1000; i++) {
      const u = r.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      const k = r.int(5);
      expect(Number.isInteger(k) && k >= 0 && k < 5).toBe(true);
    }
  });

  it('has the moments of its normal, gamma and beta draws', () => {
    const r = new Rng(11);
    const n = 20000;
    const mean = (f: () => number) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += f();
      return s / n;
    };
    expect(mean(() => r.normal())).toBeCloseTo(0, 1);
    expect(mean(() => r.normal() ** 2)).toBeCloseTo(1, 1);
    expect(mean(() => r.gamma(3))).toBeCloseTo(3, 1);
    expect(mean(() => r.gamma(0.5))).toBeCloseTo(0.5, 1);
    expect(mean(() => r.beta(2, 6))).toBeCloseTo(0.25, 1);
  });
});

describe('mulberry32', () => {
  it('is the stream of new Rng(seed).next()', () => {
    const f = mulberry32(123);
    const r = new Rng(123);
    for (let i = 0; i < 100; i++) expect(f()).toBe(r.next());
  });
});
