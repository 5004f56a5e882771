import {
  BatchObjective,
  BatchProblem,
  BatchSolution,
  DiscountTier,
  checkAssignment,
  halfWidthMultiplier,
} from '../problem';
import { SolverChoice, solveBatch } from '../solve';
import { EstimatedMix } from './estimated-mix';
import { PeriodBudget, dualPriceOfDollar, periodTotalUsd } from './dual-price';
import { WindowEstimates, cheapestArm, cheapestBill } from './window-estimates';

/** One window to plan: the caller's estimates and where the period's budget stands. */
export interface WindowPlanInput {
  estimates: WindowEstimates;
  /** null = no budget: the objective is the quality estimate alone. */
  budget: PeriodBudget | null;
  /** Queries routed so far, re-estimated now (see DualPriceInput.routed); needed under a budget. */
  routed?: EstimatedMix;
  /** The period's expected mix (see DualPriceInput.forecast). */
  forecast?: EstimatedMix;
  /** Maximise the lower confidence bound at `level` instead of the mean. */
  robust: boolean;
  /** Two-sided level of the robust lower bound. */
  level: number;
  /** Level of the estimates' half-widths (default 0.95). */
  halfWidthLevel?: number;
  /**
   * Plan the window as an exploration sub-round: optimism in the face of uncertainty (see
   * `explorationObjective`). `unpulledArms` are arms the policy has never pulled.
   */
  exploration?: { unpulledArms: readonly number[] };
  /**
   * The round's arms, chosen by the caller (a probe of new kinds of prompt, `probeRound`): no
   * solve; the plan prices the reserve and the dual price its dispatch check goes by.
   */
  assignment?: Int32Array;
  solver?: SolverChoice;
  timeLimitMs?: number;
  /** Per arm: calls the window may hold (self-hosted concurrency); see BatchProblem.capacity. */
  capacity?: ArrayLike<number | undefined>;
  /**
   * Arms whose realised cost has not been seen yet: their expected cost is a guess from the price
   * list, so the window gives each at most UNPRICED_CALLS calls, except where one is a query's
   * cheapest arm (see `unpricedCapacity`).
   */
  unpricedArms?: readonly number[];
  /**
   * What a later query's cheapest arm is expected to cost, where this window's own prompts are
   * not their measure (a window priced per kind of prompt: the later queries' kinds are not
   * known). The reserve takes the larger of it and this window's cheapest arms per query.
   */
  laterCheapestUsd?: number;
  tiers?: ReadonlyArray<readonly DiscountTier[] | undefined | null>;
  models?: readonly string[];
}

export interface WindowPlan {
  /** Arm per query; -1 = deferred (the capacities cannot hold it). Never an unavailable arm. */
  assignment: Int32Array;
  /** Quality points one dollar is worth in this window (0 = the budget is only a cap). */
  dualPrice: number;
  /** What the window may spend: what is left of the period minus the reserve; null = no budget. */
  windowBudgetUsd: number | null;
  /** Kept for the later queries' cheapest arms. */
  reserveUsd: number;
  /**
   * The period's last window under a budget: no query is expected after it, so it may spend all
   * that is left (the dispatch check's `spendAllLeft`) and gives an unpriced arm no call.
   */
  lastWindow: boolean;
  /** The solver's answer (its objective is in the planner's score units). */
  solution: BatchSolution;
  /** False when the window's budget cannot buy even the cheapest arm of every query. */
  feasible: boolean;
  warnings: string[];
}

/**
 * Plans one window: the cap (what is left of the period's budget minus a reserve for the later
 * queries' cheapest arms, and at most the bank, `bankUsd`; the period's last window gets all that
 * is left), the dual price of the dollar, the objective quality - price * cost (or its
 * exploration variant), the solve, and a repair that sends any pick of an unavailable arm to the
 * query's cheapest available one.
 */
