import { FREE_FORM, RecentResiduals } from '@llm-router/batch';
import { WindowResiduals } from './window-residuals';

describe('WindowResiduals', () => {
  it("corrects the next window by the rewarded calls' residuals, as the replay's window after them", () => {
    const live = new WindowResiduals(new RecentResiduals(0.5, 0));
    live.dispatched('d1', 'big', 0.6);
    live.dispatched('d2', 'big', 0.6);
    live.dispatched('d3', 'small', 0.5);
    live.nextWindow(
      new Map([
        ['d1', 1],
        ['d2', 0.8],
        ['d3', 0.3],
      ]),
    );
    // The replay observes a window's calls, then the next window begins (its residuals decay once).
    const replay = new RecentResiduals(0.5, 0);
    replay.observe('big', FREE_FORM, 0.6, 1);
    replay.observe('big', FREE_FORM, 0.6, 0.8);
    replay.observe('small', FREE_FORM, 0.5, 0.3);
    replay.nextWindow();
    expect(live.residuals.correction('big')).toBeCloseTo(replay.correction('big'), 12);
    expect(live.residuals.correction('big')).toBeCloseTo(0.3, 12);
    expect(live.residuals.correction('small')).toBeCloseTo(-0.2, 12);
    expect(live.awaited()).toEqual([]);
  });

  it('learns each call on the kind of prompt its window was planned with, and keeps the kind across a restart', () => {
    const live = new WindowResiduals(new RecentResiduals(1, 0));
    live.dispatched('mcq', 'big', 0.6, 'letter and explain why');
    live.dispatched('free', 'big', 0.6);
    const restored = WindowResiduals.restore(JSON.parse(JSON.stringify(live)));
    restored.nextWindow(
      new Map([
        ['mcq', 0.9],
        ['free', 0.5],
      ]),
    );
    expect(restored.residuals.correction('big', 'letter and explain why')).toBeCloseTo(0.3, 12);
    expect(restored.residuals.correction('big', FREE_FORM)).toBeCloseTo(-0.1, 12);
  });

  it('keeps awaiting a call whose reward has not come, and counts it once it does', () => {
    const live = new WindowResiduals(new RecentResiduals(1, 0));
    live.dispatched('late', 'big', 0.5);
    live.nextWindow(new Map());
    expect(live.awaited()).toEqual(['late']);
    expect(live.residuals.correction('big')).toBe(0);
    live.nextWindow(new Map([['late', 0.9]]));
    expect(live.residuals.correction('big')).toBeCloseTo(0.4, 12);
    expect(live.awaited()).toEqual([]);
  });

  it('forgets a call whose reward never comes after three windows, and ignores a quality that is not a number', () => {
    const live = new WindowResiduals();
    live.dispatched('never', 'big', 0.5);
    live.dispatched('bad', 'big', 0.5);
    for (let w = 0; w < 3; w++) live.nextWindow(new Map([['bad', Number.NaN]]));
    expect(live.awaited()).toEqual(['never', 'bad']);
    live.nextWindow(new Map());
    expect(live.awaited()).toEqual([]);
    expect(live.residuals.correction('big')).toBe(0);
  });

  it("counts an exploration sub-round's calls within its window, as the replay does, without fading or ageing", () => {
    const live = new WindowResiduals(new RecentResiduals(0.5, 0));
    live.dispatched('head', 'big', 0.6);
    live.dispatched('slow', 'big', 0.6);
    live.withinWindow(new Map([['head', 1]]));
    const replay = new RecentResiduals(0.5, 0);
    replay.observe('big', FREE_FORM, 0.6, 1);
    expect(live.residuals.correction('big')).toBeCloseTo(replay.correction('big'), 12);
    expect(live.residuals.correction('big')).toBeCloseTo(0.4, 12);
    for (let round = 0; round < 5; round++) live.withinWindow(new Map());
    expect(live.awaited()).toEqual(['slow']);
  });

  it('restores from its JSON with the calls it awaits, their ages, and the correction so far', () => {
    const a = new WindowResiduals(new RecentResiduals(0.5, 1));
    a.dispatched('old', 'big', 0.7);
    a.dispatched('seen', 'small', 0.4);
    a.nextWindow(new Map([['seen', 0.9]]));
    a.dispatched('new', 'big', 0.6);
    const b = WindowResiduals.restore(JSON.parse(JSON.stringify(a)));
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(b.awaited()).toEqual(['old', 'new']);
    for (const r of [a, b]) {
      r.nextWindow(new Map([['new', 1]]));
      r.nextWindow(new Map());
    }
    // 'old' keeps the age it had: both forget it at the same window.
    expect(b.awaited()).toEqual(['old']);
    for (const r of [a, b]) r.nextWindow(new Map());
    expect(b.awaited()).toEqual(a.awaited());
    expect(b.awaited()).toEqual([]);
    for (const m of ['big', 'small']) expect(b.residuals.correction(m)).toBe(a.residuals.correction(m));
  });

  it('refuses a stored state that is not one, naming what is wrong', () => {
    const good = new WindowResiduals().toJSON();
    expect(() => WindowResiduals.restore('x')).toThrow('window residuals: state is not an object');
    expect(() => WindowResiduals.restore({ ...good, sent: {} })).toThrow('sent is not an array');
    expect(() =>
      WindowResiduals.restore({ ...good, sent: [{ decisionId: 'd', model: 'm', kind: 'k', estimate: 0.5, age: -1 }] }),
    ).toThrow('not a sent call');
    // A call stored before kinds has none: not one.
    expect(() =>
      WindowResiduals.restore({ ...good, sent: [{ decisionId: 'd', model: 'm', estimate: 0.5, age: 0 }] }),
    ).toThrow('not a sent call');
    expect(() => WindowResiduals.restore({ ...good, residuals: { ...good.residuals, decay: 2 } })).toThrow('decay');
  });
});
