import fc from 'fast-check';
import {
  FrontierTracker,
  ParetoPoint,
  dominates,
  lambdaForCost,
  mixForCost,
  paretoFrontier,
  pickByBudget,
  pickByMinQuality,
  sampleMix,
  upperHull,
} from '../index';

const P = (id: string, quality: number, cost: number): ParetoPoint => ({ id, quality, cost });

// Small integer grids make ties and duplicates common, which is where sweeps go wrong.
const arbPoints = fc
  .array(fc.record({ quality: fc.integer({ min: 0, max: 10 }), cost: fc.integer({ min: 0, max: 10 }) }), {
    maxLength: 25,
  })
  .map((xs) => xs.map((x, i) => P(`m${i}`, x.quality / 10, x.cost / 1000)));

describe('dominates', () => {
  it('needs no worse on both axes and better on one', () => {
    expect(dominates(P('a', 0.9, 1), P('b', 0.8, 2))).toBe(true);
    expect(dominates(P('a', 0.9, 1), P('b', 0.9, 2))).toBe(true);
    expect(dominates(P('a', 0.9, 1), P('b', 0.8, 1))).toBe(true);
    expect(dominates(P('a', 0.9, 1), P('b', 0.9, 1))).toBe(false);
    expect(dominates(P('a', 0.9, 2), P('b', 0.8, 1))).toBe(false);
    expect(dominates(P('b', 0.8, 2), P('a', 0.9, 1))).toBe(false);
  });
});

describe('paretoFrontier', () => {
  it('splits a small market and sorts the frontier by cost', () => {
    const pts = [
      P('pro', 0.95, 0.02),
      P('large', 0.93, 0.0006),
      P('small', 0.79, 0.00004),
      P('meh', 0.9, 0.03),
      P('mid', 0.85, 0.001),
    ];
    const { frontier, dominated } = paretoFrontier(pts);
    expect(frontier.map((p) => p.id)).toEqual(['small', 'large', 'pro']);
    expect(dominated.map((p) => p.id)).toEqual(['meh', 'mid']);
  });

  it('agrees with the definition (nobody dominates a frontier point) on random markets', () => {
    fc.assert(
      fc.property(arbPoints, (pts) => {
        const { frontier, dominated } = paretoFrontier(pts);
        expect(frontier.length + dominated.length).toBe(pts.length);
        const onF = new Set(frontier.map((p) => p.id));
        for (const p of pts) expect(onF.has(p.id)).toBe(!pts.some((q) => dominates(q, p)));
        for (let i = 1; i < frontier.length; i++) {
          expect(frontier[i].cost).toBeGreaterThanOrEqual(frontier[i - 1].cost);
          expect(frontier[i].quality).toBeGreaterThanOrEqual(frontier[i - 1].quality);
        }
      }),
    );
  });

  it('keeps exact duplicates together and refuses NaN', () => {
    const { frontier } = paretoFrontier([P('b', 0.5, 1), P('a', 0.5, 1), P('c', 0.4, 1)]);
    expect(frontier.map((p) => p.id)).toEqual(['a', 'b']);
    expect(() => paretoFrontier([P('x', NaN, 1)])).toThrow(RangeError);
  });
});