export async function planWindow(input: WindowPlanInput): Promise<WindowPlan> {
  const { estimates: e, budget } = input;
  const { n: m, k } = e;
  let windowBudgetUsd: number | null = null;
  let capUsd: number | null = null;
  let reserveUsd = 0;
  let dualPrice = 0;
  let objective = maskedObjective(e, null);
  const after = budget === null ? Infinity : budget.expectedQueries - budget.routedQueries - m;
  /** The window's bill with every query on its cheapest arm (0 without a budget: unused then). */
  const cheap = budget === null ? 0 : cheapestBill(e);
  if (budget !== null) {
    const left = periodTotalUsd(budget) - budget.spentUsd;
    // Every later query must still afford its cheapest arm, whatever this window takes.
    reserveUsd = after > 0 ? after * Math.max(cheap / m, input.laterCheapestUsd ?? 0) : 0;
    // Nothing left is a budget of 0, not a negative one: the period may be overspent already
    // (bills above their estimates), and every consumer of the figure takes it as money.
    windowBudgetUsd = Math.max(0, left - reserveUsd);
    capUsd = windowBudgetUsd;
    if (after > 0) {
      if (!input.routed) throw new Error('planWindow: a window under a budget needs the routed mix');
      dualPrice = dualPriceOfDollar({
        budget,
        windowQueries: m,
        windowCheapestUsd: cheap,
        routed: input.routed,
        forecast: input.forecast,
      });
      const margin = marginalUpgrades(
        e,
        dualPrice,
        plannedZ(input),
        (m * left) / (budget.expectedQueries - budget.routedQueries),
      );
      objective = margin ? maskedObjective(e, margin.price, false) : maskedObjective(e, dualPrice);
      if (margin) capUsd = Math.min(capUsd, margin.capUsd);
      capUsd = Math.min(capUsd, bankUsd(budget, m));
    }
    capUsd = Math.max(cheap, capUsd);
  }
  let forced: Int32Array | null = input.assignment ?? null;
  if (input.exploration && !forced) {
    objective = explorationObjective(e, objective);
    forced = roundRobinAssignment(e, coldArmsWorthACall(e, input.exploration.unpulledArms, budget));
  }
  const problem: BatchProblem = {
    n: m,
    k,
    quality: objective,
    halfWidth: e.halfWidth,
    cost: e.cost,
    budget: capUsd,
    // The period's last window gives an unpriced arm no call: no later window could pay for its surprise.
    capacity: unpricedCapacity(e, input.capacity, input.unpricedArms, after <= 0 ? 0 : UNPRICED_CALLS),
    tiers: input.tiers,
    models: input.models,
  };
  const solution = forced
    ? sampledSolution(problem, forced, input.assignment ? 'given' : 'round-robin')
    : await solveBatch(problem, {
        solver: input.solver,
        objective: plannedObjective(input.robust && !input.exploration),
        level: input.level,
        halfWidthLevel: input.halfWidthLevel,
        timeLimitMs: input.timeLimitMs,
      });
  const assignment = Int32Array.from(solution.assignment);
  for (let i = 0; i < m; i++) {
    const j = assignment[i];
    if (j >= 0 && !e.available[i * k + j]) assignment[i] = cheapestArm(e, i);
  }
  const warnings = [...solution.warnings];
  const feasible = windowBudgetUsd === null || windowBudgetUsd >= cheap;
  if (!feasible)
    warnings.push(
      `window budget infeasible: $${windowBudgetUsd} is less than the cheapest assignment ($${cheap}): every query takes its cheapest model`,
    );
  return {
    assignment,
    dualPrice,
    windowBudgetUsd,
    reserveUsd,
    lastWindow: after <= 0,
    // A bound of the budget-constrained problem says nothing about a window that cannot meet its budget.
    solution: feasible ? solution : { ...solution, bound: null, gapPct: null, feasible: false },
    feasible: feasible && solution.feasible,
    warnings,
  };
}

export function plannedObjective(robust: boolean): BatchObjective {
  return robust ? 'lcb' : 'mean';
}

