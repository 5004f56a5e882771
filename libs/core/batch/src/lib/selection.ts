import { IncrementalAssignment } from './assignment-state';
import { LagrangianRelaxation } from './lagrangian';

/**
 * Picking a model per query, and repairing the pick until it meets the capacities and the
 * budget. The pick is the relaxation's argmax; the repairs move as few queries as they can, at
 * the smallest loss.
 */

/**
 * Fills x with each query's argmax_j s - mu*c*f - nu at the current capacity prices (ties go
 * to the cheaper model, so an indifferent query never pushes the bill up); returns the linear
 * bill at the assumed price factors.
 */
export function pickBestPerQuery(relaxation: LagrangianRelaxation, budgetPrice: number, x: Int32Array): number {
  const { n, k, scores, cost, priceFactor } = relaxation;
  const nu = relaxation.capacityPrice;
  let total = 0;
  for (let i = 0, o = 0; i < n; i++, o += k) {
    let bestModel = 0;
    let bestValue = scores[o] - budgetPrice * cost[o] * priceFactor[0] - nu[0];
    for (let j = 1; j < k; j++) {
      const value = scores[o + j] - budgetPrice * cost[o + j] * priceFactor[j] - nu[j];
      if (
        value > bestValue ||
        (value === bestValue && cost[o + j] * priceFactor[j] < cost[o + bestModel] * priceFactor[bestModel])
      ) {
        bestValue = value;
        bestModel = j;
      }
    }
    x[i] = bestModel;
    total += cost[o + bestModel] * priceFactor[bestModel];
  }
  return total;
}

/**
 * Moves queries off over-full models along the cheapest chain of moves (j -> l1 -> ... -> a
 * model with room, each hop moving the query that loses least relaxed value at budget price
 * mu), i.e. successive shortest paths on the k-node exchange graph. Moving only to models
 * with room is not enough: on ties the right answer can be to displace someone else from a
 * full model.
 */
export function repairCapacity(
  state: IncrementalAssignment,
  relaxation: LagrangianRelaxation,
  budgetPrice: number,
): void {
  const { n, k, capacity } = state;
  /** loss[a*k + b]: smallest relaxed value lost by moving some query from a to b... */
  const loss = new Float64Array(k * k);
  /** ...and which query that is. */
  const lossQuery = new Int32Array(k * k);
  const dist = new Float64Array(k);
  const prev = new Int32Array(k);
  let guard = 0;
  for (;;) {
    let source = -1;
    for (let j = 0; j < k; j++) if (state.count[j] > capacity[j]) source = j;
    if (source < 0 || guard++ > n + 10) return;
    loss.fill(Infinity);
    for (let i = 0; i < n; i++) {
      const a = state.x[i];
      const here = relaxation.lagrangianScore(budgetPrice, i, a);
      for (let b = 0; b < k; b++) {
        if (b === a) continue;
        const l = here - relaxation.lagrangianScore(budgetPrice, i, b);
        if (l < loss[a * k + b]) {
          loss[a * k + b] = l;
          lossQuery[a * k + b] = i;
        }
      }
    }
    // Bellman-Ford over at most k-1 hops: paths stay simple, so no query moves twice.
    dist.fill(Infinity);
    prev.fill(-1);
    dist[source] = 0;
    for (let hop = 0; hop < k - 1; hop++) {
      let changed = false;
      for (let a = 0; a < k; a++) {
        if (dist[a] === Infinity || (a !== source && state.hasRoom(a))) continue;
        for (let b = 0; b < k; b++) {
          if (b === a || b === source || loss[a * k + b] === Infinity) continue;
          const d = dist[a] + loss[a * k + b];
          if (d < dist[b] - 1e-15 && !onPath(prev, a, b)) {
            dist[b] = d;
            prev[b] = a;
            changed = true;
          }
        }
      }
      if (!changed) break;
    }
    let target = -1;
    for (let b = 0; b < k; b++)
      if (b !== source && state.hasRoom(b) && dist[b] < Infinity && (target < 0 || dist[b] < dist[target])) target = b;
    if (target < 0) return; // no room anywhere: prepare() sizes the defer model so this cannot happen
    // Collect the hops first: each move changes who sits where.
    const hops: [number, number][] = [];
    for (let b = target; b !== source; b = prev[b]) hops.push([lossQuery[prev[b] * k + b], b]);
    for (const [i, b] of hops) state.move(i, b);
  }
}

/** Whether node b is already on the predecessor chain ending at a. */
function onPath(prev: Int32Array, a: number, b: number): boolean {
  for (let v = a, steps = 0; v >= 0 && steps <= prev.length; v = prev[v], steps++) if (v === b) return true;
  return false;
}

/** Greedy downgrades, smallest quality loss per dollar saved first, until the bill is within `limit`
 * (or nothing cheaper with room is left). */
export function repairBudget(state: IncrementalAssignment, limit: number): void {
  if (state.total <= limit) return;
  const n = state.n;
  // Keys are cached per query and refreshed lazily: a full rescan per move would be O(n^2 k).
  const keyOf = new Float64Array(n);
  for (let i = 0; i < n; i++) keyOf[i] = bestDowngrade(state, i).lossPerDollar;
  let guard = 0;
  while (state.total > limit && guard++ < 50 * n + 100) {
    let query = -1;
    let key = Infinity;
    for (let i = 0; i < n; i++) {
      if (keyOf[i] < key) {
        key = keyOf[i];
        query = i;
      }
    }
    if (query < 0) break;
    // Keys go stale as counts (room, tiers) change: refresh the winner before using it.
    const fresh = bestDowngrade(state, query);
    if (fresh.model < 0) {
      keyOf[query] = Infinity;
      continue;
    }
    if (fresh.lossPerDollar > key + 1e-12 * (1 + Math.abs(key))) {
      keyOf[query] = fresh.lossPerDollar;
      continue;
    }
    state.move(query, fresh.model);
    keyOf[query] = bestDowngrade(state, query).lossPerDollar;
  }
}

/** Best downgrade of query i: smallest quality loss per dollar saved (the loss may be negative). */
function bestDowngrade(state: IncrementalAssignment, i: number): { model: number; lossPerDollar: number } {
  const { k, scores } = state;
  const from = state.x[i];
  let model = -1;
  let lossPerDollar = Infinity;
  for (let l = 0; l < k; l++) {
    if (l === from || !state.hasRoom(l)) continue;
    const saved = -state.costDelta(i, l);
    if (!(saved > 1e-15)) continue;
    const key = (scores[i * k + from] - scores[i * k + l]) / saved;
    if (key < lossPerDollar) {
      lossPerDollar = key;
      model = l;
    }
  }
  return { model, lossPerDollar };
}
