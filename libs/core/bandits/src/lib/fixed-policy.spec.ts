import { FixedPolicy } from './fixed-policy';

describe('FixedPolicy', () => {
  it('always picks its arm, propensity 1', () => {
    const p = new FixedPolicy({ arm: 'b' });
    for (let i = 0; i < 5; i++) {
      const d = p.decide({}, ['a', 'b', 'c'], { lambda: 100, costs: { b: 1 } });
      expect(d).toMatchObject({ arm: 'b', propensity: 1 });
      expect(d.probabilities).toEqual({ a: 0, b: 1, c: 0 });
    }
  });

  it('falls back to the cheapest eligible arm when its arm is not offered or too expensive', () => {
    const p = new FixedPolicy({ arm: 'b' });
    expect(p.decide({}, ['a', 'c'], { lambda: 0, costs: { a: 2, c: 1 } }).arm).toBe('c');
    expect(p.decide({}, ['a', 'b', 'c'], { lambda: 0, costs: { a: 2, b: 5, c: 1 }, maxCostUsd: 3 }).arm).toBe('c');
  });

  it('tracks running means for estimate()', () => {
    const p = new FixedPolicy({ arm: 'b' });
    p.update({}, 'b', { quality: 0.2, costUsd: 0 });
    p.update({}, 'b', { quality: 0.6, costUsd: 0 });
    expect(p.estimate({}, 'b')).toMatchObject({ mean: 0.4, n: 2 });
    expect(FixedPolicy.fromState(p.toState()).estimate({}, 'b')).toEqual(p.estimate({}, 'b'));
  });
});
