import { RecentResiduals } from './recent-residuals';
import { emptyWindowEstimates } from './window-estimates';

describe('RecentResiduals', () => {
  it("moves an arm's estimates by its calls' mean residual, shrunk by the prior", () => {
    const r = new RecentResiduals(0.5, 2);
    // Arm a was estimated at 0.8 and realised 1.0 twice: +0.4 over 2 calls plus 2 of prior.
    r.observe('a', 0.8, 1);
    r.observe('a', 0.8, 1);
    expect(r.correction('a')).toBeCloseTo(0.1, 12);
    expect(r.correction('b')).toBe(0);
  });

  it('shrinks by five calls of prior by default', () => {
    const r = new RecentResiduals();
    for (let c = 0; c < 5; c++) r.observe('a', 0.7, 0.9);
    // +0.2 a call over 5 calls and 5 of prior.
    expect(r.correction('a')).toBeCloseTo(0.1, 12);
  });

  it('lets older windows fade, so that the recent ones weigh more', () => {
    const r = new RecentResiduals(0.5, 0);
    r.observe('a', 0.5, 0.9); // +0.4 in an early window
    r.nextWindow();
    r.observe('a', 0.5, 0.3); // -0.2 in the last one
    // (0.5 * 0.4 - 0.2) / (0.5 + 1) = 0: the old window counts half.
    expect(r.correction('a')).toBeCloseTo(0, 12);
    r.nextWindow();
    r.observe('a', 0.5, 0.3);
    expect(r.correction('a')).toBeLessThan(0);
  });

  it('corrects only available entries and keeps them on the quality scale', () => {
    const r = new RecentResiduals(1, 0);
    r.observe('a', 0.5, 1); // arm a: +0.5
    r.observe('b', 0.5, 0); // arm b: -0.5
    const e = emptyWindowEstimates(2, 2);
    e.quality.set([0.8, 0.3, 0.2, 0.9]);
    e.available.set([1, 1, 0, 1]);
    r.apply(e, ['a', 'b']);
    expect(Array.from(e.quality)).toEqual([1, 0, 0.2, 0.4].map((x) => expect.closeTo(x, 12)));
  });

  it('restores from its JSON to an instance that goes on exactly as the original', () => {
    const a = new RecentResiduals(0.7, 3);
    a.observe('x', 0.6, 1);
    a.observe('y', 0.9, 0.2);
    a.nextWindow();
    a.observe('x', 0.4, 0);
    const b = RecentResiduals.restore(JSON.parse(JSON.stringify(a)));
    expect(b.toJSON()).toEqual(a.toJSON());
    for (const r of [a, b]) {
      r.nextWindow();
      r.observe('y', 0.5, 0.75);
      r.observe('z', 0.1, 0.9);
    }
    for (const arm of ['x', 'y', 'z', 'w']) expect(b.correction(arm)).toBe(a.correction(arm));
    expect(b.decay).toBe(0.7);
    expect(b.priorCalls).toBe(3);
  });

  it.each([
    [null, 'state is not an object'],
    [{ decay: 0, priorCalls: 5, arms: {} }, 'decay must be in (0, 1], got 0'],
    [{ decay: 0.8, priorCalls: -1, arms: {} }, 'priorCalls must be a finite number >= 0, got -1'],
    [{ decay: 0.8, priorCalls: 5 }, 'arms is not an object'],
    [{ decay: 0.8, priorCalls: 5, arms: { m: { sum: 'x', count: 1 } } }, 'arms.m.sum must be a finite number, got x'],
    [
      { decay: 0.8, priorCalls: 5, arms: { m: { sum: 0.1, count: -2 } } },
      'arms.m.count must be a finite number >= 0, got -2',
    ],
  ])('refuses a stored state that is not one (%j), naming the field', (state, message) => {
    expect(() => RecentResiduals.restore(state)).toThrow(message);
  });
});
