import { ReplicaPacing } from './replica-pacing';

describe('ReplicaPacing payback horizon by traffic share', () => {
  const BUDGET = 0.001;
  const decide = (p: ReplicaPacing, n: number) => {
    for (let i = 0; i < n; i++) p.decided('s', BUDGET, 1);
  };

  it('keeps PACER_PAYBACK_QUERIES for a router that makes every decision of the scope', () => {
    const p = new ReplicaPacing({ budgetPerQuery: BUDGET, payback: 200 });
    p.applyFleetBudget('s', undefined, 1, 0);
    for (let fleet = 100; fleet <= 1000; fleet += 100) {
      decide(p, 100);
      p.applyFleetBudget('s', undefined, 1, fleet);
    }
    expect(p.share('s')).toBe(1);
    expect(p.summary()['s'].payback).toBe(200);
  });

  it('pays back over its share of the horizon when it makes half of the decisions', () => {
    const p = new ReplicaPacing({ budgetPerQuery: BUDGET, payback: 200 });
    p.applyFleetBudget('s', undefined, 1, 0);
    for (let fleet = 100; fleet <= 3000; fleet += 100) {
      decide(p, 50);
      p.applyFleetBudget('s', undefined, 1, fleet);
    }
    expect(p.share('s')).toBeCloseTo(0.5, 3);
    expect(p.summary()['s'].payback).toBe(100);
  });

  it('waits for enough fleet decisions, and takes a lower fleet count (aggregator restart) as a new baseline', () => {
    const p = new ReplicaPacing({ budgetPerQuery: BUDGET, payback: 200 });
    p.applyFleetBudget('s', undefined, 1, 1000);
    decide(p, 5);
    p.applyFleetBudget('s', undefined, 1, 1010);
    expect(p.share('s')).toBe(1);
    p.applyFleetBudget('s', undefined, 1, 3);
    decide(p, 10);
    p.applyFleetBudget('s', undefined, 1, 103);
    // 10 of 100 since the new baseline, smoothed from 1.
    expect(p.share('s')).toBeCloseTo(1 + 0.3 * (0.1 - 1), 6);
  });

  it('never goes below the minimum payback, and paces nothing without a budget', () => {
    const p = new ReplicaPacing({ budgetPerQuery: BUDGET, payback: 20 });
    p.applyFleetBudget('s', undefined, 1, 0);
    for (let fleet = 1000; fleet <= 20000; fleet += 1000) {
      decide(p, 1);
      p.applyFleetBudget('s', undefined, 1, fleet);
    }
    expect(p.summary()['s'].payback).toBe(10);
    const none = new ReplicaPacing({ budgetPerQuery: null, payback: 200 });
    none.applyFleetBudget('s', undefined, 1, 100);
    expect(none.summary()).toEqual({});
  });
});
