import { emptyWindowEstimates } from '@llm-router/batch';
import { applyPlanOnTruth, planOnTruthOf, sourceMeans } from './plan-on-truth';
import { ReplayRow } from './replay';

const row = (source: string | undefined, arms: Record<string, [number, number]>): ReplayRow => ({
  prompt: 'p',
  source,
  arms: Object.fromEntries(Object.entries(arms).map(([a, [reward, cost]]) => [a, { reward, cost }])),
});

const rows = [
  row('math', { cheap: [0.9, 1], dear: [1, 10] }),
  row('math', { cheap: [0.7, 3], dear: [0.8, 30] }),
  row('essay', { cheap: [0.2, 2] }),
  row(undefined, { cheap: [0, 100], dear: [0, 100] }),
];

/** Two queries (math, essay) and one without a source, on arms [cheap, dear]; essay does not offer dear. */
function window() {
  const e = emptyWindowEstimates(3, 2);
  e.quality.fill(0.5);
  e.cost.fill(5);
  e.available.set([1, 1, 1, 0, 1, 1]);
  return e;
}

describe('sourceMeans', () => {
  it('averages each arm over the rows of a source that offer it, and skips rows without a source', () => {
    const m = sourceMeans(rows, ['cheap', 'dear']);
    expect([...m.keys()]).toEqual(['math', 'essay']);
    expect(Array.from(m.get('math')!.quality)).toEqual([0.8, 0.9]);
    expect(Array.from(m.get('math')!.cost)).toEqual([2, 20]);
    expect(m.get('essay')!.quality[0]).toBe(0.2);
    expect(m.get('essay')!.quality[1]).toBeNaN();
  });
});

describe('applyPlanOnTruth', () => {
  const means = sourceMeans(rows, ['cheap', 'dear']);
  const sources = ['math', 'essay', undefined];

  it('replaces quality and cost of every named source, only where the arm is available', () => {
    const e = window();
    applyPlanOnTruth(e, sources, means, planOnTruthOf('both', null));
    expect(Array.from(e.quality)).toEqual([0.8, 0.9, 0.2, 0.5, 0.5, 0.5]);
    expect(Array.from(e.cost)).toEqual([2, 20, 2, 5, 5, 5]);
  });

  it('replaces only what the setting names', () => {
    const q = window();
    applyPlanOnTruth(q, sources, means, planOnTruthOf('quality', null));
    expect(Array.from(q.quality.subarray(0, 2))).toEqual([0.8, 0.9]);
    expect(Array.from(q.cost.subarray(0, 2))).toEqual([5, 5]);
    const c = window();
    applyPlanOnTruth(c, sources, means, planOnTruthOf('cost', null));
    expect(Array.from(c.quality.subarray(0, 2))).toEqual([0.5, 0.5]);
    expect(Array.from(c.cost.subarray(0, 2))).toEqual([2, 20]);
  });

  it('leaves the sources not named as they were', () => {
    const e = window();
    applyPlanOnTruth(e, sources, means, planOnTruthOf('both', ['essay']));
    expect(Array.from(e.quality)).toEqual([0.5, 0.5, 0.2, 0.5, 0.5, 0.5]);
  });

  it('refuses sources that do not match the window', () => {
    expect(() => applyPlanOnTruth(window(), ['math'], means, planOnTruthOf('both', null))).toThrow(
      /1 sources for 3 queries/,
    );
  });
});
