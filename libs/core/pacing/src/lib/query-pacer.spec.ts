import { Rng } from '@llm-router/numerics';
import { QueryPacer } from './query-pacer';

/** Two models and noisy costs: the budget falls between them, so the pacer has to mix. */
const ARMS = [
  { quality: 0.7, cost: 0.00005 },
  { quality: 0.9, cost: 0.001 },
];
const TARGET = 0.0003;

function choose(lambda: number): number {
  let best = 0;
  let bestScore = -Infinity;
  ARMS.forEach((a, i) => {
    const s = a.quality - lambda * a.cost;
    if (s > bestScore) {
      bestScore = s;
      best = i;
    }
  });
  return best;
}

/** The bill differs from the list price by up to +-50%, as token counts do. */
const bill = (arm: number, rng: Rng) => ARMS[arm].cost * (0.5 + rng.next());

describe('QueryPacer', () => {
  it('holds the budget on an open-ended stream (no horizon)', () => {
    const rng = new Rng(1);
    const p = new QueryPacer({ budget: TARGET });
    let spent = 0;
    const n = 5000;
    for (let t = 0; t < n; t++) {
      const c = bill(choose(p.lambda), rng);
      p.record(c);
      spent += c;
    }
    expect(spent / n / TARGET).toBeGreaterThan(0.98);
    expect(spent / n / TARGET).toBeLessThan(1.02);
    expect(p.count).toBe(n);
    expect(p.spent).toBeCloseTo(spent, 12);
  });

  it('holds the budget when bills arrive late and run 30% over the expected cost', () => {
    const rng = new Rng(2);
    const p = new QueryPacer({ budget: TARGET });
    const inFlight: Array<{ expected: number; realised: number }> = [];
    let spent = 0;
    const n = 5000;
    for (let t = 0; t < n; t++) {
      const arm = choose(p.lambda);
      const expected = ARMS[arm].cost;
      p.record(expected);
      // The cost model underrates usage: without settle() the pacer would overspend by ~30%.
      inFlight.push({ expected, realised: 1.3 * bill(arm, rng) });
      if (inFlight.length > 64) {
        const done = inFlight.shift()!;
        p.settle(done.expected, done.realised);
        spent += done.realised;
      }
    }
    for (const done of inFlight) {
      p.settle(done.expected, done.realised);
      spent += done.realised;
    }
    expect(p.spent).toBeCloseTo(spent, 12);
    expect(spent / n / TARGET).toBeGreaterThan(0.97);
    expect(spent / n / TARGET).toBeLessThan(1.02);
  });

  it('holds the fleet budget when two replicas each pace their own decisions', () => {
    const rng = new Rng(3);
    const replicas = [new QueryPacer({ budget: TARGET }), new QueryPacer({ budget: TARGET })];
    let spent = 0;
    const n = 6000;
    for (let t = 0; t < n; t++) {
      // Uneven split: one replica takes two queries in three.
      const p = replicas[t % 3 === 0 ? 1 : 0];
      const c = bill(choose(p.lambda), rng);
      p.record(c);
      spent += c;
    }
    expect(spent / n / TARGET).toBeGreaterThan(0.97);
    expect(spent / n / TARGET).toBeLessThan(1.02);
  });

  it('holds the budget when a steady share of the calls costs far more than the clip', () => {
    // A flagship at 20 targets a call, worth 0 to 0.4 quality over a cheap model depending on the
    // query: the budget buys it for about one query in twenty. With the clip's excess dropped
    // rather than carried, the dual step counted each flagship call as 5 targets, and the stream
    // settled at a fifth of the calls on the flagship: 3.8 times the budget.
    const rng = new Rng(5);
    const p = new QueryPacer({ budget: TARGET });
    const cheap = TARGET / 50;
    const flagship = 20 * TARGET;
    let spent = 0;
    let flagshipCalls = 0;
    const n = 20000;
    for (let t = 0; t < n; t++) {
      const gain = 0.4 * rng.next();
      const onFlagship = gain - p.lambda * flagship > -p.lambda * cheap;
      const c = onFlagship ? flagship : cheap;
      if (onFlagship) flagshipCalls++;
      p.record(c);
      spent += c;
    }
    expect(spent / n / TARGET).toBeGreaterThan(0.95);
    expect(spent / n / TARGET).toBeLessThan(1.05);
    expect(flagshipCalls / n).toBeGreaterThan(0.03);
    expect(flagshipCalls / n).toBeLessThan(0.07);
  });

  it('feeds the dual step what the clip held back, one clip at a time, and keeps it in its state', () => {
    const p = new QueryPacer({ budget: 1, band: 1, clip: 5, lambdaMin: 0 });
    const q = new QueryPacer({ budget: 1, band: 1, clip: 5, lambdaMin: 0 });
    // One call at 12 targets: 5 now, 5 at the next query, 2 at the one after.
    p.record(12);
    for (const c of [5, 5, 2]) q.record(c);
    p.record(0);
    p.record(0);
    expect(p.lambda).toBeCloseTo(q.lambda, 12);
    expect(p.toState().carryTargets).toBeCloseTo(0, 12);
    p.record(12);
    expect(p.toState().carryTargets).toBeCloseTo(7, 12);
    expect(QueryPacer.fromState(JSON.parse(JSON.stringify(p.toState()))).toState()).toEqual(p.toState());
    // A bill under a capped expectation takes back what is still held, before it moves lambda.
    const before = p.lambda;
    p.settle(12, 6);
    expect(p.toState().carryTargets).toBeCloseTo(1, 12);
    expect(p.lambda).toBe(before);
  });

  it('settling to the realised cost leaves the same debt as recording the realised cost', () => {
    const a = new QueryPacer({ budget: TARGET });
    const b = new QueryPacer({ budget: TARGET });
    a.record(0.0002);
    a.settle(0.0002, 0.0007);
    b.record(0.0007);
    expect(a.debt).toBeCloseTo(b.debt, 15);
    // ... and moves lambda as recording the bill would have (up to the re-aimed target).
    expect(a.lambda / b.lambda).toBeCloseTo(1, 2);
    expect(a.spent).toBeCloseTo(0.0007, 15);
    expect(a.count).toBe(1);
    // An overrun pushes lambda up, an underrun down.
    const before = a.lambda;
    a.settle(0.0001, 0.0011);
    expect(a.lambda).toBeGreaterThan(before);
    const high = a.lambda;
    a.settle(0.0011, 0.0001);
    expect(a.lambda).toBeLessThan(high);
  });

  it('a new budget keeps the debt (a change of target is not an amnesty)', () => {
    const p = new QueryPacer({ budget: TARGET });
    for (let i = 0; i < 10; i++) p.record(0.001);
    const debt = p.debt;
    expect(debt).toBeCloseTo(10 * (0.001 - TARGET), 12);
    p.setBudget(TARGET / 2);
    expect(p.debt).toBeCloseTo(debt, 15);
    p.record(TARGET / 2);
    expect(p.debt).toBeCloseTo(debt, 15);
    expect(p.budget).toBe(TARGET / 2);
    // The re-aimed target stays inside the band.
    expect(p.target).toBeGreaterThanOrEqual(TARGET / 2 / 3 - 1e-18);
  });

  it('pays a debt back over the horizon when one is known', () => {
    const p = new QueryPacer({ budget: 1, horizon: 10, band: 100 });
    p.record(3); // 2 over; 9 queries left to pay it back
    expect(p.target).toBeCloseTo(1 - 2 / 9, 12);
  });

  it('pays a debt back faster over a shorter horizon (setPayback), and keeps the horizon in its state', () => {
    const long = new QueryPacer({ budget: TARGET, payback: 200 });
    const short = new QueryPacer({ budget: TARGET, payback: 200 });
    short.setPayback(100);
    for (const p of [long, short]) for (let i = 0; i < 10; i++) p.record(3 * TARGET);
    expect(short.debt).toBeCloseTo(long.debt, 15);
    expect(short.target).toBeLessThan(long.target);
    expect(QueryPacer.fromState(JSON.parse(JSON.stringify(short.toState()))).payback).toBe(100);
    expect(() => short.setPayback(0)).toThrow(/payback/);
  });

  it('restores from its state and continues identically', () => {
    const rng = new Rng(4);
    const p = new QueryPacer({ budget: TARGET, payback: 300 });
    for (let t = 0; t < 500; t++) p.record(bill(choose(p.lambda), rng));
    p.setBudget(TARGET * 1.5);
    const q = QueryPacer.fromState(JSON.parse(JSON.stringify(p.toState())));
    for (let t = 0; t < 500; t++) {
      const c = bill(choose(p.lambda), rng);
      expect(q.lambda).toBe(p.lambda);
      p.record(c);
      q.record(c);
    }
    expect(q.toState()).toEqual(p.toState());
  });

  it('seeds lambda without touching the debt', () => {
    const p = new QueryPacer({ budget: TARGET });
    p.record(0.001);
    const debt = p.debt;
    p.setLambda(42);
    expect(p.lambda).toBe(42);
    expect(p.debt).toBe(debt);
  });

  it('record(expected) then settle against the target it was recorded at is record(realised), however far the record re-aimed', () => {
    // Payback 10: a call expected at 5 targets re-aims the target half a budget lower before its
    // bill comes; in targets, a bill of 2.6 then weighs more against the moved target than against the recorded one.
    const budget = 0.0001;
    const pacer = () => {
      const p = new QueryPacer({ budget, payback: 10, lambda0: 300 });
      for (const c of [0.3, 6, 0.3, 0.3, 2, 0.3]) p.record(c * budget);
      return p;
    };
    for (const [expected, realised] of [
      [4.9, 2.6],
      [2.6, 4.9],
      [15, 2],
      [0.3, 0.35],
    ]) {
      const a = pacer();
      const b = pacer();
      const at = a.target;
      a.record(expected * budget);
      a.settle(expected * budget, realised * budget, at);
      b.record(realised * budget);
      expect({ expected, ratio: a.lambda / b.lambda }).toEqual({ expected, ratio: expect.closeTo(1, 12) });
      expect(a.debt).toBeCloseTo(b.debt, 15);
      expect(a.target).toBeCloseTo(b.target, 15);
      expect(a.toState().carryTargets).toBeCloseTo(b.toState().carryTargets!, 12);
      // Against the target of the moment, an expectation above its bill takes back more than it
      // added: counted with what the carry still holds for lambda (log-scale steps of eta 0.05
      // around the scale 0.01 / budget), lambda is headed lower than the bill's own step.
      const c = pacer();
      c.record(expected * budget);
      c.settle(expected * budget, realised * budget);
      const headed = (p: QueryPacer) => Math.log(p.lambda + 0.01 / budget) / 0.05 + p.toState().carryTargets!;
      if (expected > realised) expect(headed(c)).toBeLessThan(headed(b) - 0.5);
    }
    expect(() => pacer().settle(budget, budget, 0)).toThrow(/recordedAt/);
  });

  it('settling many cheap bills of capped expensive expectations does not drive lambda to 0', () => {
    // A tight budget: the re-aimed target sits at budget / band, and a call expected at 15
    // targets is clipped to 5 in record(); its bill comes in at 2 targets. Settling must
    // net to the step of a 2-target call (lambda up), not to an unclipped -13 (lambda down).
    const p = new QueryPacer({ budget: 0.0001, lambda0: 500 });
    for (let i = 0; i < 20; i++) p.record(0.0005);
    const before = p.lambda;
    for (let i = 0; i < 10; i++) p.record(0.0015);
    for (let i = 0; i < 10; i++) p.settle(0.0015, 0.0002);
    const q = new QueryPacer({ budget: 0.0001, lambda0: 500 });
    for (let i = 0; i < 20; i++) q.record(0.0005);
    for (let i = 0; i < 10; i++) q.record(0.0002);
    expect(p.lambda).toBeGreaterThan(before / 2);
    expect(p.lambda / q.lambda).toBeGreaterThan(0.5);
    expect(p.lambda / q.lambda).toBeLessThan(2);
  });

  it('keeps lambda at its floor however far under the target a router spends, so equal estimates go to the cheaper model', () => {
    const p = new QueryPacer({ budget: TARGET });
    for (let i = 0; i < 200; i++) p.record(TARGET / 10);
    expect(p.lambda).toBeCloseTo(1e-4 / TARGET, 9);
    // Two models the policy cannot tell apart (same estimate), one 600 times dearer: the cheap one scores higher.
    const q = 0.7;
    expect(q - (p.lambda * TARGET) / 10).toBeGreaterThan(q - p.lambda * 60 * TARGET);
    const unfloored = new QueryPacer({ budget: TARGET, lambdaMin: 0 });
    for (let i = 0; i < 200; i++) unfloored.record(TARGET / 10);
    expect(unfloored.lambda).toBe(0);
  });

  it('spreads a call far above the clip over the next steps, and never moves lambda further than one unclipped step would', () => {
    // A debt paid back over 10 queries drops the target to its floor (a third of the budget)
    // right after the call: what is carried weighs at the target it was counted against.
    const opts = { budget: TARGET, payback: 10, lambdaMin: 0 };
    const clipped = new QueryPacer(opts);
    const unclipped = new QueryPacer({ ...opts, clip: 1e9 });
    const costs = [35 * TARGET, ...Array<number>(40).fill(0.3 * TARGET)];
    let highest = 0;
    let highestUnclipped = 0;
    for (const [i, c] of costs.entries()) {
      highest = Math.max(highest, clipped.record(c));
      highestUnclipped = Math.max(highestUnclipped, unclipped.record(c));
      if (i === 0) expect(clipped.target).toBeCloseTo(TARGET / 3, 15);
    }
    expect(clipped.toState().carryTargets).toBeCloseTo(0, 9);
    expect(highest).toBeLessThanOrEqual(highestUnclipped * (1 + 1e-9));
    expect(clipped.lambda).toBeCloseTo(unclipped.lambda, 6);
    // The first step is clipped: the rest comes in later steps.
    const once = new QueryPacer(opts);
    expect(once.record(35 * TARGET)).toBeLessThan(highestUnclipped / 3);
  });

  it('gives a state saved before the carry existed none, and reads one saved in dollars at its target', () => {
    const p = new QueryPacer({ budget: TARGET });
    p.record(10 * TARGET);
    const { carryTargets, ...old } = p.toState();
    expect(carryTargets).toBeGreaterThan(0);
    expect(QueryPacer.fromState(old).toState().carryTargets).toBe(0);
    const inDollars = { ...old, carry: 2 * p.target };
    expect(QueryPacer.fromState(inDollars).toState().carryTargets).toBeCloseTo(2, 12);
  });

  it('gives a state saved before the floor existed the default floor', () => {
    const p = new QueryPacer({ budget: TARGET });
    const state = p.toState();
    const oldDual = { ...state.dual };
    delete oldDual.lambdaMin;
    const restored = QueryPacer.fromState({ ...state, dual: oldDual });
    for (let i = 0; i < 200; i++) restored.record(TARGET / 10);
    expect(restored.lambda).toBeCloseTo(1e-4 / TARGET, 9);
    expect(QueryPacer.fromState(p.toState()).toState()).toEqual(p.toState());
  });

  it('refuses nonsense', () => {
    expect(() => new QueryPacer({ budget: 0 })).toThrow(/budget/);
    expect(() => new QueryPacer({ budget: TARGET, band: 0.5 })).toThrow(/band/);
    const p = new QueryPacer({ budget: TARGET });
    expect(() => p.record(-1)).toThrow(/cost/);
    expect(() => p.record(NaN)).toThrow(/cost/);
    expect(() => p.settle(0, Infinity)).toThrow(/realised/);
    expect(() => p.setBudget(-1)).toThrow(/budget/);
    expect(() => QueryPacer.fromState({ version: 2 } as never)).toThrow(/version/);
  });
});
