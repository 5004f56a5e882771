import { COST_LEVEL_PRIOR_CALLS } from '@llm-router/pricing';
import { budgetLimit } from '../problem';
import { PeriodBudget } from './dual-price';
import { WindowEstimates, cheapestArm } from './window-estimates';

/**
 * The bill check a window's plan goes through as it is dispatched, query by query, in order.
 * The plan is fixed before any outcome of the window is seen; dispatch only checks the bill. A
 * query goes to its cheapest arm instead of the planned one when
 * - the period's ledger says the call no longer fits: what is spent, this call, the rest of the
 *   plan and the reserve for the later queries' cheapest arms (which they take whatever is left)
 *   would pass the period's budget; or
 * - under a budget, its arm has already cost this window more than COST_SURPRISE times what the
 *   plan expected of those calls (the plan priced it on a usage it does not have), and the call
 *   is not worth its quality gain over the cheapest arm at that arm's true price (the plan's
 *   expected cost times what its calls really cost this window over what they were expected to),
 *   at the window's dual price of the dollar. At no dual price the surprise alone stops the arm.
 *
 * Why the value test: a usage model meets a new prompt template cold and can price a mid-tier
 * model at a third of its cost; stopping it on the surprise alone threw away upgrades whatever
 * they were still worth at their true price, while a flagship priced at a thirtieth of its cost
 * fails the test at the planner's usual prices (docs/decisions/0028).
 *
 * The period's last window (`spendAllLeft`) is checked differently: what it leaves unspent buys
 * nothing, so each planned call goes while it fits the period's budget at its arm's true price,
 * with the rest of the window on its cheapest arms.
 */
export class DispatchCheck {
  private plannedRest = 0;
  /** Per arm: expected cost of the later queries of the window on their cheapest arms. */
  private readonly cheapestRest: Float64Array;
  private readonly armExpected: Float64Array;
  private readonly armRealised: Float64Array;
  /** Per arm: the highest realised over expected cost of one call this window. */
  private readonly armDearest: Float64Array;
  /** Per arm and kind of prompt (`DispatchOptions.kinds`): expected and realised cost this window. */
  private readonly kindBills = new Map<string, WindowBills>();

  /**
   * @param periodTotalUsd the period's budget; null = no budget, every planned arm goes.
   * @param spentUsd what the period has spent before this window.
   * @param reserveUsd kept for the queries after this window.
   */
  constructor(
    private readonly estimates: WindowEstimates,
    private readonly plan: Int32Array,
    private readonly periodTotalUsd: number | null,
    private spentUsd: number,
    private readonly reserveUsd: number,
    private readonly opts: DispatchOptions = {},
  ) {
    this.cheapestRest = new Float64Array(estimates.k);
    for (let i = 0; i < plan.length; i++) {
      if (plan[i] >= 0) this.plannedRest += estimates.cost[i * estimates.k + plan[i]];
      const c = cheapestArm(estimates, i);
      if (c >= 0) this.cheapestRest[c] += estimates.cost[i * estimates.k + c];
    }
    this.armExpected = new Float64Array(estimates.k);
    this.armRealised = new Float64Array(estimates.k);
    this.armDearest = new Float64Array(estimates.k);
  }

  /** What the period has spent by the check's count: before the window, plus its calls settled so far. */
  get spent(): number {
    return this.spentUsd;
  }

  /** The arm query i goes to now (call in order, each followed by `settle`); -1 = deferred. */
  armFor(i: number): number {
    const { cost, k } = this.estimates;
    const j = this.plan[i];
    if (j < 0) return j;
    const cheapest = cheapestArm(this.estimates, i);
    this.plannedRest -= cost[i * k + j];
    if (cheapest >= 0) this.cheapestRest[cheapest] -= cost[i * k + cheapest];
    if (this.periodTotalUsd === null) return j;
    const limit = budgetLimit(this.periodTotalUsd * DISPATCH_CAP);
    if (this.opts.spendAllLeft) {
      // Money left after the period's last window buys nothing: each planned call goes while it
      // fits at its arm's true price, the rest of the window on its cheapest arms at theirs
      // (never below the plan's price, so that a cheap surprise does not open the purse).
      let rest = 0;
      for (let a = 0; a < k; a++) rest += this.cheapestRest[a] * Math.max(1, this.priceLevel(a));
      // The call itself at the dearest level any call of its arm has cost this window: the last
      // calls that fit are made right at the limit, where one dear call passes it.
      const call = cost[i * k + j] * Math.max(1, this.armDearest[j], this.unprovenMargin(i, j));
      return this.spentUsd + call + rest > limit ? cheapest : j;
    }
    // The library's one budget test (its rounding tolerance), so a plan the solver made to fit still fits.
    const call = cost[i * k + j] * this.unprovenMargin(i, j);
    const overBudget = this.spentUsd + call + this.plannedRest + this.reserveUsd > limit;
    const surprised = this.surpriseLevel(i, j) > COST_SURPRISE && !this.worthAtTruePrice(i, j, cheapest);
    return overBudget || surprised ? cheapest : j;
  }

