import { IncrementalAssignment } from './assignment-state';

/**
 * Improvement passes over a feasible assignment: upgrades that fit the money left under the
 * budget, and exchanges that pay for an upgrade with a downgrade elsewhere. Every applied
 * move gains objective and keeps capacity and the budget `limit`.
 */

/** Spends the money left under `limit` on the upgrades with the best gain per dollar. */
export function spendLeftoverOnUpgrades(state: IncrementalAssignment, limit: number): void {
  if (state.total > limit) return;
  const n = state.n;
  // Keys are cached per query and refreshed lazily: a full rescan per move would be O(n^2 k).
  const keyOf = new Float64Array(n);
  for (let i = 0; i < n; i++) keyOf[i] = bestUpgrade(state, i, limit - state.total).gainPerDollar;
  let guard = 0;
  while (guard++ < 50 * n + 100) {
    let query = -1;
    let key = 0;
    for (let i = 0; i < n; i++) {
      if (keyOf[i] > key) {
        key = keyOf[i];
        query = i;
      }
    }
    if (query < 0) break;
    const fresh = bestUpgrade(state, query, limit - state.total);
    if (fresh.model < 0) {
      keyOf[query] = 0;
      continue;
    }
    if (fresh.gainPerDollar < key - 1e-12 * (1 + Math.abs(key))) {
      keyOf[query] = fresh.gainPerDollar;
      continue;
    }
    state.move(query, fresh.model);
    keyOf[query] = bestUpgrade(state, query, limit - state.total).gainPerDollar;
  }
}

/** Best upgrade of query i that fits `room` dollars: highest gain per dollar (free ones first). */
function bestUpgrade(state: IncrementalAssignment, i: number, room: number): { model: number; gainPerDollar: number } {
  const { k, scores } = state;
  const from = state.x[i];
  let model = -1;
  let gainPerDollar = 0;
  for (let l = 0; l < k; l++) {
    if (l === from || !state.hasRoom(l)) continue;
    const gain = scores[i * k + l] - scores[i * k + from];
    if (!(gain > 1e-12)) continue;
    const delta = state.costDelta(i, l);
    if (delta > room) continue;
    // A move that gains quality and does not cost money beats any priced one.
    const key = delta <= 1e-15 ? 1e15 * gain : gain / delta;
    if (key > gainPerDollar) {
      gainPerDollar = key;
      model = l;
    }
  }
  return { model, gainPerDollar };
}

/**
 * Pairs an upgrade that does not fit the money left under `limit` with the downgrade elsewhere
 * that frees enough money at the smallest quality loss; applies the pairs that gain, and
 * returns whether any did. This is what fixes the greedy's classic knapsack mistakes (a cheap
 * upgrade taken early that blocks a better, pricier one). Downgrades sorted by money saved,
 * with running minima of the loss, answer "cheapest loss freeing at least X" by binary search:
 * O(nk log nk).
 */