describe('pickByBudget / pickByMinQuality', () => {
  const pts = [P('small', 0.79, 0.00004), P('large', 0.93, 0.0006), P('pro', 0.95, 0.02)];

  it('picks the best that fits, else the cheapest', () => {
    expect(pickByBudget(pts, 0.001)?.id).toBe('large');
    expect(pickByBudget(pts, 1)?.id).toBe('pro');
    expect(pickByBudget(pts, 0.0006)?.id).toBe('large');
    expect(pickByBudget(pts, 0.00001)?.id).toBe('small');
    expect(pickByBudget([], 1)).toBeUndefined();
  });

  it('picks the cheapest good enough, else the best', () => {
    expect(pickByMinQuality(pts, 0.9)?.id).toBe('large');
    expect(pickByMinQuality(pts, 0.5)?.id).toBe('small');
    expect(pickByMinQuality(pts, 0.94)?.id).toBe('pro');
    expect(pickByMinQuality(pts, 0.99)?.id).toBe('pro');
    expect(pickByMinQuality([], 0)).toBeUndefined();
  });

  it('is optimal and loses nothing by looking at the frontier only', () => {
    fc.assert(
      fc.property(arbPoints, fc.integer({ min: 0, max: 11 }), (pts, k) => {
        const B = k / 1000;
        const Q = k / 10;
        const { frontier } = paretoFrontier(pts);
        const b = pickByBudget(pts, B);
        const bf = pickByBudget(frontier, B);
        const q = pickByMinQuality(pts, Q);
        const qf = pickByMinQuality(frontier, Q);
        if (pts.length === 0) return;
        const fits = pts.filter((p) => p.cost <= B);
        if (fits.length) {
          expect(b!.cost).toBeLessThanOrEqual(B);
          expect(b!.quality).toBe(Math.max(...fits.map((p) => p.quality)));
        } else expect(b!.cost).toBe(Math.min(...pts.map((p) => p.cost)));
        const good = pts.filter((p) => p.quality >= Q);
        if (good.length) {
          expect(q!.quality).toBeGreaterThanOrEqual(Q);
          expect(q!.cost).toBe(Math.min(...good.map((p) => p.cost)));
        } else expect(q!.quality).toBe(Math.max(...pts.map((p) => p.quality)));
        expect([bf!.quality, bf!.cost]).toEqual([b!.quality, b!.cost]);
        expect([qf!.quality, qf!.cost]).toEqual([q!.quality, q!.cost]);
      }),
    );
  });
});

