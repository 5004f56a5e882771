import {
  COST_SURPRISE,
  DispatchCheck,
  ThinEvidence,
  WindowPlan,
  checkAssignment,
  cheapestArm,
} from '@llm-router/batch';
import type { PromptKind } from '@llm-router/batch';
import { QueryRequest } from '@llm-router/contracts';
import type { WindowInput } from './window-problem';

export interface WindowAssignment {
  query: QueryRequest;
  model: string;
  /** This query's share of the window's expected bill (its model's cost, discounts spread pro rata). */
  expectedUsd: number;
  /**
   * Its model's expected cost before the cost level of the period's bills: the next level is
   * realised over this, as the replay's CostCalibration measures it (a level measured against
   * costs that already include one would undo itself window after window).
   */
  baseUsd: number;
  /** Row of the query in the window (what `WindowDispatch.bill` takes). */
  index: number;
  /** The policy's quality estimate of the query on its model, before any residual correction. */
  estimate: number;
  /** Kind of the query's prompt, as the residual correction named it (RecentResiduals.kindsOf); absent = correction off. */
  kind?: string;
  /** Kind of the query's prompt: the kinds of prompt its bill prices (batch_bills.closing and opening). */
  promptKind: PromptKind;
}

/** One part of a window: the calls that go together, checked against the bills of the parts before. */
export interface DispatchedPart {
  assignments: WindowAssignment[];
  /** Queries the capacities could not hold: they wait for the next window. */
  deferred: QueryRequest[];
  /** Expected bill of the part's calls, discounts applied. */
  expectedCostUsd: number;
}

export interface WindowDispatchOptions {
  /** The period's budget (null = none) and what it had spent before this window. */
  periodTotalUsd: number | null;
  spentUsd: number;
  /** Parts the window is dispatched in when a surprise in its bill could pass the budget (`dispatchParts`). */
  maxParts: number;
  /** The policy's quality estimates before the plan's correction (default: the estimates'). */
  policyQuality?: ArrayLike<number>;
  /** Per row, the kind of prompt the plan's correction used (absent = no correction). */
  kinds?: readonly string[];
  /** What the models' costs rest on (DispatchOptions.thinEvidence); absent = enough bills. */
  thinEvidence?: ThinEvidence;
  /** Per row, its kind of prompt for costs, and per entry whether its model was billed on it before (DispatchOptions.kinds, kindBilled). */
  costKinds?: { kinds: readonly string[]; billed: Uint8Array };
  /** Times more parts for the period's last window (default LAST_WINDOW_SPLIT). */
  lastWindowSplit?: number;
}

/**
 * A planned window dispatched as the batch replay dispatches it (libs/core/simulation batch.ts):
 * query by query through the plan's DispatchCheck, in consecutive parts. The replay knows each
 * call's bill as soon as it is made; live, bills come back with the router's decisions, so a
 * window that could overspend is sent in parts, and the bills of a part reach the check
 * (`bill`) before the next part goes. The last window of a cold by-source run had been planned
 * at its share of the budget and, sent at once, cost 1.71 times that (docs/decisions/0036).
 */
export class WindowDispatch {
  readonly parts: number;
  private readonly check: DispatchCheck;
  /** Per row: the arm it went to (-1 deferred), once its part is dispatched. */
  private readonly arm: Int32Array;
  private readonly billed: Uint8Array;
  /** Per row: what its call was settled at in the check until its bill came back. */
  private readonly settled: Float64Array;
  /** Expected bill over list price of the plan's assignment: volume discounts price the window, not a query. */
  private readonly discountShare: number;
  private readonly policyQuality: ArrayLike<number>;
  private readonly kinds?: readonly string[];
  private next = 0;

  constructor(
    readonly plan: WindowPlan,
    private readonly input: WindowInput,
    opts: WindowDispatchOptions,
  ) {
    const { estimates } = input;
    this.check = new DispatchCheck(estimates, plan.assignment, opts.periodTotalUsd, opts.spentUsd, plan.reserveUsd, {
      dualPrice: plan.dualPrice,
      spendAllLeft: plan.lastWindow,
      thinEvidence: opts.thinEvidence,
      kinds: opts.costKinds?.kinds,
      kindBilled: opts.costKinds?.billed,
    });
    this.policyQuality = opts.policyQuality ?? estimates.quality;
    this.kinds = opts.kinds;
    this.arm = new Int32Array(estimates.n).fill(-1);
    this.billed = new Uint8Array(estimates.n);
    this.settled = new Float64Array(estimates.n);
    const { k, cost } = estimates;
    let list = 0;
    plan.assignment.forEach((j, i) => {
      if (j >= 0) list += cost[i * k + j];
    });
    const discounted = checkAssignment(
      { n: estimates.n, k, quality: estimates.quality, cost, tiers: input.tiers },
      plan.assignment,
    ).totalCost;
    this.discountShare = list > 0 ? discounted / list : 0;
    // A probe's calls (given, not planned) are what buys a new kind its first bills: they go as sent.
    const planned = plan.solution.solver !== 'given';
    const guessed = planned && !!opts.costKinds && callsOnAGuess(plan.assignment, estimates, opts.costKinds.billed);
    const parts = dispatchParts(plan.windowBudgetUsd, discounted, opts.maxParts, guessed);
    const split = plan.lastWindow && parts > 1 ? (opts.lastWindowSplit ?? LAST_WINDOW_SPLIT) : 1;
    this.parts = Math.max(1, Math.min(parts * split, estimates.n));
  }

