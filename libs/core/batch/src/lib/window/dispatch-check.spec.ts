import { COST_SURPRISE, DispatchCheck, DispatchOptions } from './dispatch-check';
import { WindowEstimates, emptyWindowEstimates } from './window-estimates';

/** n queries, each with CHEAP (q 0.5, $1) and GOOD (q 0.9, $3): GOOD gains 0.4 for $2 more. */
function twoArms(n: number): WindowEstimates {
  const e = emptyWindowEstimates(n, 2);
  for (let i = 0; i < n; i++) {
    e.quality.set([0.5, 0.9], i * 2);
    e.cost.set([1, 3], i * 2);
    e.available.set([1, 1], i * 2);
  }
  return e;
}

/** Per (query, arm): 1 where the query's kind has bills of the arm from before the window. */
function billedOn(n: number, entries: [number, number][]): Uint8Array {
  const b = new Uint8Array(n * 2);
  for (const [i, j] of entries) b[i * 2 + j] = 1;
  return b;
}

/** Sends queries `order` in turn, each billed `bill(i, arm)`; the arm each went to. */
function dispatch(check: DispatchCheck, order: number[], bill: (i: number, arm: number) => number): number[] {
  return order.map((i) => {
    const arm = check.armFor(i);
    check.settle(i, arm, bill(i, arm));
    return arm;
  });
}

// At a dual price of 0.04, GOOD's $3 is worth its 0.4 (0.04 * 2 = 0.08), its $30 is not
// (0.04 * 29 = 1.16): a call ten times its plan is a surprise that stops it.
const PRICE = 0.04;
const PLAN = Int32Array.from([1, 1, 1, 1]);
/** A check of `n` two-arm queries all planned on GOOD, under a budget that never binds. */
const checkOf = (opts: DispatchOptions, n = 4, plan = PLAN) => new DispatchCheck(twoArms(n), plan, 1e9, 0, 0, opts);
/** GOOD ten times its plan on kind A, as planned elsewhere; CHEAP as planned. */
const DEAR_ON_A = (kinds: readonly string[]) => (i: number, arm: number) =>
  arm === 1 ? (kinds[i] === 'A' ? 30 : 3) : 1;

