import { CALIBRATION_CALLS, CostCalibration } from './cost-calibration';
import { DispatchCheck } from './dispatch-check';
import { PeriodBudget, dualPriceOfDollar } from './dual-price';
import { EstimatedMix } from './estimated-mix';
import { bankUsd, marginalUpgrades, planWindow, unpricedCapacity } from './window-planner';
import { WindowEstimates, cheapestArm, emptyWindowEstimates } from './window-estimates';

/** Queries with the same (quality, cost) per arm; every arm available unless `unavailable` says otherwise. */
function window(n: number, arms: { q: number; c: number; h?: number }[], unavailable: [number, number][] = []) {
  const k = arms.length;
  const e = emptyWindowEstimates(n, k);
  for (let i = 0; i < n; i++)
    arms.forEach((a, j) => {
      e.quality[i * k + j] = a.q;
      e.cost[i * k + j] = a.c;
      e.halfWidth[i * k + j] = a.h ?? 0.05;
      e.available[i * k + j] = 1;
    });
  for (const [i, j] of unavailable) e.available[i * k + j] = 0;
  return e;
}

const CHEAP = { q: 0.5, c: 1 };
const GOOD = { q: 0.9, c: 3 };
const budgetOf = (perQueryUsd: number, expectedQueries: number, routedQueries = 0, spentUsd = 0): PeriodBudget => ({
  perQueryUsd,
  expectedQueries,
  routedQueries,
  spentUsd,
});
const plan = (
  e: WindowEstimates,
  budget: PeriodBudget | null,
  extra: Partial<Parameters<typeof planWindow>[0]> = {},
) => {
  const routed = new EstimatedMix(e.k);
  routed.add(e, 0);
  return planWindow({ estimates: e, budget, routed, robust: false, level: 0.3, solver: 'heuristic', ...extra });
};

