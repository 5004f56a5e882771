import { QueryPacer } from '@llm-router/pacing';
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

describe('ReplicaPacing decided and billed', () => {
  it('settles each bill against the target its decision was recorded at: as if the bill had been known at decide time', () => {
    const budget = 0.0001;
    const replica = new ReplicaPacing({ budgetPerQuery: budget, payback: 10 });
    const direct = new QueryPacer({ budget, payback: 10, lambda0: 300 });
    // Expected at 4.9 targets, billed at 2.6 (the dear model of a live run), between cheap calls.
    for (const [expected, realised] of [
      [0.3, 0.3],
      [4.9, 2.6],
      [0.3, 0.4],
      [4.9, 2.6],
      [0.3, 0.2],
    ]) {
      const recordedAt = replica.decided('s', expected * budget, 300);
      expect(recordedAt).toEqual(expect.any(Number));
      replica.billed('s', expected * budget, realised * budget, recordedAt);
      direct.record(realised * budget);
    }
    const s = replica.summary()['s'];
    expect(s.lambda / direct.lambda).toBeCloseTo(1, 12);
    expect(s.debtUsd).toBeCloseTo(direct.debt, 15);
    expect(s.target).toBeCloseTo(direct.target, 15);
  });

  it('records nothing, and says so, where nothing is paced', () => {
    const replica = new ReplicaPacing({ budgetPerQuery: null, payback: 50 });
    expect(replica.decided('s', 0.001, 1)).toBeNull();
    replica.billed('s', 0.001, 0.002, null);
    expect(replica.summary()).toEqual({});
  });
});
