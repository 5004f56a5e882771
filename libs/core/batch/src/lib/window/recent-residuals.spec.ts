import { FREE_FORM, MAX_CLOSINGS, RecentResiduals } from './recent-residuals';
import { emptyWindowEstimates } from './window-estimates';

const MCQ = (q: string) => `${q}\n(A) yes (B) no\nAnswer with the correct letter and explain why.`;
const CLOSE = (q: string) =>
  `Complete the sentence: ${q}\nWhich option correctly fills the blank? Explain your reasoning.`;

describe('RecentResiduals', () => {
  it("moves an arm's estimates on a kind by its calls' mean residual there, shrunk by the prior", () => {
    const r = new RecentResiduals(0.5, 2);
    // Arm a was estimated at 0.8 and realised 1.0 twice on kind k: +0.4 over 2 calls plus 2 of prior.
    r.observe('a', 'k', 0.8, 1);
    r.observe('a', 'k', 0.8, 1);
    expect(r.correction('a', 'k')).toBeCloseTo(0.1, 12);
    expect(r.correction('b', 'k')).toBe(0);
  });

  it("leaves another kind's estimates where the policy put them: one source's surprise is not the next one's", () => {
    const r = new RecentResiduals(0.8, 1);
    for (let c = 0; c < 40; c++) r.observe('big', 'math', 0.7, 0.95);
    expect(r.correction('big', 'math')).toBeCloseTo((40 * 0.25) / 41, 12);
    expect(r.correction('big', 'trivia')).toBe(0);
    // Over all its calls (what the planner logs), the arm's mean residual.
    expect(r.correction('big')).toBeCloseTo((40 * 0.25) / 41, 12);
  });

  it('shrinks by one call of prior by default', () => {
    const r = new RecentResiduals();
    for (let c = 0; c < 4; c++) r.observe('a', 'k', 0.7, 0.95);
    // +0.25 a call over 4 calls and 1 of prior.
    expect(r.correction('a', 'k')).toBeCloseTo(0.2, 12);
  });

  it('lets older windows fade, so that the recent ones weigh more', () => {
    const r = new RecentResiduals(0.5, 0);
    r.observe('a', 'k', 0.5, 0.9); // +0.4 in an early window
    r.nextWindow();
    r.observe('a', 'k', 0.5, 0.3); // -0.2 in the last one
    // (0.5 * 0.4 - 0.2) / (0.5 + 1) = 0: the old window counts half.
    expect(r.correction('a', 'k')).toBeCloseTo(0, 12);
    r.nextWindow();
    r.observe('a', 'k', 0.5, 0.3);
    expect(r.correction('a', 'k')).toBeLessThan(0);
  });

  it('forgets a kind not called for long enough to weigh nothing', () => {
    const r = new RecentResiduals(0.5, 1);
    r.observe('a', 'old', 0.5, 1);
    for (let w = 0; w < 9; w++) r.nextWindow();
    expect(r.correction('a', 'old')).toBeGreaterThan(0);
    r.nextWindow();
    expect(r.toJSON().arms).toEqual({});
    expect(r.correction('a', 'old')).toBe(0);
  });

  it('names a closing phrase a kind once two prompts sent before ended with it; the rest are free form', () => {
    const r = new RecentResiduals();
    // Two multiple-choice prompts in one window do not make a kind of each other...
    const first = [MCQ('Is water wet?'), MCQ('Is fire cold?'), 'What is 2 + 2?'];
    expect(r.kindsOf(first)).toEqual([FREE_FORM, FREE_FORM, FREE_FORM]);
    // ...nor does planning them again before they are sent...
    expect(r.kindsOf(first)).toEqual([FREE_FORM, FREE_FORM, FREE_FORM]);
    r.count(first);
    // ...but once sent they make one for the next window, whatever the question before the closing words.
    const [mcq, fill, sum] = r.kindsOf([MCQ('Is ice hot?'), CLOSE('The _ was dirtier.'), 'What is 3 + 5?']);
    expect(mcq).toBe('letter and explain why');
    expect([fill, sum]).toEqual([FREE_FORM, FREE_FORM]);
  });

  it('takes the closing phrases of a forecast (a warm-start file) as kinds from the first window', () => {
    const r = new RecentResiduals();
    r.count([CLOSE('a'), CLOSE('b')]);
    expect(r.kindsOf([CLOSE('c')])).toEqual(['blank explain your reasoning']);
  });

  it('bounds the closing phrases it counts: free text makes room, templates stay', () => {
    const r = new RecentResiduals();
    r.count([MCQ('one'), MCQ('two')]);
    r.count(Array.from({ length: 3 * MAX_CLOSINGS }, (_, i) => `question number ${i} ends here w${i}`));
    expect(Object.keys(r.toJSON().closings).length).toBeLessThanOrEqual(MAX_CLOSINGS);
    expect(r.kindsOf([MCQ('three')])).toEqual(['letter and explain why']);
  });

  it('corrects only available entries, by their query’s kind, and keeps them on the quality scale', () => {
    const r = new RecentResiduals(1, 0);
    r.observe('a', 'k', 0.5, 1); // arm a on k: +0.5
    r.observe('b', 'k', 0.5, 0); // arm b on k: -0.5
    r.observe('b', 'm', 0.5, 0.6); // arm b on m: +0.1
    const e = emptyWindowEstimates(3, 2);
    e.quality.set([0.8, 0.3, 0.2, 0.9, 0.5, 0.5]);
    e.available.set([1, 1, 0, 1, 1, 1]);
    r.apply(e, ['a', 'b'], ['k', 'k', 'm']);
    expect(Array.from(e.quality)).toEqual([1, 0, 0.2, 0.4, 0.5, 0.6].map((x) => expect.closeTo(x, 12)));
    expect(() => r.apply(e, ['a', 'b'], ['k'])).toThrow('1 kinds for 3 queries');
  });

  it('restores from its JSON to an instance that goes on exactly as the original', () => {
    const a = new RecentResiduals(0.7, 3);
    a.count([MCQ('p'), MCQ('q')]);
    a.observe('x', 'k', 0.6, 1);
    a.observe('y', FREE_FORM, 0.9, 0.2);
    a.nextWindow();
    a.observe('x', 'k', 0.4, 0);
    const b = RecentResiduals.restore(JSON.parse(JSON.stringify(a)));
    expect(b.toJSON()).toEqual(a.toJSON());
    for (const r of [a, b]) {
      r.nextWindow();
      r.observe('y', 'k', 0.5, 0.75);
      r.observe('z', FREE_FORM, 0.1, 0.9);
    }
    for (const arm of ['x', 'y', 'z', 'w'])
      for (const kind of ['k', FREE_FORM, undefined]) expect(b.correction(arm, kind)).toBe(a.correction(arm, kind));
    expect(b.kindsOf([MCQ('r'), 'free'])).toEqual(a.kindsOf([MCQ('r'), 'free']));
    expect(b.decay).toBe(0.7);
    expect(b.priorCalls).toBe(3);
  });

  it.each([
    [null, 'state is not an object'],
    [{ decay: 0, priorCalls: 5, arms: {}, closings: {} }, 'decay must be in (0, 1], got 0'],
    [{ decay: 0.8, priorCalls: -1, arms: {}, closings: {} }, 'priorCalls must be a finite number >= 0, got -1'],
    [{ decay: 0.8, priorCalls: 5, closings: {} }, 'arms is not an object'],
    [{ decay: 0.8, priorCalls: 5, arms: {} }, 'closings is not an object'],
    // The state of a planner before kinds (one residual per arm) is not one: it starts afresh.
    [
      { decay: 0.8, priorCalls: 5, arms: { m: { sum: 0.1, count: 1 } }, closings: {} },
      'arms.m.sum.sum must be a finite',
    ],
    [{ decay: 0.8, priorCalls: 5, arms: { m: 3 }, closings: {} }, 'arms.m is not an object'],
    [
      { decay: 0.8, priorCalls: 5, arms: { m: { k: { sum: 'x', count: 1 } } }, closings: {} },
      'arms.m.k.sum must be a finite number, got x',
    ],
    [
      { decay: 0.8, priorCalls: 5, arms: { m: { k: { sum: 0.1, count: -2 } } }, closings: {} },
      'arms.m.k.count must be a finite number >= 0, got -2',
    ],
    [
      { decay: 0.8, priorCalls: 5, arms: {}, closings: { why: -1 } },
      'closings.why must be a finite number >= 0, got -1',
    ],
  ])('refuses a stored state that is not one (%j), naming the field', (state, message) => {
    expect(() => RecentResiduals.restore(state)).toThrow(message);
  });
});
