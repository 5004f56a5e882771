import type { ReplayRow } from './replay';

/**
 * What batch routing could reach on a row order if the planner knew every source's true mean
 * quality and cost on each arm, and nothing about single questions (on val.jsonl the prompts
 * tell nothing about which question of a source an upgrade pays on: docs/decisions/0033):
 *
 * - `offline`: the period's budget spent at once, on the upgrades that buy the most quality per
 *   dollar over all rows (the linear-programming optimum at source level);
 * - `online`: windows of `batchSize` rows in order, each buying the upgrades worth at least the
 *   clearing price of the rows seen so far (the price of a dollar a planner that cannot see the
 *   sources still to come can know) while the bank (the budget of the rows so far, minus what was
 *   spent) allows; the last window spends what is left;
 * - `windowOffline`: as `offline`, with each source's means taken window by window. An order
 *   whose place tells a row's worth (by-difficulty: easiest first) passes the source-level
 *   figures; this one knows what a window of such an order holds, and nothing of its single rows.
 *
 * A row starts on its source's cheapest arm and climbs its source's quality-cost hull; the last
 * step bought may be a fraction, so both are bounds of a fractional relaxation, not of a plan.
 */
export interface SourceBound {
  onlineMeanQuality: number;
  offlineMeanQuality: number;
  onlineBudgetRatio: number;
  offlineBudgetRatio: number;
  windowOfflineMeanQuality: number;
  /** The online bound at the price factor that does best on this order, chosen in hindsight (`bestScaledOf`). */
  bestScaled: { factor: number; meanQuality: number };
}

/** One step up a row's hull: from one arm to the next, what it adds and what it costs. */
interface Step {
  dq: number;
  dc: number;
  /** Quality per dollar of the step. */
  efficiency: number;
}

/** A source's mean quality and cost per arm, reduced to its cheapest arm and the steps of its hull. */
interface SourceHull {
  baseQuality: number;
  baseCost: number;
  steps: Step[];
}

export function sourceBound(
  rows: readonly ReplayRow[],
  perQueryBudgetUsd: number,
  batchSize: number,
  /** Multiplies the online price (1: the price of the rows seen itself). */
  priceFactor = 1,
): SourceBound {
  const period = periodOf(rows, perQueryBudgetUsd, batchSize);
  const online = onlineRun(period, priceFactor);
  return {
    onlineMeanQuality: online.quality / period.n,
    offlineMeanQuality: period.offline.quality / period.n,
    onlineBudgetRatio: online.spent / period.budgetUsd,
    offlineBudgetRatio: period.offline.cost / period.budgetUsd,
    windowOfflineMeanQuality: windowOffline(rows, perQueryBudgetUsd, batchSize) / period.n,
    bestScaled: bestScaledOf(period),
  };
}

/**
 * The online bound with the price of the rows seen scaled by the factor that does best on this
 * order, chosen in hindsight from 0.1 to 2 in steps of 0.05: what no fixed correction of that
 * price can beat.
 */
function bestScaledOf(period: BoundPeriod): SourceBound['bestScaled'] {
  let best = { factor: 1, meanQuality: -Infinity };
  for (let i = 2; i <= 40; i++) {
    const factor = i * 0.05;
    const q = onlineRun(period, factor).quality / period.n;
    if (q > best.meanQuality + 1e-12) best = { factor: Math.round(factor * 100) / 100, meanQuality: q };
  }
  return best;
}

/** A window of the order: its rows' base quality and cost, their steps, and the price of the rows seen by its end. */
interface BoundWindow {
  /** Rows of the order up to the window's end. */
  end: number;
  baseQuality: number;
  baseCost: number;
  steps: Step[];
  /** Clearing price of the rows up to the window's end at their budget; 0 for the last window. */
  seenPrice: number;
}

/** What the bound needs of an order, whatever the price factor: its windows and the offline optimum. */
interface BoundPeriod {
  n: number;
  budgetUsd: number;
  perQueryBudgetUsd: number;
  windows: BoundWindow[];
  /** The offline optimum: base plus bought quality and cost over every row. */
  offline: { quality: number; cost: number };
}

function periodOf(rows: readonly ReplayRow[], perQueryBudgetUsd: number, batchSize: number): BoundPeriod {
  if (!(perQueryBudgetUsd > 0)) throw new Error(`budget must be > 0, got ${perQueryBudgetUsd}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batch size must be an integer >= 1, got ${batchSize}`);
  const n = rows.length;
  if (n === 0) throw new Error('no rows');
  const hulls = sourceHulls(rows);
  const windows: BoundWindow[] = [];
  const seenSteps: Step[] = [];
  let seenCost = 0;
  let seenQuality = 0;
  for (const climb of windowClimbs(rows, batchSize, () => hulls)) {
    const w: BoundWindow = { ...climb, seenPrice: 0 };
    seenSteps.push(...w.steps);
    seenCost += w.baseCost;
    seenQuality += w.baseQuality;
    // The price at which the rows seen so far, bought in order of quality per dollar, would spend
    // exactly their budget.
    if (w.end < n) w.seenPrice = buy(seenSteps, perQueryBudgetUsd * w.end - seenCost, 0).lastEfficiency;
    windows.push(w);
  }
  const bought = buy(seenSteps, perQueryBudgetUsd * n - seenCost, 0);
  return {
    n,
    budgetUsd: perQueryBudgetUsd * n,
    perQueryBudgetUsd,
    windows,
    offline: { quality: seenQuality + bought.quality, cost: seenCost + bought.cost },
  };
}

