import { ReplayRow } from './replay';
import { sourceBound } from './source-bound';

const row = (source: string, arms: Record<string, [number, number]>): ReplayRow => ({
  prompt: source,
  source,
  arms: Object.fromEntries(Object.entries(arms).map(([a, [reward, cost]]) => [a, { reward, cost }])),
});

// Two rows of a source where the upgrade buys 0.1 per dollar, then two where it buys 0.5.
const poorFirst = [
  row('poor', { cheap: [0.5, 0], up: [0.6, 1] }),
  row('poor', { cheap: [0.5, 0], up: [0.6, 1] }),
  row('rich', { cheap: [0.5, 0], up: [1, 1] }),
  row('rich', { cheap: [0.5, 0], up: [1, 1] }),
];

describe('sourceBound', () => {
  it('spends the period on the best upgrades offline, and online at the price of the rows seen', () => {
    const b = sourceBound(poorFirst, 0.5, 2);
    // Offline: both rich upgrades. Online: the first window prices a dollar at 0.1 (all it has
    // seen) and buys one poor upgrade; the last window has one dollar left for one rich one.
    expect(b.offlineMeanQuality).toBeCloseTo((0.5 + 0.5 + 1 + 1) / 4, 12);
    expect(b.onlineMeanQuality).toBeCloseTo((0.6 + 0.5 + 1 + 0.5) / 4, 12);
    expect(b.offlineBudgetRatio).toBeCloseTo(1, 12);
    expect(b.onlineBudgetRatio).toBeCloseTo(1, 12);
  });

  it('buys the last step in part, and nothing online is worth less than the price', () => {
    const b = sourceBound(poorFirst, 0.25, 2);
    // Offline: one dollar, one rich upgrade. Online: half a poor upgrade, then half a rich one.
    expect(b.offlineMeanQuality).toBeCloseTo((0.5 + 0.5 + 1 + 0.5) / 4, 12);
    expect(b.onlineMeanQuality).toBeCloseTo((4 * 0.5 + 0.1 / 2 + 0.5 / 2) / 4, 12);
  });

  it('reaches the offline figure with a price scaled up in hindsight, which waits for the rich source', () => {
    expect(sourceBound(poorFirst, 0.5, 2, 2).onlineMeanQuality).toBeCloseTo(0.75, 12);
    const best = sourceBound(poorFirst, 0.5, 2).bestScaled;
    expect(best.meanQuality).toBeCloseTo(0.75, 12);
    expect(best.factor).toBeGreaterThan(1);
  });

  it('climbs a source through its concave hull: an arm under the chord is never a step', () => {
    // mid buys 0.05 per dollar, top 0.45 more for half a dollar: mid is under the chord from
    // cheap to top (1/3 per dollar). Were mid a step, top would be bought without it.
    const rows = [row('s', { cheap: [0.5, 0], mid: [0.55, 1], top: [1, 1.5] })];
    expect(sourceBound(rows, 1.5, 1).offlineMeanQuality).toBeCloseTo(1, 12);
    expect(sourceBound(rows, 0.75, 1).offlineMeanQuality).toBeCloseTo(0.75, 12);
  });

  it('uses source means, and only the arms every row of the source offers', () => {
    const rows = [
      row('s', { cheap: [0.4, 0], up: [0.8, 1], rare: [1, 0.1] }),
      row('s', { cheap: [0.6, 0], up: [1, 1] }),
    ];
    // Means: cheap 0.5, up 0.9 ("rare" is not on every row). A dollar buys half of each upgrade.
    expect(sourceBound(rows, 0.5, 2).offlineMeanQuality).toBeCloseTo(0.7, 12);
  });

  it('knows a source window by window offline: what an order that puts the rich rows last tells', () => {
    // One source whose upgrade buys 0.1 per dollar on its first two rows and 0.5 on its last two.
    const rows = poorFirst.map((r) => ({ ...r, source: 's' }));
    // Source means: the upgrade buys 0.3 per dollar on every row; two dollars buy two of them.
    const b = sourceBound(rows, 0.5, 2);
    expect(b.offlineMeanQuality).toBeCloseTo((4 * 0.5 + 2 * 0.3) / 4, 12);
    // By window: both dollars go to the last window's rows.
    expect(b.windowOfflineMeanQuality).toBeCloseTo((0.5 + 0.5 + 1 + 1) / 4, 12);
    // One window of all rows is the source-level figure.
    expect(sourceBound(rows, 0.5, 4).windowOfflineMeanQuality).toBeCloseTo(b.offlineMeanQuality, 12);
  });

  it('refuses what it cannot bound', () => {
    expect(() => sourceBound(poorFirst, 0, 2)).toThrow('budget must be > 0, got 0');
    expect(() => sourceBound(poorFirst, 1, 0)).toThrow('batch size must be an integer >= 1, got 0');
    expect(() => sourceBound([], 1, 2)).toThrow('no rows');
  });
});