  /**
   * What query i's call on arm j must fit at, as a multiple of its expected cost: COST_SURPRISE
   * when the call is dear (at least `dearCallUsd`) and the arm's cost level rests on fewer bills
   * than its prior's weight (COST_LEVEL_PRIOR_CALLS), else 1. A flagship called once or twice a
   * period is priced from one bill, and its calls' costs vary by the reasoning they take: a live
   * run's last window sent one at $0.0041 that cost $0.0245, 3.5% of the period's budget, with
   * 1.5% of it left (docs/decisions/0039). A call of a few targets is left alone: a model priced
   * from the list alone (a period's first window) would otherwise buy a third of its upgrades.
   */
  private unprovenMargin(i: number, j: number): number {
    const thin = this.opts.thinEvidence;
    if (!thin) return 1;
    const dear = this.estimates.cost[i * this.estimates.k + j] >= thin.dearCallUsd;
    return dear && thin.billedCalls[j] < COST_LEVEL_PRIOR_CALLS ? COST_SURPRISE : 1;
  }

  /** Whether query i's call on arm j gains more over arm `cheapest` than it costs more at j's true price. */
  private worthAtTruePrice(i: number, j: number, cheapest: number): boolean {
    const price = this.opts.dualPrice ?? 0;
    if (!(price > 0) || j === cheapest) return j === cheapest;
    const { quality, cost, k } = this.estimates;
    return quality[i * k + j] - quality[i * k + cheapest] > price * (this.truePrice(i, j) - cost[i * k + cheapest]);
  }

  /** Query i's expected cost on arm j at what j's calls on its kind of prompt have really cost this window. */
  private truePrice(i: number, j: number): number {
    return this.estimates.cost[i * this.estimates.k + j] * this.surpriseLevel(i, j);
  }

  /** What arm j's calls on query i's kind of prompt have cost this window over what they were expected to (1 before any). */
  private surpriseLevel(i: number, j: number): number {
    const b = this.billsOf(i, j);
    return b.expected > 0 ? b.realised / b.expected : 1;
  }

  /**
   * What arm j's calls on query i's kind of prompt have cost this window against the plan (its
   * calls on every kind without `DispatchOptions.kinds`). A surprise is a kind's: one dear
   * source in a window says nothing of what the arm costs on the window's other sources.
   */
  private billsOf(i: number, j: number): WindowBills {
    const kinds = this.opts.kinds;
    const arm = { expected: this.armExpected[j], realised: this.armRealised[j] };
    if (!kinds) return arm;
    const own = this.kindBills.get(`${j}\u0000${kinds[i]}`);
    if (own && own.expected > 0) return own;
    // No call of j on this kind yet this window: a kind j has been billed on before is priced
    // from its own bills, and another kind's surprise says nothing of it; a kind whose price is
    // still a guess takes the arm's surprise over the whole window.
    return this.opts.kindBilled?.[i * this.estimates.k + j] ? { expected: 0, realised: 0 } : arm;
  }

  private addKindBill(i: number, j: number, expected: number, realised: number): void {
    const kinds = this.opts.kinds;
    if (!kinds) return;
    const key = `${j}\u0000${kinds[i]}`;
    let b = this.kindBills.get(key);
    if (!b) this.kindBills.set(key, (b = { expected: 0, realised: 0 }));
    b.expected += expected;
    b.realised += realised;
  }

  /** What arm j's calls have really cost this window per dollar the plan expected (1 before any). */
  private priceLevel(j: number): number {
    return this.armExpected[j] > 0 ? this.armRealised[j] / this.armExpected[j] : 1;
  }