describe('planWindow', () => {
  it('never assigns an arm a query does not offer, however good and however much money there is', async () => {
    const e = window(
      4,
      [CHEAP, { q: 1, c: 0.5 }],
      [
        [1, 1],
        [3, 1],
      ],
    );
    const p = await plan(e, null);
    expect(Array.from(p.assignment)).toEqual([1, 0, 1, 0]);
  });

  it("gives the period's last window all that is left, at no price of the dollar", async () => {
    const e = window(10, [CHEAP, GOOD]);
    // 10 queries in the period, 5 routed for $10: $20 left buys 5 upgrades.
    const p = await plan(e, budgetOf(3, 10, 0, 10));
    expect(p.dualPrice).toBe(0);
    expect(p.reserveUsd).toBe(0);
    expect(p.windowBudgetUsd).toBeCloseTo(20, 12);
    expect(Array.from(p.assignment).filter((j) => j === 1)).toHaveLength(5);
  });

  it('keeps a reserve for the later queries and buys an upgrade only above the dual price', async () => {
    // Half the queries gain 0.4 from the upgrade ($2 more), half 0.05; the period affords upgrading half.
    const e = window(100, [CHEAP, GOOD]);
    for (let i = 50; i < 100; i++) e.quality[i * 2 + 1] = 0.55;
    const b = budgetOf(2, 1000);
    const p = await plan(e, b);
    expect(p.reserveUsd).toBeCloseTo(900, 9);
    expect(p.windowBudgetUsd).toBeCloseTo(2000 - 900, 9);
    // At the price the mix spends the budget per query, 1 + 2 * (share upgraded) = 2: the price lies
    // between the two kinds' gains per dollar, so only the first kind is upgraded, though the
    // window's cap would buy more.
    expect(p.dualPrice).toBeGreaterThan(0.05 / 2);
    expect(p.dualPrice).toBeLessThan(0.4 / 2);
    const upgraded = Array.from(p.assignment)
      .map((j, i) => (j === 1 ? i : -1))
      .filter((i) => i >= 0);
    expect(upgraded.length).toBe(50);
    expect(upgraded.every((i) => i < 50)).toBe(true);
  });

  it('buys upgrades on the margin up to its share when every query is alike (a policy without features)', async () => {
    // Every query gains 0.4 for $2 more; the period affords upgrading half of them. The mix of
    // alike queries clears at the upgrade's own efficiency, 0.2 per dollar: each upgrade gains
    // exactly what it costs there, and the tie-break used to send the whole window to CHEAP.
    const e = window(100, [CHEAP, GOOD]);
    const b = budgetOf(2, 1000);
    const p = await plan(e, b);
    expect(p.dualPrice).toBeCloseTo(0.2, 6);
    // Its share of the money, $2 for each of its 100 queries, buys 50 upgrades.
    expect(Array.from(p.assignment).filter((j) => j === 1)).toHaveLength(50);
    expect(p.feasible).toBe(true);
    expect(p.warnings).toEqual([]);
    expect(marginalUpgrades(e, p.dualPrice, 0, 200)?.capUsd).toBeCloseTo(200, 9);
    // Off the margin nothing changes: below the price nothing is bought, above it the window
    // spends without the margin, and a window that spends its share already gets no margin.
    expect(marginalUpgrades(e, 0.25, 0, 200)).toBeNull();
    expect(marginalUpgrades(e, 0.1, 0, 200)).toBeNull();
    expect(marginalUpgrades(e, p.dualPrice, 0, 100)).toBeNull();
  });

  it('spends at most the bank (the budget accrued through one window more, minus the spend) on a window worth more than the queries seen', async () => {
    // The queries routed so far gain 0.04 for $2 more: the dual price is 0.02 a dollar. The
    // window's gain 0.4: every one of its upgrades clears the price.
    const seen = window(100, [CHEAP, { q: 0.54, c: 3 }]);
    const routed = new EstimatedMix(2);
    routed.add(seen, 0);
    const e = window(100, [CHEAP, GOOD]);
    // On pace ($1.2 a query, 100 routed for $120): $280 above the later queries' cheapest arms,
    // but the bank is 1.2 * (100 + 2 * 100) - 120 = $240, which buys 70 upgrades, not 90.
    expect(bankUsd(budgetOf(1.2, 1000, 100, 120), 100)).toBeCloseTo(240, 9);
    const onPace = await plan(e, budgetOf(1.2, 1000, 100, 120), { routed });
    expect(onPace.windowBudgetUsd).toBeCloseTo(280, 9);
    expect(onPace.dualPrice).toBeLessThan(0.4 / 2);
    expect(onPace.solution.totalCost).toBeLessThanOrEqual(240 + 1e-9);
    expect(Array.from(onPace.assignment).filter((j) => j === 1)).toHaveLength(70);
    expect(onPace.feasible).toBe(true);
    expect(onPace.warnings).toEqual([]);
    // Money left unspent carries forward: $60 under pace buys every upgrade of the window.
    const under = await plan(e, budgetOf(1.2, 1000, 100, 60), { routed });
    expect(Array.from(under.assignment).filter((j) => j === 1)).toHaveLength(100);
  });

  it('warns and reports no bound when what is left cannot buy the cheapest arm of every query', async () => {
    const e = window(5, [CHEAP, GOOD]);
    const p = await plan(e, budgetOf(1, 10, 5, 8));
    expect(p.windowBudgetUsd).toBeCloseTo(2, 12);
    expect(p.feasible).toBe(false);
    expect(p.solution.bound).toBeNull();
    expect(p.warnings.join('\n')).toMatch(/infeasible/);
    expect(Array.from(p.assignment)).toEqual([0, 0, 0, 0, 0]);
    // Overspent already: the window's budget is 0, never negative.
    const over = await plan(e, budgetOf(1, 10, 5, 12));
    expect(over.windowBudgetUsd).toBe(0);
    expect(over.feasible).toBe(false);
    expect(Array.from(over.assignment)).toEqual([0, 0, 0, 0, 0]);
  });

  it("gives an arm whose cost is not known yet one call of the window, none in the period's last, unless it is some query's cheapest", async () => {
    // Money for every upgrade, more queries to come: trusting the guessed cost, all 10 would go to GOOD.
    const e = window(10, [CHEAP, GOOD]);
    expect(Array.from((await plan(e, budgetOf(30, 20))).assignment).filter((j) => j === 1)).toHaveLength(10);
    const held = await plan(e, budgetOf(30, 20), { unpricedArms: [1] });
    expect(Array.from(held.assignment).filter((j) => j === 1)).toHaveLength(1);
    expect(Array.from(held.assignment).filter((j) => j === 0)).toHaveLength(9);
    // The period's last window: its money would buy all 10, and the unpriced arm gets none.
    expect(Array.from((await plan(e, budgetOf(3, 10))).assignment).filter((j) => j === 1)).toHaveLength(10);
    const last = await plan(e, budgetOf(3, 10), { unpricedArms: [1] });
    expect(Array.from(last.assignment)).toEqual(new Array(10).fill(0));
    // Every arm unpriced (a fresh period): the cheapest still takes every query it must.
    const fresh = await plan(e, budgetOf(1, 10), { unpricedArms: [0, 1] });
    expect(Array.from(fresh.assignment)).toEqual(new Array(10).fill(0));
    // A self-hosted limit below one call stays as it was.
    expect(unpricedCapacity(e, [undefined, 0], [1])).toEqual([undefined, 0]);
    expect(unpricedCapacity(e, undefined, [])).toBeUndefined();
  });

  it('samples arms never pulled round-robin in an exploration sub-round, unless one call costs more than 20 targets', async () => {
    const e = window(4, [CHEAP, GOOD, { q: 0.95, c: 100 }]);
    const p = await plan(e, budgetOf(2, 1000), { exploration: { unpulledArms: [1, 2] } });
    expect(p.solution.solver).toBe('round-robin');
    expect(Array.from(p.assignment)).toEqual([1, 1, 1, 1]);
    const q = await plan(e, budgetOf(2, 1000), { exploration: { unpulledArms: [] } });
    expect(q.solution.solver).not.toBe('round-robin');
  });
});