export function exchangeUpgradeForDowngrade(state: IncrementalAssignment, limit: number): boolean {
  const { n, k, scores, capacity } = state;
  const leftover = limit - state.total;
  if (!(leftover >= 0)) return false;
  // Every candidate downgrade (query, target model, money saved, score lost), at most n*k.
  const maxMoves = n * k;
  const downQuery = new Int32Array(maxMoves);
  const downModel = new Int32Array(maxMoves);
  const downSaved = new Float64Array(maxMoves);
  const downLoss = new Float64Array(maxMoves);
  /** Number of candidate downgrades found. */
  let downgrades = 0;
  for (let i = 0; i < n; i++) {
    const from = state.x[i];
    for (let l = 0; l < k; l++) {
      if (l === from || !state.hasRoom(l)) continue;
      const saved = -state.costDelta(i, l);
      if (!(saved > 1e-15)) continue;
      downQuery[downgrades] = i;
      downModel[downgrades] = l;
      downSaved[downgrades] = saved;
      downLoss[downgrades] = scores[i * k + from] - scores[i * k + l];
      downgrades++;
    }
  }
  if (downgrades === 0) return false;
  const order = orderByDescending(downSaved, downgrades);
  // Over each prefix of that order: the downgrade with the smallest loss, and the best one from
  // a different query (the upgrade's own query cannot also pay for it).
  const cheapestPayer = new Int32Array(downgrades);
  const runnerUpPayer = new Int32Array(downgrades);
  for (let r = 0; r < downgrades; r++) {
    const t = order[r];
    let first = r > 0 ? cheapestPayer[r - 1] : -1;
    let second = r > 0 ? runnerUpPayer[r - 1] : -1;
    if (first < 0 || downLoss[t] < downLoss[first]) {
      if (first >= 0 && downQuery[first] !== downQuery[t]) second = first;
      first = t;
    } else if (downQuery[t] !== downQuery[first] && (second < 0 || downLoss[t] < downLoss[second])) second = t;
    cheapestPayer[r] = first;
    runnerUpPayer[r] = second;
  }
  /** An upgrade (query, model) paid for by downgrade number `down`, gaining `net`. */
  const pairs: { net: number; query: number; model: number; down: number }[] = [];
  for (let i = 0; i < n; i++) {
    const from = state.x[i];
    for (let l = 0; l < k; l++) {
      if (l === from) continue;
      const gain = scores[i * k + l] - scores[i * k + from];
      if (!(gain > 1e-12)) continue;
      const need = state.costDelta(i, l) - leftover;
      if (need <= 0 && state.hasRoom(l)) continue; // spendLeftoverOnUpgrades takes those
      // Last prefix position whose saving still covers `need`.
      let lo = 0;
      let hi = downgrades - 1;
      let pos = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (downSaved[order[mid]] >= need) {
          pos = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (pos < 0) continue;
      const down = downQuery[cheapestPayer[pos]] !== i ? cheapestPayer[pos] : runnerUpPayer[pos];
      if (down < 0) continue;
      const net = gain - downLoss[down];
      if (net > 1e-12) pairs.push({ net, query: i, model: l, down });
    }
  }
  if (pairs.length === 0) return false;
  pairs.sort((u, v) => v.net - u.net);
  const touched = new Uint8Array(n);
  let improved = false;
  for (const pair of pairs) {
    const payer = downQuery[pair.down];
    const payerTo = downModel[pair.down];
    if (touched[pair.query] || touched[payer]) continue;
    const queryFrom = state.x[pair.query];
    const payerFrom = state.x[payer];
    state.move(payer, payerTo);
    state.move(pair.query, pair.model);
    // Exact re-check: tiers and capacity may have shifted since the pair was priced.
    if (
      state.total > limit ||
      state.count[pair.model] > capacity[pair.model] ||
      state.count[payerTo] > capacity[payerTo]
    ) {
      state.move(pair.query, queryFrom);
      state.move(payer, payerFrom);
      continue;
    }
    touched[pair.query] = 1;
    touched[payer] = 1;
    improved = true;
  }
  return improved;
}

const INDEX_BITS = 21;

/**
 * Indices of the first `count` (positive) values, largest value first. Writes each index into the
 * low mantissa bits of its value and sorts the doubles natively: a comparator sort is several
 * times slower here, and the 2^-31 relative precision left is plenty to rank savings.
 */
export function orderByDescending(values: Float64Array, count: number): Int32Array {
  const order = new Int32Array(count);
  if (count >= 1 << INDEX_BITS) {
    for (let t = 0; t < count; t++) order[t] = t;
    return order.sort((u, v) => values[v] - values[u]);
  }
  const keys = new Float64Array(count);
  const words = new Uint32Array(keys.buffer);
  const lo = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1; // little-endian: low word first
  const mask = (1 << INDEX_BITS) - 1;
  for (let t = 0; t < count; t++) {
    keys[t] = values[t];
    words[2 * t + lo] = ((words[2 * t + lo] & ~mask) | t) >>> 0;
  }
  keys.sort();
  for (let r = 0; r < count; r++) order[r] = words[2 * (count - 1 - r) + lo] & mask;
  return order;
}
