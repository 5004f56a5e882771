import { EstimatedMix } from './estimated-mix';

/** Where a period's budget stands when a window is planned. */
export interface PeriodBudget {
  /** Target mean cost per query over the period, USD. */
  perQueryUsd: number;
  /** Queries the period is expected to hold in all (routed, this window, still to come). */
  expectedQueries: number;
  /** Queries routed in the period before this window. */
  routedQueries: number;
  /** USD spent in the period so far. */
  spentUsd: number;
}

/** The period's budget in USD: the per-query target over the expected queries. */
export function periodTotalUsd(b: PeriodBudget): number {
  return b.perQueryUsd * b.expectedQueries;
}

export interface DualPriceInput {
  budget: PeriodBudget;
  /** Queries in the window being planned. */
  windowQueries: number;
  /** The window's bill with every query on its cheapest arm. */
  windowCheapestUsd: number;
  /**
   * The queries routed so far, re-estimated with what the policy knows now; without a forecast
   * this window's queries are in it too, as the picture of what is to come.
   */
  routed: EstimatedMix;
  /** The period's expected mix of queries (e.g. a warm-start file's prompts); empty = none. */
  forecast?: EstimatedMix;
}

/**
 * The dual price of the dollar mu (quality points per USD) for a window that is not the period's
 * last: it buys an upgrade only if the upgrade gains more per dollar than money will buy later,
 * and what is left of the budget (the bank, unspent money carried forward) is the cap.
 *
 * - With a forecast: the period at price mu spends n * forecast(mu); the t queries already routed
 *   would have spent routed(mu) of it, so the rest (this window on) is expected to spend the
 *   difference (at least its cheapest arms). mu is the smallest price from which that is at most
 *   what is left: the period's price, held against the whole mix rather than the kinds of query
 *   seen so far, which on an adversarial order (by source) are the wrong picture.
 * - Without one: the price at which the queries seen so far spend what is left per remaining query.
 *
 * The price never falls below FLOOR_PRICE (a target per query must buy two hundredths of a quality
 * point): the queries seen may be cheap to upgrade, and a price that spends the bank on them would
 * buy upgrades for small gains and leave nothing for the dearer kinds still to come. That floor
 * fades out over the last quarter of the period so its last windows can still spend the bank.
 */
export function dualPriceOfDollar(d: DualPriceInput): number {
  const { budget, windowQueries: m, windowCheapestUsd: cheap, routed, forecast } = d;
  const n = budget.expectedQueries;
  const t = budget.routedQueries;
  const left = periodTotalUsd(budget) - budget.spentUsd;
  const after = n - t - m;
  const floor = (FLOOR_PRICE / budget.perQueryUsd) * Math.min(1, (FLOOR_FADE * after) / n);
  let mu: number;
  if (forecast && forecast.n > 0) {
    const routedN = routed.n;
    const rest = (x: number) =>
      Math.max(((n - t) * cheap) / m, n * forecast.spendAt(x) - (routedN > 0 ? t * routed.spendAt(x) : 0));
    mu = smallestPriceHolding(rest, Math.max(0, left));
  } else mu = routed.clearingPrice(Math.max(0, left) / (n - t));
  return Math.max(floor, mu);
}

/**
 * Quality points one target's worth of money must buy, at least, before the last quarter of the
 * period. Twice the pacer's starting lambda (0.01, libs/core/simulation pacer.ts): at that
 * neutral price a cold planner on val.jsonl sorted by difficulty spent a quarter of the period's
 * budget on the middle windows' upgrades worth 0.02-0.13 and had to ration the hard last third,
 * whose upgrades are worth 0.25-0.37. With a forecast of the mix the price is far above either
 * floor. Measured 0.01 to 0.03 in docs/decisions/0031-batch-gains.md.
 */
export const FLOOR_PRICE = 0.02;

/** The price floor holds until the last 1/FLOOR_FADE of the period, then falls linearly to 0. */
const FLOOR_FADE = 4;

/**
 * The smallest price from which on `spend(price)` stays at most `target`, on a geometric grid: the
 * curve need not fall monotonically (it is a difference of two spends).
 */
function smallestPriceHolding(spend: (mu: number) => number, target: number): number {
  let mu = GRID_MAX;
  if (spend(mu) > target) return mu;
  for (let x = GRID_MAX / GRID_STEP; x >= GRID_MIN; x /= GRID_STEP) {
    if (spend(x) > target) return mu;
    mu = x;
  }
  return spend(0) > target ? mu : 0;
}

const GRID_MIN = 1e-2;
const GRID_MAX = 1e7;
const GRID_STEP = 1.05;
