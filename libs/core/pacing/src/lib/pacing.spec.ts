import fc from 'fast-check';
import { mulberry32 } from '@llm-router/numerics';
import { BudgetPacer, PacerMode, SpendLedger } from '../index';

/**
 * Three models where quality costs money, with per-query noise in both (prompt length varies
 * the cost, difficulty varies the quality). The router picks argmax quality - lambda * cost.
 */
function simulate(pacer: BudgetPacer, steps: number, seed: number): { meanCost: number; meanQuality: number } {
  // The test's own seeded randomness (seeds are never 0), so every run sees the same stream.
  const r = mulberry32(seed);
  const arms = [
    { q: 0.75, c: 0.00005 },
    { q: 0.9, c: 0.0008 },
    { q: 0.95, c: 0.02 },
  ];
  let cost = 0;
  let quality = 0;
  for (let t = 0; t < steps; t++) {
    const tokens = Math.exp(1.2 * (r() - 0.5)); // length multiplier, 0.55x - 1.8x
    const difficulty = 0.1 * (r() - 0.5);
    let best = 0;
    let bestScore = -Infinity;
    for (let a = 0; a < arms.length; a++) {
      const s = arms[a].q + difficulty * a - pacer.lambda * arms[a].c * tokens;
      if (s > bestScore) [best, bestScore] = [a, s];
    }
    const c = arms[best].c * tokens;
    cost += c;
    quality += arms[best].q;
    pacer.update(c);
  }
  return { meanCost: cost / steps, meanQuality: quality / steps };
}