/**
 * What the solver maximises per (query, arm): quality - price * cost, with a tie-break towards
 * cheaper arms under a price. An unavailable arm gets UNAVAILABLE_SCORE, below anything an
 * available one scores, so the solver takes it only when nothing else fits the cap (and the
 * planner's repair then moves the query to its cheapest available arm).
 */
function maskedObjective(e: WindowEstimates, price: number | null, tieBreak = true): Float64Array {
  const out = new Float64Array(e.n * e.k);
  let maxCost = 1e-300;
  for (let x = 0; x < out.length; x++) if (e.available[x]) maxCost = Math.max(maxCost, e.cost[x]);
  const tie = tieBreak ? TIE : 0;
  for (let x = 0; x < out.length; x++) {
    if (!e.available[x]) out[x] = UNAVAILABLE_SCORE;
    else out[x] = price === null ? e.quality[x] : e.quality[x] - price * e.cost[x] - (tie * e.cost[x]) / maxCost;
  }
  return out;
}

/** Half-widths off the mean the planned objective counts on (the routed mix's z: 0 for the mean). */
function plannedZ(input: WindowPlanInput): number {
  return input.robust && !input.exploration ? halfWidthMultiplier(input.level, input.halfWidthLevel) : 0;
}

/**
 * The upgrades of a window that sit exactly on the margin at the dual price, and what buying them
 * up to the window's share of the money left would spend; null when there are none, or when the
 * window spends its share without them.
 *
 * A policy without features (ucb1, epsilon-greedy, thompson) estimates every query of a window
 * alike, and so does auto on a run of one template: the clearing price of such a mix is the
 * efficiency of its one upgrade, each upgrade then gains exactly what it costs, and the tie-break
 * towards cheaper arms sent every query to its cheapest one. The window spent nothing while the
 * price said to spend its share, and the budget went unspent until the price floor faded in the
 * period's last quarter (ucb1 on val.jsonl: 28% of the target per query in the first quarter,
 * 225% in the last; docs/decisions/0045). At the clearing price the money is meant to buy a part
 * of the marginal upgrades: the window buys them up to its share (`shareUsd`, the money left per
 * query still to come times its queries), at a price just below the margin, without the
 * tie-break, and capped there.
 */
export function marginalUpgrades(
  e: WindowEstimates,
  price: number,
  z: number,
  shareUsd: number,
): { price: number; capUsd: number } | null {
  const own = new EstimatedMix(e.k);
  own.add(e, z);
  const atPrice = own.spendAt(price) * e.n;
  const below = price * (1 - MARGIN);
  const withMargin = own.spendAt(below) * e.n;
  if (!(withMargin > atPrice) || !(shareUsd > atPrice)) return null;
  return { price: below, capUsd: Math.min(withMargin, shareUsd) };
}

/**
 * The most a window that is not the period's last may spend: the budget of the queries routed so
 * far, of this window and of one more window like it, minus what was spent (unspent money carries
 * forward). The dual price is set on the queries seen so far; when a window's queries gain far
 * more per dollar than those, every upgrade of the window clears it, and without this cap the
 * window bought them with the whole of the period's money above the later queries' cheapest
 * arms: on a stream of three sources in turn (libs/core/simulation/examples/basic.ts), the first
 * windows of the last source put their queries on the flagship and the rest of that source on
 * the cheapest model, 3% below routing query by query. The spare window's share keeps an
 * upgrade that pays more than the price from waiting for money that has not accrued yet; on
 * val.jsonl (ten seeds, cold and warm) the cap changes no mean gain (docs/decisions/0059).
 */
export function bankUsd(budget: PeriodBudget, windowQueries: number): number {
  return Math.max(0, budget.perQueryUsd * (budget.routedQueries + 2 * windowQueries) - budget.spentUsd);
}

/** Relative distance below the dual price within which an upgrade counts as on the margin. */
const MARGIN = 1e-6;

