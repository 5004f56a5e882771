import { RandomPolicy } from './random-policy';
import { ArmId, DecisionContext, Outcome } from './policy';
import { WarmRow, applyWarmStart, armPriors, fitWarmStart } from './warm-start';

const rows: WarmRow[] = [
  { prompt: 'a', arms: { x: { reward: 1, cost: 0.01 }, y: { reward: 0.5, cost: 0.001 } } },
  { prompt: 'bb', arms: { x: { reward: 0.5, cost: 0.03 }, y: { reward: 0.5, cost: 0.001 } } },
  { prompt: 'ccc', arms: { x: { reward: 0.75, cost: 0.02 }, y: { reward: 1, cost: 0.004 } } },
];

describe('fitWarmStart', () => {
  it('summarises each arm over the file', () => {
    const ws = fitWarmStart(rows);
    expect(ws.arms['x'].n).toBe(3);
    expect(ws.arms['x'].meanQuality).toBeCloseTo(0.75, 12);
    expect(ws.arms['x'].varQuality).toBeCloseTo((0.0625 + 0.0625 + 0) / 3, 12);
    expect(ws.arms['x'].meanCost).toBeCloseTo(0.02, 12);
    expect(ws.arms['y'].meanLogCost).toBeCloseTo((2 * Math.log(0.001) + Math.log(0.004)) / 3, 12);
    expect(ws.linear).toBeNull();
  });

  it('accumulates linear sufficient statistics on the given features', () => {
    const ws = fitWarmStart(rows, { featurize: (r) => [1, r.prompt.length] });
    const s = ws.linear!['x'];
    expect(s.n).toBe(3);
    expect(Array.from(s.xx)).toEqual([3, 6, 6, 14]);
    expect(Array.from(s.xs)).toEqual([3, 6]);
    expect(s.xq[0]).toBeCloseTo(2.25, 12);
    expect(s.xq[1]).toBeCloseTo(1 + 1 + 2.25, 12);
    expect(s.xlc[1]).toBeCloseTo(Math.log(0.01) + 2 * Math.log(0.03) + 3 * Math.log(0.02), 12);
  });

  it('leaves excluded arms out entirely', () => {
    const ws = fitWarmStart(rows, { exclude: ['x'], featurize: () => [1] });
    expect(Object.keys(ws.arms)).toEqual(['y']);
    expect(Object.keys(ws.linear!)).toEqual(['y']);
  });

  it('caps the weight of per-arm priors', () => {
    const p = armPriors(fitWarmStart(rows), 2);
    expect(p['x']).toEqual({ mean: 0.75, weight: 2 });
  });
});

describe('applyWarmStart', () => {
  it('feeds a plain policy every (row, known, non-excluded arm) outcome through update', () => {
    const seen: [string, ArmId, Outcome][] = [];
    const p = new RandomPolicy({ arms: ['x', 'y'] });
    p.update = (ctx: DecisionContext, arm: ArmId, o: Outcome) => void seen.push([ctx.text ?? '', arm, o]);
    applyWarmStart(p, rows, { exclude: ['y'] });
    expect(seen.map(([t, a]) => `${t}:${a}`)).toEqual(['a:x', 'bb:x', 'ccc:x']);
    expect(seen[0][2]).toEqual({ quality: 1, costUsd: 0.01 });
  });

  it('hands the file to a policy that has its own warmStart', () => {
    const p = Object.assign(new RandomPolicy({ arms: ['x'] }), { warmStart: jest.fn() });
    const opts = { exclude: ['y'] };
    applyWarmStart(p, rows, opts);
    expect(p.warmStart).toHaveBeenCalledWith(rows, opts);
  });
});