describe('BudgetPacer', () => {
  it.each<[PacerMode, number]>([
    ['multiplicative', 0.0003],
    ['multiplicative', 0.002],
    ['multiplicative', 0.008],
    ['additive', 0.002],
    ['additive', 0.008],
  ])('%s holds a mean cost target of $%d within 2%%', (mode, target) => {
    const pacer = new BudgetPacer({ target, mode });
    const { meanCost, meanQuality } = simulate(pacer, 20000, 42);
    expect(Math.abs(meanCost / target - 1)).toBeLessThan(0.02);
    expect(pacer.meanCost).toBeCloseTo(meanCost, 12);
    // The budget binds, so lambda settles strictly inside its range, and money buys quality.
    expect(pacer.lambda).toBeGreaterThan(0);
    expect(pacer.lambda).toBeLessThan(pacer.lambdaMax);
    expect(meanQuality).toBeGreaterThan(0.75);
  });

  it('spends more quality when given more money', () => {
    const lo = simulate(new BudgetPacer({ target: 0.0003 }), 5000, 1);
    const hi = simulate(new BudgetPacer({ target: 0.008 }), 5000, 1);
    expect(hi.meanQuality).toBeGreaterThan(lo.meanQuality + 0.05);
  });

  it('lets lambda fall to exactly 0 when the budget does not bind', () => {
    const pacer = new BudgetPacer({ target: 1, lambda0: 50 });
    simulate(pacer, 2000, 3);
    expect(pacer.lambda).toBe(0);
  });

  it('keeps lambda0 without a target, and pins lambdaMax when the budget is gone', () => {
    const p = new BudgetPacer({ lambda0: 3, lambdaMax: 1000 });
    p.update(0.5);
    expect(p.lambda).toBe(3);
    p.setTarget(0);
    expect(p.lambda).toBe(1000);
    p.update(0.5);
    expect(p.lambda).toBe(1000);
    p.setTarget(null);
    expect(p.lambda).toBe(3);
  });

  it('does not move during warm-up', () => {
    const p = new BudgetPacer({ target: 0.001, warmup: 3, lambda0: 1 });
    expect([p.update(0.01), p.update(0.01), p.update(0.01)]).toEqual([1, 1, 1]);
    expect(p.update(0.01)).toBeGreaterThan(1);
    expect(p.count).toBe(4);
  });

  it('moves lambda up on overspend and down on underspend, by the documented step', () => {
    const add = new BudgetPacer({ target: 0.01, mode: 'additive', eta: 0.1, scale: 2, lambda0: 5 });
    expect(add.update(0.03)).toBeCloseTo(5 + 0.1 * 2 * 2, 12);
    expect(add.update(0)).toBeCloseTo(5.4 - 0.2, 12);
    const mul = new BudgetPacer({ target: 0.01, eta: 0.1, scale: 2, lambda0: 5 });
    expect(mul.update(0.03)).toBeCloseTo(7 * Math.exp(0.2) - 2, 12);
  });

  it('serialises and continues identically', () => {
    const a = new BudgetPacer({ target: 0.002, eta: 0.07, warmup: 5 });
    simulate(a, 300, 9);
    const b = BudgetPacer.fromState(JSON.parse(JSON.stringify(a.toState())));
    expect(b.toState()).toEqual(a.toState());
    simulate(a, 300, 10);
    simulate(b, 300, 10);
    expect(b.lambda).toBe(a.lambda);
    expect(() => BudgetPacer.fromState({ ...a.toState(), version: 2 as 1 })).toThrow(/version/);
  });

  it('rejects nonsense', () => {
    expect(() => new BudgetPacer({ eta: 0 })).toThrow(RangeError);
    expect(() => new BudgetPacer({ lambdaMax: -1 })).toThrow(RangeError);
    expect(() => new BudgetPacer({ target: NaN })).toThrow(RangeError);
    expect(() => new BudgetPacer({ target: 1 }).update(-1)).toThrow(RangeError);
    expect(() => new BudgetPacer({ target: 1 }).update(NaN)).toThrow(RangeError);
  });

  it('keeps lambda within [0, lambdaMax] whatever happens', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('cost' as const), v: fc.double({ min: 0, max: 1e6, noNaN: true }) }),
      fc.record({
        kind: fc.constant('target' as const),
        v: fc.oneof(fc.constant(null), fc.double({ min: -1, max: 10, noNaN: true })),
      }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom<PacerMode>('multiplicative', 'additive'),
        fc.double({ min: 1e-4, max: 50, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e7, noNaN: true }),
        fc.double({ min: 0, max: 2e7, noNaN: true }),
        fc.array(op, { maxLength: 60 }),
        (mode, eta, lambdaMax, lambda0, ops) => {
          const p = new BudgetPacer({ mode, eta, lambdaMax, lambda0, target: 0.001 });
          const ok = () => p.lambda >= 0 && p.lambda <= lambdaMax;
          expect(ok()).toBe(true);
          for (const o of ops) {
            if (o.kind === 'cost') p.update(o.v);
            else p.setTarget(o.v);
            expect(ok()).toBe(true);
          }
          expect(ok()).toBe(true);
          const q = BudgetPacer.fromState(p.toState());
          expect(q.lambda).toBe(p.lambda);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('SpendLedger', () => {
  const at = (iso: string) => Date.parse(iso);

  it('rolls a daily budget over at UTC midnight', () => {
    const l = new SpendLedger({ budgetUsd: 10, period: 'day' });
    l.record(4, at('2025-03-01T10:00:00Z'));
    l.record(3, new Date('2025-03-01T23:59:59.999Z'));
    expect(l.spent(at('2025-03-01T23:00:00Z'))).toBe(7);
    expect(l.remaining(at('2025-03-01T23:00:00Z'))).toBe(3);
    expect(l.remaining(at('2025-03-02T00:00:00Z'))).toBe(10);
    l.record(1, at('2025-03-02T00:00:00Z'));
    expect(l.remaining(at('2025-03-02T05:00:00Z'))).toBe(9);
    expect(l.queries(at('2025-03-01T12:00:00Z'))).toBe(2);
  });

  it('rolls a monthly budget over on the first of the month, including leap February', () => {
    const l = new SpendLedger({ budgetUsd: 100, period: 'month' });
    expect(l.periodStart(at('2024-02-29T23:00:00Z'))).toBe(at('2024-02-01T00:00:00Z'));
    expect(l.periodEnd(at('2024-02-10T00:00:00Z'))).toBe(at('2024-03-01T00:00:00Z'));
    expect(l.periodEnd(at('2024-12-31T00:00:00Z'))).toBe(at('2025-01-01T00:00:00Z'));
    l.record(60, at('2024-02-15T00:00:00Z'));
    l.record(70, at('2024-02-28T00:00:00Z'));
    expect(l.remaining(at('2024-02-29T12:00:00Z'))).toBe(0);
    expect(l.remaining(at('2024-03-01T00:00:00Z'))).toBe(100);
  });

  it('files late records under their own period', () => {
    const l = new SpendLedger({ budgetUsd: 5 });
    l.record(1, at('2025-03-02T01:00:00Z'));
    l.record(2, at('2025-03-01T23:00:00Z'));
    expect(l.spent(at('2025-03-02T02:00:00Z'))).toBe(1);
    expect(l.spent(at('2025-03-01T23:30:00Z'))).toBe(2);
  });

  it('spreads what is left over the expected remaining queries', () => {
    const l = new SpendLedger({ budgetUsd: 24 });
    const noon = at('2025-03-01T12:00:00Z');
    expect(l.targetPerQuery(noon, 1000)).toBeCloseTo(24 / 500, 12);
    l.record(12, at('2025-03-01T06:00:00Z'), 600);
    expect(l.targetPerQuery(noon, 1000)).toBeCloseTo(12 / 500, 12);
    expect(l.observedQueriesPerDay(noon)).toBeCloseTo(1200, 9);
    // One minute before midnight: at least one more query is assumed.
    expect(l.targetPerQuery(at('2025-03-01T23:59:00Z'), 100)).toBe(12);
    l.record(20, noon);
    expect(l.targetPerQuery(noon, 1000)).toBe(0);
  });

  it('feeds the pacer: spending ahead of plan lowers the target and raises lambda', () => {
    const l = new SpendLedger({ budgetUsd: 10 });
    const p = new BudgetPacer({ lambda0: 1 });
    let t = at('2025-03-01T00:00:00Z');
    const perDay = 1000;
    for (let i = 0; i < 300; i++, t += 86_400_000 / perDay) {
      p.setTarget(l.targetPerQuery(t, perDay));
      const cost = 0.02; // twice the planned $0.01 per query
      l.record(cost, t);
      p.update(cost);
    }
    expect(p.target!).toBeLessThan(0.01);
    expect(p.lambda).toBeGreaterThan(1);
  });

  it('bounds memory to the kept periods, serialises, and validates', () => {
    const l = new SpendLedger({ budgetUsd: 1, keepPeriods: 2 });
    for (let d = 1; d <= 9; d++) l.record(0.1, at(`2025-03-0${d}T12:00:00Z`));
    const s = l.toState();
    expect(s.periods.map((p) => new Date(p.start).toISOString().slice(0, 10))).toEqual(['2025-03-08', '2025-03-09']);
    const r = SpendLedger.fromState(JSON.parse(JSON.stringify(s)));
    expect(r.remaining(at('2025-03-09T13:00:00Z'))).toBeCloseTo(0.9, 12);
    expect(r.toState()).toEqual(s);
    expect(() => new SpendLedger({ budgetUsd: -1 })).toThrow(RangeError);
    expect(() => l.record(NaN, 0)).toThrow(RangeError);
    expect(() => l.targetPerQuery(0, 0)).toThrow(RangeError);
    expect(() => l.remaining(NaN)).toThrow(RangeError);
  });
});
