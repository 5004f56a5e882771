import { withoutAwaitedColdArms } from './common';

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