describe('upperHull and mixForCost', () => {
  it('drops frontier points under the chord of their neighbours', () => {
    // mid is on the frontier but below the line small -> pro: mixing beats it.
    const pts = [P('small', 0.5, 0), P('mid', 0.6, 5), P('pro', 1, 6)];
    expect(paretoFrontier(pts).frontier).toHaveLength(3);
    expect(upperHull(pts).map((p) => p.id)).toEqual(['small', 'pro']);
    const m = mixForCost(pts, 5);
    expect(m.expectedCost).toBeCloseTo(5, 12);
    expect(m.expectedQuality).toBeGreaterThan(0.6);
    expect(m.probabilities.small).toBeCloseTo(1 / 6, 12);
    expect(m.probabilities.pro).toBeCloseTo(5 / 6, 12);
  });

  it('meets the mean cost target exactly between adjacent vertices, and samples it', () => {
    const pts = [P('small', 0.79, 0.00004), P('large', 0.93, 0.0006), P('pro', 0.95, 0.02)];
    const m = mixForCost(pts, 0.002);
    expect([m.lo.id, m.hi.id]).toEqual(['large', 'pro']);
    expect(m.pHi * 0.02 + (1 - m.pHi) * 0.0006).toBeCloseTo(0.002, 15);
    let cost = 0;
    const n = 10000;
    for (let i = 0; i < n; i++) cost += sampleMix(m, (i + 0.5) / n).cost;
    expect(cost / n).toBeCloseTo(0.002, 5);
    expect(mixForCost(pts, 0).probabilities).toEqual({ small: 1 });
    expect(mixForCost(pts, 5).probabilities).toEqual({ pro: 1 });
    expect(() => mixForCost([], 1)).toThrow(RangeError);
  });

  it('hull vertices win every linear scalarisation, and the mix beats every affordable pure choice', () => {
    fc.assert(
      fc.property(
        arbPoints.filter((p) => p.length > 0),
        fc.double({ min: 0, max: 500, noNaN: true }),
        fc.integer({ min: 0, max: 10 }),
        (pts, lambda, k) => {
          const hull = upperHull(pts);
          const best = (xs: ParetoPoint[]) => Math.max(...xs.map((p) => p.quality - lambda * p.cost));
          expect(best(hull)).toBeCloseTo(best(pts), 12);
          const target = k / 1000;
          const m = mixForCost(pts, target);
          expect(Object.values(m.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
          expect(m.expectedCost).toBeLessThanOrEqual(Math.max(target, Math.min(...pts.map((p) => p.cost))) + 1e-15);
          for (const p of pts)
            if (p.cost <= target) expect(m.expectedQuality).toBeGreaterThanOrEqual(p.quality - 1e-12);
        },
      ),
    );
  });
});

describe('lambdaForCost', () => {
  it('is the slope of the bracketing hull segment, so scoring at it is indifferent between lo and hi', () => {
    const pts = [P('small', 0.79, 0.00004), P('large', 0.93, 0.0006), P('pro', 0.95, 0.02)];
    const lam = lambdaForCost(pts, 0.002);
    expect(lam).toBeCloseTo(0.02 / 0.0194, 9);
    const m = mixForCost(pts, 0.002);
    expect(m.lo.quality - lam * m.lo.cost).toBeCloseTo(m.hi.quality - lam * m.hi.cost, 12);
    expect(lambdaForCost(pts, 0.0001)).toBeCloseTo(0.14 / 0.00056, 6);
    expect(lambdaForCost(pts, 0)).toBeCloseTo(0.14 / 0.00056, 6);
    expect(lambdaForCost(pts, 1)).toBe(0);
    expect(lambdaForCost([P('only', 0.5, 1)], 0.5)).toBe(Infinity);
  });
});

describe('FrontierTracker', () => {
  it('reports a change when a price cut moves a model onto the frontier, and not for noise', () => {
    const t = new FrontierTracker({ qualityTolerance: 0.01, costTolerance: 0.05 });
    expect(t.setPrice('small', 0.00004).changed).toBe(false); // no quality yet: nothing to show
    let u = t.setMany([
      { id: 'small', quality: 0.79 },
      { id: 'large', quality: 0.93, cost: 0.0006 },
      { id: 'pro', quality: 0.95, cost: 0.02 },
      { id: 'flash', quality: 0.92, cost: 0.003 },
    ]);
    expect(u.changed).toBe(true);
    expect(u.frontier.map((p) => p.id)).toEqual(['small', 'large', 'pro']);
    expect(u.dominated.map((p) => p.id)).toEqual(['flash']);

    expect(t.setQuality('large', 0.932).changed).toBe(false);
    expect(t.setPrice('pro', 0.0201).changed).toBe(false);

    u = t.setPrice('flash', 0.0003);
    expect(u.changed).toBe(true);
    expect(u.frontier.map((p) => p.id)).toEqual(['small', 'flash', 'large', 'pro']);
    expect(t.refresh().changed).toBe(false);
  });

  it('accumulates small drifts against the last publication', () => {
    const t = new FrontierTracker({ qualityTolerance: 0.01 });
    t.setMany([
      { id: 'a', quality: 0.5, cost: 1 },
      { id: 'b', quality: 0.9, cost: 2 },
    ]);
    const changes = [0.504, 0.508, 0.512, 0.516].map((q) => t.setQuality('a', q).changed);
    expect(changes).toEqual([false, false, true, false]);
  });

  it('reports removals and dominated-set changes, and rejects NaN', () => {
    const t = new FrontierTracker();
    t.setMany([
      { id: 'a', quality: 0.5, cost: 1 },
      { id: 'b', quality: 0.9, cost: 2 },
      { id: 'c', quality: 0.4, cost: 3 },
    ]);
    expect(t.removeModel('c').changed).toBe(true);
    expect(t.removeModel('zzz').changed).toBe(false);
    expect(t.removeModel('b').frontier.map((p) => p.id)).toEqual(['a']);
    expect(() => t.setPrice('a', NaN)).toThrow(RangeError);
    expect(t.points()).toEqual([{ id: 'a', quality: 0.5, cost: 1 }]);
  });
});