describe('planWindow with a given assignment', () => {
  it("keeps the given arms, solver 'given', where the solver would have chosen others", async () => {
    const e = window(4, [CHEAP, GOOD]);
    // With money for every upgrade, the solver sends all four to GOOD.
    expect(Array.from((await plan(e, budgetOf(30, 20))).assignment)).toEqual([1, 1, 1, 1]);
    const p = await plan(e, budgetOf(30, 20), { assignment: Int32Array.from([1, 0, 0, 1]) });
    expect(p.solution.solver).toBe('given');
    expect(Array.from(p.assignment)).toEqual([1, 0, 0, 1]);
    expect(p.solution.totalCost).toBeCloseTo(3 + 1 + 1 + 3, 12);
    expect(p.solution.bound).toBeNull();
    expect(p.feasible).toBe(true);
  });

  it('takes the given arms over an exploration sub-round', async () => {
    const e = window(4, [CHEAP, GOOD, { q: 0.95, c: 5 }]);
    const p = await plan(e, budgetOf(30, 1000), {
      exploration: { unpulledArms: [1, 2] },
      assignment: Int32Array.from([0, 0, 0, 0]),
    });
    expect(p.solution.solver).toBe('given');
    expect(Array.from(p.assignment)).toEqual([0, 0, 0, 0]);
  });

  it("sends a given arm the query does not offer to the query's cheapest available arm", async () => {
    const e = window(3, [CHEAP, GOOD, { q: 0.2, c: 0.5 }], [[1, 1]]);
    const given = Int32Array.from([1, 1, 1]);
    const p = await plan(e, budgetOf(30, 1000), { assignment: given });
    expect(Array.from(p.assignment)).toEqual([1, 2, 1]);
    // The caller's array is not changed.
    expect(Array.from(given)).toEqual([1, 1, 1]);
  });

  it('prices the reserve and the dual price as the solved plan does', async () => {
    const e = window(100, [CHEAP, GOOD]);
    for (let i = 50; i < 100; i++) e.quality[i * 2 + 1] = 0.55;
    const b = budgetOf(2, 1000);
    const solved = await plan(e, b);
    const given = await plan(e, b, { assignment: new Int32Array(100) });
    expect(given.reserveUsd).toBeCloseTo(900, 9);
    expect(given.windowBudgetUsd).toBeCloseTo(1100, 9);
    expect(given.dualPrice).toBe(solved.dualPrice);
    expect(given.dualPrice).toBeGreaterThan(0);
    expect(Array.from(given.assignment)).toEqual(new Array(100).fill(0));
  });
});