/**
 * The window's capacities with each unpriced arm held to UNPRICED_CALLS calls. A model nobody has
 * called may use several times the tokens its price list assumes (a reasoning flagship: four
 * times, in the live batch run of docs/decisions/0035), and a window that trusts the guess can
 * put many calls on it at once, the last window of a period most of all, whose cap is all that is
 * left: its bill then passes the budget before the first of those calls is billed. One call
 * prices the arm for the next windows; the period's last window gives none (`calls` 0), since
 * no window after it can pay for that call's surprise (one flagship call at four times its guess
 * passed a live run's budget by 2-5%, docs/decisions/0036). An arm that is some query's cheapest
 * is not held: the window could not otherwise be served, and its guess is then the least of the
 * window's costs.
 */
export function unpricedCapacity(
  e: WindowEstimates,
  capacity: ArrayLike<number | undefined> | undefined,
  unpriced: readonly number[] | undefined,
  calls = UNPRICED_CALLS,
): ArrayLike<number | undefined> | undefined {
  if (!unpriced || unpriced.length === 0) return capacity;
  const held = new Set(unpriced);
  for (let i = 0; i < e.n; i++) held.delete(cheapestArm(e, i));
  if (held.size === 0) return capacity;
  return Array.from({ length: e.k }, (_, j) => {
    const c = capacity?.[j];
    return held.has(j) ? Math.min(c ?? Infinity, calls) : c;
  });
}

/** Calls a window (not the period's last) gives an arm whose realised cost has not been seen yet. */
export const UNPRICED_CALLS = 1;

/** The solution record of a sub-round whose arms were sampled, not solved for. */
function sampledSolution(p: BatchProblem, assignment: Int32Array, solver: string): BatchSolution {
  const check = checkAssignment(p, assignment);
  let objective = 0;
  for (let i = 0; i < p.n; i++) objective += p.quality[i * p.k + assignment[i]];
  return {
    assignment,
    objective,
    bound: null,
    gapPct: null,
    solver,
    ms: 0,
    feasible: check.feasible,
    totalCost: check.totalCost,
    warnings: [],
  };
}

/**
 * Exploration sub-round: optimism in the face of uncertainty (the objective plus the half-width,
 * at most one point more) at the same price of a dollar, so the arms whose value on this kind of
 * query is least known get sampled before the rest of the window is committed.
 */
export function explorationObjective(e: WindowEstimates, objective: Float64Array): Float64Array {
  const out = new Float64Array(objective.length);
  for (let x = 0; x < out.length; x++)
    out[x] = e.available[x] ? objective[x] + Math.min(1, e.halfWidth[x]) : UNAVAILABLE_SCORE;
  return out;
}

/**
 * Arms never pulled that the first query of the window offers, except those whose expected cost
 * per call is more than COLD_CAP per-query targets (one call of them would spend the budget of
 * many queries).
 */
function coldArmsWorthACall(e: WindowEstimates, unpulled: readonly number[], budget: PeriodBudget | null): number[] {
  return unpulled.filter((j) => e.available[j] && (budget === null || e.cost[j] <= COLD_CAP * budget.perQueryUsd));
}

/** Cold arms sampled round-robin; null when there are none or a query does not offer its turn's arm. */
function roundRobinAssignment(e: WindowEstimates, cold: readonly number[]): Int32Array | null {
  if (cold.length === 0) return null;
  const a = new Int32Array(e.n);
  for (let i = 0; i < e.n; i++) {
    a[i] = cold[i % cold.length];
    if (!e.available[i * e.k + a[i]]) return null;
  }
  return a;
}

/** Solver score of an arm the query cannot take: far below any quality - price * cost of an available one. */
const UNAVAILABLE_SCORE = -10;

/** Quality the most expensive arm of a window loses to break ties towards cheaper arms. */
const TIE = 1e-3;

/** An arm never pulled is explored only if one call is expected to cost at most this many per-query targets. */
const COLD_CAP = 20;
