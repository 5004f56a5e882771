import { DiscountedUcbPolicy } from './discounted-ucb';

describe('DiscountedUcbPolicy', () => {
  it('discounts every arm on every update (gamma default 0.99)', () => {
    const p = new DiscountedUcbPolicy({ arms: ['a', 'b'] });
    p.update({}, 'a', { quality: 1, costUsd: 0 });
    for (let i = 0; i < 10; i++) p.update({}, 'b', { quality: 0, costUsd: 0 });
    expect(p.estimate({}, 'a').n).toBeCloseTo(Math.pow(0.99, 10), 12);
    expect(p.estimate({}, 'a').mean).toBeCloseTo(1, 12);
  });

  it('bonus alpha sqrt(ln T / n) on discounted counts', () => {
    const p = new DiscountedUcbPolicy({ arms: ['a', 'b'], gamma: 0.5, alpha: 1, coldPulls: 1 });
    p.update({}, 'a', { quality: 1, costUsd: 0 });
    p.update({}, 'b', { quality: 0, costUsd: 0 });
    const d = p.decide({}, ['a', 'b'], { lambda: 0, costs: {} });
    const T = 0.5 + 1;
    expect(d.scores['a']).toBeCloseTo(1 + Math.sqrt(Math.log(T) / 0.5), 12);
    expect(d.scores['b']).toBeCloseTo(0 + Math.sqrt(Math.log(T) / 1), 12);
  });

  it('sliding window: only the last `window` observations count', () => {
    const p = new DiscountedUcbPolicy({ arms: ['a', 'b'], window: 3 });
    for (let i = 0; i < 5; i++) p.update({}, 'a', { quality: 0, costUsd: 0 });
    p.update({}, 'a', { quality: 1, costUsd: 0 });
    p.update({}, 'b', { quality: 1, costUsd: 0 });
    p.update({}, 'b', { quality: 1, costUsd: 0 });
    expect(p.estimate({}, 'a')).toMatchObject({ mean: 1, n: 1 });
    expect(p.estimate({}, 'b')).toMatchObject({ mean: 1, n: 2 });
    p.update({}, 'b', { quality: 0, costUsd: 0 });
    expect(p.estimate({}, 'a').n).toBe(0);
    expect(p.estimate({}, 'b').mean).toBeCloseTo(2 / 3, 12);
  });

  it("sliding-window merge keeps both replicas' newest observations, within the window", () => {
    const a = new DiscountedUcbPolicy({ arms: ['x', 'y'], window: 4 });
    const b = new DiscountedUcbPolicy({ arms: ['x', 'y'], window: 4 });
    for (let i = 0; i < 4; i++) a.update({}, 'x', { quality: 1, costUsd: 0 });
    for (let i = 0; i < 4; i++) b.update({}, 'y', { quality: 0, costUsd: 0 });
    a.merge(b.toState());
    expect(a.estimate({}, 'x').n + a.estimate({}, 'y').n).toBe(4);
    expect(a.estimate({}, 'x').n).toBe(2);
    expect(a.estimate({}, 'y').n).toBe(2);
  });

  it('a removed and re-added arm starts clean: its old window entries do not expire against it', () => {
    const p = new DiscountedUcbPolicy({ arms: ['a', 'b'], window: 4 });
    p.update({}, 'a', { quality: 1, costUsd: 0 });
    p.update({}, 'a', { quality: 1, costUsd: 0 });
    p.removeArm('a');
    p.addArm('a');
    for (let i = 0; i < 4; i++) p.update({}, 'b', { quality: 0, costUsd: 0 });
    p.update({}, 'a', { quality: 0.5, costUsd: 0 });
    expect(p.estimate({}, 'a')).toMatchObject({ mean: 0.5, n: 1 });
    expect(p.estimate({}, 'b').n).toBe(3);
  });

  it('window and gamma are exclusive', () => {
    expect(() => new DiscountedUcbPolicy({ window: 10, gamma: 0.9 })).toThrow(/either/);
    expect(() => new DiscountedUcbPolicy({ window: 0 })).toThrow();
  });
});