  /** The window's models, one per column of its estimates. */
  get models(): readonly string[] {
    return this.input.models;
  }

  /** The period's spend as the check counts it: calls in flight at their likely bill, the others at their bill. */
  get spentUsd(): number {
    return this.check.spent;
  }

  /** Whether every part has been dispatched. */
  get done(): boolean {
    return this.next >= this.parts;
  }

  /**
   * The next part: each of its queries goes to the arm the check gives it now, settled at its
   * likely bill (`DispatchCheck.likelyBill`) until its bill comes back.
   */
  dispatchNext(): DispatchedPart {
    if (this.done) throw new Error('every part of the window has been dispatched');
    const { n, k, cost } = this.input.estimates;
    const size = Math.ceil(n / this.parts);
    const from = this.next * size;
    const to = Math.min(n, from + size);
    this.next += 1;
    const part: DispatchedPart = { assignments: [], deferred: [], expectedCostUsd: 0 };
    for (let i = from; i < to; i++) {
      const query = this.input.queries[i];
      const j = this.check.armFor(i);
      if (j < 0) {
        part.deferred.push(query);
        continue;
      }
      this.arm[i] = j;
      // At what the arm's calls have cost this window so far: settled at the plan's price, the
      // calls of a part on a source dearer than estimated all passed the check, and a warm
      // by-source run passed its budget by 3% (docs/decisions/0037).
      this.settled[i] = this.check.likelyBill(i, j);
      this.check.settle(i, j, this.settled[i]);
      const expectedUsd = cost[i * k + j] * this.discountShare;
      const baseUsd = this.input.base[i * k + j];
      const estimate = this.policyQuality[i * k + j];
      part.assignments.push({
        query,
        model: this.input.models[j],
        expectedUsd,
        baseUsd,
        index: i,
        estimate,
        kind: this.kinds?.[i],
        promptKind: this.input.promptKinds[i],
      });
      part.expectedCostUsd += expectedUsd;
    }
    return part;
  }

  /** The bill of row i's call, once known: the parts still to go are checked against it. Once per row. */
  bill(i: number, realisedUsd: number): void {
    const j = this.arm[i];
    if (j < 0 || this.billed[i] || !Number.isFinite(realisedUsd)) return;
    this.billed[i] = 1;
    this.check.rebill(i, j, this.settled[i], realisedUsd);
  }
}

/**
 * How many times more parts the period's last window goes in. Its check charges a call in flight
 * at the dearest level its model has cost this window (`DispatchCheck.likelyBill`, so that a
 * dear part cannot pass the budget), and a call must fit at that level: one dear bill holds
 * back the rest of its part, and what the window leaves is lost. In smaller parts the bills
 * replace those charges sooner. Warm by-source seed 2 at rate 100 ended at budgetRatio
 * 0.9562 / 0.9672 in four parts, 0.9863 in sixteen (docs/decisions/0043).
 */
export const LAST_WINDOW_SPLIT = 4;

/**
 * Whether the plan makes a call whose cost is a guess: on a model dearer than the query's cheapest
 * available one, of a kind of prompt that model has no bill on (`costKinds.billed`).
 */
function callsOnAGuess(
  assignment: ArrayLike<number>,
  estimates: WindowInput['estimates'],
  billed: Uint8Array,
): boolean {
  const { n, k, cost } = estimates;
  for (let i = 0; i < n; i++) {
    const j = assignment[i];
    if (j >= 0 && !billed[i * k + j] && cost[i * k + j] > cost[i * k + cheapestArm(estimates, i)]) return true;
  }
  return false;
}

/**
 * Parts a window is dispatched in: one, unless it runs under a budget and either its plan would
 * spend more than 1/COST_SURPRISE of what the window may, or it puts a call whose cost is a guess
 * on a dearer model (`callsOnAGuess`). Sent at once, a window's calls are checked against expected
 * costs only, and the check's own surprise bound lets an arm cost up to COST_SURPRISE times its
 * plan before it stops it: only a plan within that share of the window's budget stays within it
 * at such a bill. At a split share of one half, a rate-20 window planned at 42% of its budget cost
 * 2.9 times its plan (docs/decisions/0036). Early windows spend a small share of a large window
 * budget and go at once; the last windows of a period spend close to all of it and go in
 * `maxParts`. The surprise bound rests on bills: a kind of prompt no bill has priced costs what it
 * costs, and bbh/web_of_lies' calls came to 3.4 times their plan, sent at once in a window planned
 * at a quarter of its bank; the last window could not give the difference back, and the period
 * ended at 1.0151 of its budget (docs/decisions/0063).
 */
function dispatchParts(
  windowBudgetUsd: number | null,
  plannedCostUsd: number,
  maxParts: number,
  guessed: boolean,
): number {
  if (windowBudgetUsd === null || maxParts <= 1) return 1;
  return guessed || plannedCostUsd * COST_SURPRISE > windowBudgetUsd ? maxParts : 1;
}