describe("planWindow's reserve for the later queries", () => {
  it("keeps, per later query, the larger of the window's cheapest bill per query and laterCheapestUsd", async () => {
    // 4 queries at $1 on their cheapest arm; 996 later queries of a period of $2 per query.
    const e = window(4, [CHEAP, GOOD]);
    const b = budgetOf(2, 1000);
    const without = await plan(e, b);
    expect(without.reserveUsd).toBeCloseTo(996, 9);
    const dearer = await plan(e, b, { laterCheapestUsd: 1.5 });
    expect(dearer.reserveUsd).toBeCloseTo(996 * 1.5, 9);
    expect(dearer.windowBudgetUsd).toBeCloseTo(2000 - 996 * 1.5, 9);
    const cheaper = await plan(e, b, { laterCheapestUsd: 0.5 });
    expect(cheaper.reserveUsd).toBeCloseTo(996, 9);
    expect((await plan(e, b, { laterCheapestUsd: 0 })).reserveUsd).toBeCloseTo(996, 9);
  });

  it("measures the window's own cheapest bill per query, not per window", async () => {
    // 10 queries at $0.5 on their cheapest arm: $5 a window, $0.5 a query.
    const e = window(10, [{ q: 0.5, c: 0.5 }, GOOD]);
    const b = budgetOf(2, 100, 40);
    expect((await plan(e, b)).reserveUsd).toBeCloseTo(50 * 0.5, 9);
    expect((await plan(e, b, { laterCheapestUsd: 0.8 })).reserveUsd).toBeCloseTo(50 * 0.8, 9);
  });

  it("keeps nothing in the period's last window, whatever laterCheapestUsd says", async () => {
    const e = window(10, [CHEAP, GOOD]);
    const p = await plan(e, budgetOf(3, 10), { laterCheapestUsd: 5 });
    expect(p.reserveUsd).toBe(0);
    expect(p.windowBudgetUsd).toBeCloseTo(30, 12);
    expect((await plan(e, null, { laterCheapestUsd: 5 })).reserveUsd).toBe(0);
  });
});

describe('dualPriceOfDollar', () => {
  it('sets the price at which the mix spends what is left per remaining query', () => {
    const e = window(100, [CHEAP, GOOD]);
    for (let i = 0; i < 100; i++) e.quality[i * 2 + 1] = 0.5 + 0.4 * (i / 100);
    const mix = new EstimatedMix(2);
    mix.add(e, 0);
    const mu = dualPriceOfDollar({
      budget: budgetOf(2, 10_000),
      windowQueries: 100,
      windowCheapestUsd: 100,
      routed: mix,
    });
    expect(mix.spendAt(mu)).toBeLessThanOrEqual(2 + 1e-9);
    expect(mix.spendAt(mu * 0.99)).toBeGreaterThan(2 - 0.05);
  });

  it('holds two hundredths of a quality point per target while the mix would clear below that', () => {
    // Upgrades of 0.01 for 2 extra dollars: the mix spends the bank only at a price of 0.005 per
    // dollar, below the floor of 0.02 / perQueryUsd = 0.01 per dollar.
    const e = window(100, [CHEAP, { q: 0.51, c: 3 }]);
    const mix = new EstimatedMix(2);
    mix.add(e, 0);
    const early = (spentUsd: number, routedQueries: number) =>
      dualPriceOfDollar({
        budget: budgetOf(2, 10_000, routedQueries, spentUsd),
        windowQueries: 100,
        windowCheapestUsd: 100,
        routed: mix,
      });
    expect(mix.clearingPrice(19_900 / 9_900)).toBeCloseTo(0.005, 6);
    expect(early(100, 100)).toBeCloseTo(0.01, 12);
    // The floor fades over the last quarter of the period: half way through it, half the floor.
    expect(early(100, 10_000 - 100 - 1250)).toBeCloseTo(0.005, 12);
  });
});