describe("DispatchCheck's cost surprise per kind of prompt", () => {
  const kinds = ['A', 'A', 'B', 'B'];
  /** GOOD has bills from before the window on kind B (queries 2 and 3). */
  const GOOD_BILLED_ON_B = billedOn(4, [
    [2, 1],
    [3, 1],
  ]);

  it('stops an arm for the rest of the window on a surprise on any of its calls, without kinds', () => {
    const check = checkOf({ dualPrice: PRICE });
    expect(dispatch(check, [0, 1, 2, 3], DEAR_ON_A(kinds))).toEqual([1, 0, 0, 0]);
  });

  it('ignores kindBilled without kinds', () => {
    const check = checkOf({
      dualPrice: PRICE,
      kindBilled: GOOD_BILLED_ON_B,
    });
    expect(dispatch(check, [0, 1, 2, 3], DEAR_ON_A(kinds))).toEqual([1, 0, 0, 0]);
  });

  it('keeps the arm on another kind it has bills on from before, and stops it on the surprising kind', () => {
    const check = checkOf({
      dualPrice: PRICE,
      kinds,
      kindBilled: GOOD_BILLED_ON_B,
    });
    expect(dispatch(check, [0, 1, 2, 3], DEAR_ON_A(kinds))).toEqual([1, 0, 1, 1]);
  });

  it("stops the arm on a kind still unbilled: its price is a guess, and takes the arm's surprise over the window", () => {
    for (const kindBilled of [undefined, billedOn(4, []), billedOn(4, [[2, 0]])]) {
      const check = checkOf({ dualPrice: PRICE, kinds, kindBilled });
      expect(dispatch(check, [0, 1, 2, 3], DEAR_ON_A(kinds))).toEqual([1, 0, 0, 0]);
    }
  });

  it("stops the arm on an unbilled kind at its window-wide level, not at the surprising kind's", () => {
    // GOOD: $30 on one call of A, $3 on two calls of C: window-wide (30 + 3 + 3) / 9 = 4 > 3 stops
    // it on unbilled B; at $21 on A, (21 + 6) / 9 = 3 does not, though A alone is at 7.
    const kinds5 = ['C', 'C', 'A', 'A', 'B'];
    const plan = Int32Array.from([1, 1, 1, 1, 1]);
    const run = (dearUsd: number) => {
      const check = checkOf({ dualPrice: PRICE, kinds: kinds5 }, 5, plan);
      return dispatch(check, [0, 1, 2, 3, 4], (i, arm) => (arm === 1 ? (kinds5[i] === 'A' ? dearUsd : 3) : 1));
    };
    expect(run(30)).toEqual([1, 1, 1, 0, 0]);
    expect(run(21)).toEqual([1, 1, 1, 0, 1]);
  });

  it("goes by a kind's own bills this window once it has any, whatever the other kinds cost", () => {
    // B is unbilled before the window, but its first call this window cost what was planned.
    const order = ['B', 'A', 'A', 'B'];
    const check = checkOf({ dualPrice: PRICE, kinds: order });
    expect(dispatch(check, [0, 1, 2, 3], DEAR_ON_A(order))).toEqual([1, 1, 0, 1]);
  });

  it('stops the arm on a billed kind once that kind surprises too', () => {
    const check = checkOf({
      dualPrice: PRICE,
      kinds,
      kindBilled: billedOn(4, [
        [0, 1],
        [1, 1],
        [2, 1],
        [3, 1],
      ]),
    });
    expect(dispatch(check, [0, 2, 1, 3], (_, arm) => (arm === 1 ? 30 : 1))).toEqual([1, 1, 0, 0]);
  });

  it('stops on a kind only above COST_SURPRISE times its plan', () => {
    expect(COST_SURPRISE).toBe(3);
    const run = (billUsd: number) => {
      // No dual price: a surprise is not weighed against the gain.
      const check = checkOf({ kinds });
      return dispatch(check, [0, 1], (_, arm) => (arm === 1 ? billUsd : 1));
    };
    expect(run(9)).toEqual([1, 1]);
    expect(run(9.03)).toEqual([1, 0]);
  });

  it("keeps a surprising kind's arm while its gain is worth the kind's true price", () => {
    // At a dual price of 0.01, a $30 call is worth its 0.4 (0.01 * 29 = 0.29); at $45 it is not.
    const run = (billUsd: number) => {
      const check = checkOf({ dualPrice: 0.01, kinds });
      return dispatch(check, [0, 1], (_, arm) => (arm === 1 ? billUsd : 1));
    };
    expect(run(30)).toEqual([1, 1]);
    expect(run(45)).toEqual([1, 0]);
  });

  it('counts a bill that came back after its call was settled against its kind', () => {
    const run = (billUsd: number) => {
      const check = checkOf({
        dualPrice: PRICE,
        kinds: ['A', 'A', 'A', 'B'],
        kindBilled: billedOn(4, [[3, 1]]),
      });
      // The first call of A is settled at its plan when it goes, and billed later.
      expect(check.armFor(0)).toBe(1);
      check.settle(0, 1, 3);
      check.rebill(0, 1, 3, billUsd);
      return dispatch(check, [1, 2, 3], (_, arm) => (arm === 1 ? 3 : 1));
    };
    expect(run(3)).toEqual([1, 1, 1]);
    // Billed at ten times its plan: A stops, B (billed before) goes on.
    expect(run(30)).toEqual([0, 0, 1]);
  });

  it('lets every planned arm go without a budget, whatever a kind cost', () => {
    const check = new DispatchCheck(twoArms(4), PLAN, null, 0, 0, { dualPrice: PRICE, kinds });
    expect(dispatch(check, [0, 1, 2, 3], (_, arm) => (arm === 1 ? 1e6 : 1))).toEqual([1, 1, 1, 1]);
  });
});