/** The offline optimum's quality when every window's rows climb the hulls of their source in that window. */
function windowOffline(rows: readonly ReplayRow[], perQueryBudgetUsd: number, batchSize: number): number {
  const climbs = windowClimbs(rows, batchSize, sourceHulls);
  const steps = climbs.flatMap((w) => w.steps);
  const baseQuality = climbs.reduce((s, w) => s + w.baseQuality, 0);
  const baseCost = climbs.reduce((s, w) => s + w.baseCost, 0);
  return baseQuality + buy(steps, perQueryBudgetUsd * rows.length - baseCost, 0).quality;
}

/**
 * Per window of `batchSize` rows (its end, exclusive): its rows' quality and cost on their
 * source's cheapest hull point, and the steps up their hulls; `hullsFor(window)` gives the hulls
 * the window's rows climb (the whole period's sources, or the window's own).
 */
function windowClimbs(
  rows: readonly ReplayRow[],
  batchSize: number,
  hullsFor: (window: readonly ReplayRow[]) => Map<string, SourceHull>,
): Omit<BoundWindow, 'seenPrice'>[] {
  const climbs: Omit<BoundWindow, 'seenPrice'>[] = [];
  for (let t = 0; t < rows.length; t += batchSize) {
    const window = rows.slice(t, t + batchSize);
    const hulls = hullsFor(window);
    const w = { end: t + window.length, baseQuality: 0, baseCost: 0, steps: [] as Step[] };
    for (const r of window) {
      const h = hulls.get(r.source ?? 'unknown')!;
      w.baseQuality += h.baseQuality;
      w.baseCost += h.baseCost;
      w.steps.push(...h.steps);
    }
    climbs.push(w);
  }
  return climbs;
}

/** The online planner over the period's windows, its price of the rows seen times `priceFactor`. */
function onlineRun(period: BoundPeriod, priceFactor: number): { quality: number; spent: number } {
  let quality = 0;
  let spent = 0;
  for (const w of period.windows) {
    spent += w.baseCost;
    const bought = buy(w.steps, period.perQueryBudgetUsd * w.end - spent, priceFactor * w.seenPrice);
    quality += w.baseQuality + bought.quality;
    spent += bought.cost;
  }
  return { quality, spent };
}

/**
 * Buys steps in order of quality per dollar while they are worth at least `minEfficiency` and
 * the money lasts (the last one in part). `lastEfficiency`: the efficiency of the last step bought
 * when the money ran out, else `minEfficiency`: the clearing price of the money.
 */
function buy(steps: Step[], money: number, minEfficiency: number) {
  const sorted = [...steps].sort((a, b) => b.efficiency - a.efficiency);
  let left = Math.max(0, money);
  let quality = 0;
  let cost = 0;
  for (const s of sorted) {
    if (s.efficiency < minEfficiency) break;
    if (s.dc <= left) {
      quality += s.dq;
      cost += s.dc;
      left -= s.dc;
      continue;
    }
    const share = left / s.dc;
    quality += s.dq * share;
    cost += left;
    return { quality, cost, lastEfficiency: s.efficiency };
  }
  return { quality, cost, lastEfficiency: minEfficiency };
}

/** One source's rows: how many, and per arm the sums of reward (`q`) and cost (`c`) over the `n` rows that offer it. */
export interface SourceSums {
  rows: number;
  arms: Map<string, { q: number; c: number; n: number }>;
}

/** Per source (rows without one under `unsourced`, or skipped when it is null), in order of first appearance: its sums. */
export function sourceSums(rows: readonly ReplayRow[], unsourced: string | null): Map<string, SourceSums> {
  const sums = new Map<string, SourceSums>();
  for (const r of rows) {
    const key = r.source ?? unsourced;
    if (key === null) continue;
    let s = sums.get(key);
    if (!s) sums.set(key, (s = { rows: 0, arms: new Map() }));
    s.rows++;
    for (const [arm, o] of Object.entries(r.arms)) {
      const a = s.arms.get(arm) ?? { q: 0, c: 0, n: 0 };
      a.q += o.reward;
      a.c += o.cost;
      a.n++;
      s.arms.set(arm, a);
    }
  }
  return sums;
}

/** Per source: its mean quality and cost on each arm its rows all offer, as a concave hull. */
function sourceHulls(rows: readonly ReplayRow[]): Map<string, SourceHull> {
  const out = new Map<string, SourceHull>();
  for (const [key, s] of sourceSums(rows, 'unknown')) {
    // Only arms every row of the source offers: a step must be open to each row it is counted for.
    const points = [...s.arms.values()]
      .filter((a) => a.n === s.rows)
      .map((a) => ({ q: a.q / a.n, c: a.c / a.n }))
      .sort((a, b) => a.c - b.c || b.q - a.q);
    if (points.length === 0) throw new Error(`source ${key}: no arm offered on every row`);
    out.set(key, hullOf(points));
  }
  return out;
}

/** The upper concave hull of (cost, quality) points sorted by cost, from the cheapest. */
function hullOf(points: { q: number; c: number }[]): SourceHull {
  const hull = [points[0]];
  for (const p of points.slice(1)) {
    if (p.q <= hull[hull.length - 1].q) continue;
    while (hull.length >= 2) {
      const [a, b] = [hull[hull.length - 2], hull[hull.length - 1]];
      // b lies on or under the chord from a to p: buying b on the way to p is never better.
      if ((b.q - a.q) * (p.c - a.c) <= (p.q - a.q) * (b.c - a.c)) hull.pop();
      else break;
    }
    hull.push(p);
  }
  const steps: Step[] = [];
  for (let i = 1; i < hull.length; i++) {
    const dq = hull[i].q - hull[i - 1].q;
    const dc = hull[i].c - hull[i - 1].c;
    steps.push({ dq, dc, efficiency: dc > 0 ? dq / dc : Infinity });
  }
  return { baseQuality: hull[0].q, baseCost: hull[0].c, steps };
}