describe('DispatchCheck', () => {
  it('sends a query to its cheapest arm when the planned call would pass the period budget', () => {
    const e = window(3, [CHEAP, GOOD]);
    const check = new DispatchCheck(e, Int32Array.from([1, 1, 1]), 9, 0, 0);
    const arms = [0, 1, 2].map((i) => {
      const j = check.armFor(i);
      // The first call cost twice what was planned.
      check.settle(i, j, i === 0 ? 6 : e.cost[i * 2 + j]);
      return j;
    });
    expect(arms).toEqual([1, 0, 0]);
  });

  it("gives a call's likely bill at what its arm has cost this window, never below the plan", () => {
    const e = window(3, [CHEAP, GOOD]);
    const check = new DispatchCheck(e, Int32Array.from([1, 1, 0]), 1e9, 0, 0);
    expect(check.likelyBill(1, 1)).toBe(e.cost[1 * 2 + 1]);
    check.armFor(0);
    check.settle(0, 1, 1.5 * e.cost[1]);
    expect(check.likelyBill(1, 1)).toBeCloseTo(1.5 * e.cost[1 * 2 + 1], 12);
    check.armFor(1);
    check.settle(1, 1, 1.5 * e.cost[1 * 2 + 1]);
    check.armFor(2);
    // A cheap surprise does not lower what a call is counted at.
    check.settle(2, 0, 0.5 * e.cost[2 * 2 + 0]);
    expect(check.likelyBill(2, 0)).toBe(e.cost[2 * 2 + 0]);
  });

  it("counts a call of the period's last window at the dearest level its arm has cost this window", () => {
    const e = window(3, [CHEAP, GOOD]);
    const plan = Int32Array.from([1, 1, 1]);
    const last = new DispatchCheck(e, plan, 1e9, 0, 0, { spendAllLeft: true });
    const earlier = new DispatchCheck(e, plan, 1e9, 0, 0);
    for (const check of [last, earlier]) {
      check.armFor(0);
      check.settle(0, 1, 4 * e.cost[1]);
      check.armFor(1);
      check.settle(1, 1, e.cost[1 * 2 + 1]);
    }
    // Mean level (4 + 1) / 2 = 2.5 in a window before the last; the dearest call, 4, in the last.
    expect(earlier.likelyBill(2, 1)).toBeCloseTo(2.5 * e.cost[2 * 2 + 1], 12);
    expect(last.likelyBill(2, 1)).toBeCloseTo(4 * e.cost[2 * 2 + 1], 12);
  });

  it('lets a dear call of an arm priced from fewer than ten bills go only if it fits at three times its cost', () => {
    const e = window(1, [CHEAP, GOOD]);
    const plan = Int32Array.from([1]);
    // $6 of a $12 budget left: GOOD's $3 call fits, at three times that it does not.
    for (const spendAllLeft of [false, true]) {
      const opts = (bills: number, dearCallUsd = 3) => ({
        spendAllLeft,
        thinEvidence: { billedCalls: [100, bills], dearCallUsd },
      });
      expect(new DispatchCheck(e, plan, 12, 6, 0, opts(1)).armFor(0)).toBe(0);
      expect(new DispatchCheck(e, plan, 12, 6, 0, opts(9)).armFor(0)).toBe(0);
      expect(new DispatchCheck(e, plan, 12, 6, 0, opts(10)).armFor(0)).toBe(1);
      expect(new DispatchCheck(e, plan, 12, 6, 0, { spendAllLeft }).armFor(0)).toBe(1);
      // A call below the dear mark goes at its expected cost, however few its bills.
      expect(new DispatchCheck(e, plan, 12, 6, 0, opts(1, 3.01)).armFor(0)).toBe(1);
      // With $9 or more left, it fits even at three times its cost.
      expect(new DispatchCheck(e, plan, 12, 3, 0, opts(1)).armFor(0)).toBe(1);
    }
  });

  it('stops an arm whose calls cost this window more than three times the plan', () => {
    const e = window(3, [CHEAP, GOOD]);
    const check = new DispatchCheck(e, Int32Array.from([1, 1, 1]), 1e9, 0, 0);
    expect(check.armFor(0)).toBe(1);
    check.settle(0, 1, 10);
    expect(check.armFor(1)).toBe(cheapestArm(e, 1));
  });

  it('keeps a surprising arm while its gain is worth its true price at the dual price', () => {
    const e = window(3, [CHEAP, GOOD]);
    // GOOD gains 0.4 over CHEAP. Planned at $3, the first call costs $10: 0.4 > 0.04 * (10 - 1).
    const check = new DispatchCheck(e, Int32Array.from([1, 1, 1]), 1e9, 0, 0, { dualPrice: 0.04 });
    expect(check.armFor(0)).toBe(1);
    check.settle(0, 1, 10);
    expect(check.armFor(1)).toBe(1);
  });

  it('stops a surprising arm once its gain is not worth its true price at the dual price', () => {
    const e = window(3, [CHEAP, GOOD]);
    // At a dual price of 0.04 the $3 plan is worth it (0.4 > 0.08), a $30 call is not (0.4 < 1.16).
    const check = new DispatchCheck(e, Int32Array.from([1, 1, 1]), 1e9, 0, 0, { dualPrice: 0.04 });
    expect(check.armFor(0)).toBe(1);
    check.settle(0, 1, 30);
    expect(check.armFor(1)).toBe(cheapestArm(e, 1));
  });

  it("spends the period's last window on its planned calls, in order, while they fit at their true price", () => {
    const e = window(4, [CHEAP, GOOD]);
    // $14 left; GOOD costs $6 a call, not the planned $3. The first call fits with the rest on
    // CHEAP ($3 + $3); the second, at its true price, just fits ($6 + $6 + $2); the third does
    // not ($13 + $6). Checked against the rest of the plan at its planned price, the second would
    // not go ($6 + $3 + $6).
    const check = new DispatchCheck(e, Int32Array.from([1, 1, 1, 1]), 14, 0, 0, { spendAllLeft: true });
    const arms = [0, 1, 2, 3].map((i) => {
      const j = check.armFor(i);
      check.settle(i, j, j === 1 ? 6 : 1);
      return j;
    });
    expect(arms).toEqual([1, 1, 0, 0]);
  });

  it('checks the later calls against a bill that came back after the call was settled at its expected cost', () => {
    const e = window(4, [CHEAP, GOOD]);
    const dispatch = (bill: number) => {
      const check = new DispatchCheck(e, Int32Array.from([1, 1, 1, 1]), 14, 0, 0, { spendAllLeft: true });
      // A first part of two calls, settled at their expected $3 as they go...
      const first = [0, 1].map((i) => {
        const j = check.armFor(i);
        check.settle(i, j, e.cost[i * 2 + j]);
        return j;
      });
      // ...then billed at `bill` each, before the second part is checked.
      first.forEach((j, i) => check.rebill(i, j, e.cost[i * 2 + j], j === 1 ? bill : 1));
      return [...first, ...[2, 3].map((i) => check.armFor(i))];
    };
    // Billed as planned, four calls at $3 fit the $14.
    expect(dispatch(3)).toEqual([1, 1, 1, 1]);
    // Billed $5 each: $10 spent, and a third GOOD call at its true $5 with the fourth on CHEAP ($1)
    // would pass $14, so the rest go to CHEAP.
    expect(dispatch(5)).toEqual([1, 1, 0, 0]);
  });

  it('lets every planned arm go without a budget', () => {
    const e = window(2, [CHEAP, GOOD]);
    const check = new DispatchCheck(e, Int32Array.from([1, 1]), null, 0, 0);
    expect(check.armFor(0)).toBe(1);
    check.settle(0, 1, 1e6);
    expect(check.armFor(1)).toBe(1);
  });
});