  /**
   * What query i's call on arm j should cost, by what j's calls have really cost this window so
   * far (never below the plan's price): what a caller that learns bills late settles a call at
   * until its bill comes back (`rebill`). In the period's last window, at the dearest level any
   * call of j has cost this window: that window spends to the limit, and a live run's last
   * window met a source whose calls cost twice their estimate in its first part and four times
   * in its second, settled at the mean level of the first (budgetRatio 1.0302,
   * docs/decisions/0038).
   */
  likelyBill(i: number, j: number): number {
    const level = this.opts.spendAllLeft ? Math.max(this.priceLevel(j), this.armDearest[j]) : this.priceLevel(j);
    return this.estimates.cost[i * this.estimates.k + j] * Math.max(1, level);
  }

  /** What query i's call on `arm` cost (the expected cost when the bill is not known yet). */
  settle(i: number, arm: number, realisedUsd: number): void {
    this.spentUsd += realisedUsd;
    this.armExpected[arm] += this.estimates.cost[i * this.estimates.k + arm];
    this.armRealised[arm] += realisedUsd;
    this.addKindBill(i, arm, this.estimates.cost[i * this.estimates.k + arm], realisedUsd);
    this.noteDearest(i, arm, realisedUsd);
  }

  /**
   * The bill of query i's call on `arm`, which was settled at `settledUsd` before it was known:
   * a window dispatched in parts settles each call at its expected cost when it goes and its bill
   * when that comes back, before the next part is checked.
   */
  rebill(i: number, arm: number, settledUsd: number, realisedUsd: number): void {
    this.spentUsd += realisedUsd - settledUsd;
    this.armRealised[arm] += realisedUsd - settledUsd;
    this.addKindBill(i, arm, 0, realisedUsd - settledUsd);
    this.noteDearest(i, arm, realisedUsd);
  }

  private noteDearest(i: number, arm: number, realisedUsd: number): void {
    const expected = this.estimates.cost[i * this.estimates.k + arm];
    if (expected > 0) this.armDearest[arm] = Math.max(this.armDearest[arm], realisedUsd / expected);
  }
}

/** What the caller knows about the window beyond its plan. */
export interface DispatchOptions {
  /** Quality points a dollar is worth in this window (WindowPlan.dualPrice); 0 = none. */
  dualPrice?: number;
  /** The period's last window: what it leaves unspent is lost. */
  spendAllLeft?: boolean;
  /**
   * What the costs rest on (absent = enough bills for every arm): a call of at least `dearCallUsd`
   * on an arm with fewer than COST_LEVEL_PRIOR_CALLS bills must fit the budget at COST_SURPRISE
   * times its cost.
   */
  thinEvidence?: ThinEvidence;
  /**
   * Per query of the window, its kind of prompt (`costKinds`, FREE_FORM for none): an arm's cost
   * surprise is then measured and acted on per kind (absent: per arm, over the whole window). On
   * seed 1 of val.jsonl by source, web_of_lies cost mistral seven times its guess and stopped it
   * for the rest of the window, 55 mmlu upgrades with it (docs/decisions/0050).
   */
  kinds?: readonly string[];
  /**
   * With `kinds`, per (query i, arm j) at i * k + j: whether j has bills on i's kind from before
   * the window (its price there rests on them). Absent or false: an unbilled kind takes the arm's
   * surprise over the window.
   */
  kindBilled?: Uint8Array;
}

/** What an arm's calls (on one kind of prompt, or on all) were expected to cost this window, and cost. */
interface WindowBills {
  expected: number;
  realised: number;
}

/** DispatchOptions.thinEvidence. */
export interface ThinEvidence {
  /** Per arm, the billed calls its cost level rests on. */
  billedCalls: ArrayLike<number>;
  /** A call at least this dear is a flagship's (callers: DEAR_CALL_TARGETS per-query targets). */
  dearCallUsd: number;
}

/**
 * Per-query targets at which a call counts as dear for DispatchOptions.thinEvidence: a reasoning
 * flagship costs 20-100 at the ParetoBandit budget, a mid-tier model 1-3.
 */
export const DEAR_CALL_TARGETS = 10;

/**
 * DispatchOptions.thinEvidence for a window under `budget`, given each arm's billed calls: what
 * the batch replay and the batch-planner both pass. None without a budget (the check spends freely).
 */
export function thinEvidenceFor(billedCalls: ArrayLike<number>, budget: PeriodBudget | null): ThinEvidence | undefined {
  return budget ? { billedCalls, dearCallUsd: DEAR_CALL_TARGETS * budget.perQueryUsd } : undefined;
}

/** An arm whose calls in a window cost more than this multiple of their planned cost gets no more of them. */
export const COST_SURPRISE = 3;

/** Dispatch never lets the period's spend pass this multiple of its budget. */
const DISPATCH_CAP = 1;