describe('CostCalibration', () => {
  it('is 1 before any call and moves towards realised over expected', () => {
    const c = new CostCalibration(1);
    expect(c.level(0)).toBe(1);
    for (let i = 0; i < 50; i++) c.observe(0, 3, 1);
    expect(c.level(0)).toBeGreaterThan(2.5);
    expect(c.level(0)).toBeLessThan(3);
  });

  it('names the arms it has seen no call of', () => {
    const c = new CostCalibration(3);
    expect(c.unpricedArms()).toEqual([0, 1, 2]);
    c.observe(1, 2, 1);
    c.observe(2, 2, 0); // no expectation to compare with: not a pricing
    expect(c.unpricedArms()).toEqual([0, 2]);
    expect(c.priced(1)).toBe(true);
  });

  it('measures the level on the last `recentCalls` calls of each arm', () => {
    const c = new CostCalibration(2, 4);
    for (let i = 0; i < 10; i++) c.observe(0, 3, 1);
    for (let i = 0; i < 4; i++) c.observe(0, 1, 1);
    c.observe(1, 3, 1);
    expect(c.level(0)).toBe(1);
    expect(c.level(1)).toBeCloseTo(13 / 11, 12);

    const byDefault = new CostCalibration(1);
    expect(byDefault.recentCalls).toBe(CALIBRATION_CALLS);
    for (let i = 0; i < CALIBRATION_CALLS; i++) byDefault.observe(0, 3, 1);
    byDefault.observe(0, 1, 1);
    // The oldest 3x call went: 199 at 3x and one at 1x, with ten calls of prior.
    expect(byDefault.level(0)).toBeCloseTo((199 * 3 + 1 + 10) / (200 + 10), 12);

    expect(() => new CostCalibration(1, 0)).toThrow(/recent calls/);
    expect(() => new CostCalibration(1, 2.5)).toThrow(/recent calls/);
  });

  it("gives an arm's ratio as realised over expected on its recent calls, without the level's prior; null before any", () => {
    const c = new CostCalibration(2);
    expect(c.ratio(0)).toBeNull();
    for (let i = 0; i < 5; i++) c.observe(0, 3, 1);
    expect(c.ratio(0)).toBe(3);
    // The level is pulled towards 1 by its prior; the ratio is not.
    expect(c.level(0)).toBeLessThan(3);
    // Summed, not averaged per call: (15 + 1) / (5 + 3).
    c.observe(0, 1, 3);
    expect(c.ratio(0)).toBe(2);
    expect(c.ratio(1)).toBeNull();
    // A call without an expectation is no call.
    c.observe(1, 2, 0);
    expect(c.ratio(1)).toBeNull();
    c.observe(1, 0, 2);
    expect(c.ratio(1)).toBe(0);
  });

  it("gives an arm's recent bills: their sum, what was expected of them and their count, over its last `recentCalls` calls", () => {
    const c = new CostCalibration(2, 2);
    expect(c.recentBills(0)).toEqual({ realisedUsd: 0, expectedUsd: 0, calls: 0 });
    c.observe(0, 3, 1);
    c.observe(0, 1, 1);
    c.observe(0, 2, 4);
    c.observe(0, -1, 1); // not a bill
    expect(c.recentBills(0)).toEqual({ realisedUsd: 3, expectedUsd: 5, calls: 2 });
    expect(c.ratio(0)).toBeCloseTo(3 / 5, 12);
    expect(c.recentBills(1)).toEqual({ realisedUsd: 0, expectedUsd: 0, calls: 0 });
  });
});
