import {
  BatchProblem,
  BatchSolution,
  BatchSolveOptions,
  BatchSolver,
  Prepared,
  budgetLimit,
  finish,
  now,
  prepare,
  preparedCost,
  preparedObjective,
  tierFactor,
} from './problem';

/**
 * Fast heuristic: Lagrangian relaxation of the budget (multiplier mu, found by bisection) and
 * of the concurrency limits (multipliers nu_j, found as market-clearing prices), then repair
 * (capacity, then budget) and a greedy improvement pass on the leftover budget.
 *
 * For fixed mu, "assign every query to argmax q - mu*c - nu_j with capacity prices nu" is
 * the exact optimum of the capacity-constrained transportation LP, which is integral; the
 * only integrality loss comes from the budget, i.e. from the few queries that are
 * indifferent at the optimal mu. That is why the gap to the dual bound is tiny when n >> k.
 *
 * The dual bound: for any mu >= 0, nu >= 0,
 *   L(mu, nu) = mu*B + sum_j nu_j*C_j + sum_i max_j (s_ij - mu*c_ij*fmin_j - nu_j)
 * bounds the optimum from above (weak duality; fmin_j is model j's deepest discount, so the
 * relaxed budget row is implied by the true one). Its minimum is the LP bound.
 */
export class HeuristicSolver implements BatchSolver {
  readonly name = 'heuristic';
  async solve(problem: BatchProblem, opts: BatchSolveOptions = {}): Promise<BatchSolution> {
    return solveHeuristic(problem, opts);
  }
}

export function solveHeuristic(problem: BatchProblem, opts: BatchSolveOptions = {}): BatchSolution {
  const t0 = now();
  const pp = prepare(problem, opts);
  const warnings: string[] = [];
  if (pp.n === 0) return finish(problem, pp, new Int32Array(0), 0, 'heuristic', t0, warnings);

  if (pp.objective === 'budgeted' && pp.dev && pp.gamma > 0) {
    const r = solveBudgeted(pp, warnings);
    return finish(problem, pp, r.x, r.bound, 'heuristic', t0, warnings);
  }
  const r = solveNominal(pp, pp.score, true);
  warnings.push(...r.warnings);
  return finish(problem, pp, r.x, r.bound, 'heuristic', t0, warnings);
}

interface NominalResult {
  x: Int32Array;
  /** Lagrangian dual bound on the objective over `score`; null when not computed. */
  bound: number | null;
  feasible: boolean;
  warnings: string[];
}

/**
 * Bertsimas-Sim robust problem: for a fixed theta the robust optimum is a nominal problem
 * with scores s - max(d - theta, 0), minus gamma*theta, and the best theta is one of the
 * deviations (or 0). Trying a grid of quantiles keeps it fast; each candidate is scored by the
 * exact robust objective, so the result is always honestly evaluated.
 */
function solveBudgeted(pp: Prepared, warnings: string[]): { x: Int32Array; bound: number | null } {
  const { n, k } = pp;
  const dev = pp.dev as Float64Array;
  const sorted = Float64Array.from(dev).sort();
  const thetas = new Set<number>([0]);
  const grid = 16;
  for (let t = 0; t <= grid; t++)
    thetas.add(sorted[Math.min(sorted.length - 1, Math.floor((t / grid) * (sorted.length - 1)))]);
  let best: Int32Array | null = null;
  let bestVal = -Infinity;
  let bestFeasible = false;
  // Robust value <= nominal value, so the nominal problem's dual bound is a valid (loose) bound.
  const nominal = solveNominal(pp, pp.score, true);
  const s = new Float64Array(n * k);
  const consider = (r: NominalResult): void => {
    const v = preparedObjective(pp, r.x);
    if ((r.feasible && !bestFeasible) || (r.feasible === bestFeasible && v > bestVal)) {
      best = r.x;
      bestVal = v;
      bestFeasible = r.feasible;
    }
  };
  consider(nominal);
  for (const theta of thetas) {
    for (let x = 0; x < n * k; x++) s[x] = pp.score[x] - Math.max(dev[x] - theta, 0);
    consider(solveNominal(pp, s, false));
  }
  const chosen = best as unknown as Int32Array;
  if (!bestFeasible) warnings.push(...nominal.warnings);
  return { x: chosen, bound: nominal.bound };
}

/** The nominal (linear objective) problem over scores `s`. */
function solveNominal(pp: Prepared, s: Float64Array, wantBound: boolean): NominalResult {
  const tiered: number[] = [];
  if (pp.budget !== null) for (let j = 0; j < pp.k; j++) if (pp.tiers[j]) tiered.push(j);
  const w = new Work(pp, s);
  let best: NominalResult | null = null;
  let bestVal = -Infinity;
  let bestCost = Infinity;
  let bound: number | null = null;
  const attempt = (): void => {
    const res = w.run(wantBound);
    const v = objectiveOf(pp, s, res.x);
    const c = preparedCost(pp, res.x);
    if (res.bound !== null && (bound === null || res.bound < bound)) bound = res.bound;
    // Feasible beats infeasible; among feasible the better objective wins, among infeasible
    // the cheaper bill (the documented fallback is the cheapest assignment).
    const wins =
      best === null ||
      (res.feasible && !best.feasible) ||
      (res.feasible && best.feasible && v > bestVal) ||
      (!res.feasible && !best.feasible && (c < bestCost - 1e-15 || (c <= bestCost + 1e-15 && v > bestVal)));
    if (wins) {
      best = res;
      bestVal = v;
      bestCost = c;
    }
  };
  attempt();
  if (tiered.length > 0) {
    // Discounts make cost nonlinear in volume. First iterate "price every model at the tier
    // the last solution reached" (a fixed point is typical after a round or two)...
    const base = new Float64Array(pp.k).fill(1);
    for (let r = 0; r < 3; r++) {
      const counts = w.counts(w.x);
      let same = true;
      for (const j of tiered) {
        const f = tierFactor(pp.tiers[j], counts[j]);
        if (f !== w.g[j]) same = false;
        w.g[j] = f;
      }
      if (same) break;
      attempt();
    }
    base.set(w.g);
    // ...then, since all-units pricing rewards pushing a model over a threshold it would not
    // reach on its own, try pricing each model at each of its deeper tiers up front.
    for (const j of tiered) {
      const sched = pp.tiers[j] as { fac: number[] };
      for (let t = 1; t < sched.fac.length; t++) {
        w.g.set(base);
        w.g[j] = sched.fac[t];
        attempt();
      }
    }
  }
  const out = best as unknown as NominalResult;
  return { ...out, bound };
}

function objectiveOf(pp: Prepared, s: Float64Array, x: Int32Array): number {
  let v = 0;
  for (let i = 0; i < pp.n; i++) v += s[i * pp.k + x[i]];
  return v;
}

class Work {
  readonly n: number;
  readonly k: number;
  readonly c: Float64Array;
  readonly cap: Float64Array;
  /** Price factor assumed for each model while relaxing (tiers make the true one volume-dependent). */
  readonly g: Float64Array;
  /** Deepest discount of each model: prices the relaxed budget row for the dual bound. */
  readonly gmin: Float64Array;
  /** Capacity prices. */
  readonly nu: Float64Array;
  readonly capJ: number[];
  readonly hasTiers: boolean;
  x: Int32Array;
  private readonly margins: Float64Array;
  private readonly v: Float64Array;
  private mu = 0;

  constructor(
    readonly pp: Prepared,
    readonly s: Float64Array,
  ) {
    this.n = pp.n;
    this.k = pp.k;
    this.c = pp.cost;
    this.cap = pp.cap;
    this.g = new Float64Array(this.k).fill(1);
    this.gmin = new Float64Array(this.k);
    this.hasTiers = false;
    for (let j = 0; j < this.k; j++) {
      const t = pp.tiers[j];
      this.gmin[j] = t ? Math.min(...t.fac) : 1;
      if (t) this.hasTiers = true;
    }
    this.nu = new Float64Array(this.k);
    this.capJ = [];
    for (let j = 0; j < this.k; j++) if (this.cap[j] < this.n) this.capJ.push(j);
    this.x = new Int32Array(this.n);
    this.margins = new Float64Array(this.n);
    this.v = new Float64Array(this.n * this.k);
  }

  counts(x: Int32Array): Int32Array {
    const cnt = new Int32Array(this.k);
    for (let i = 0; i < this.n; i++) cnt[x[i]]++;
    return cnt;
  }

  /** Fills x with argmax_j s - mu*c*g - nu (ties to the cheaper model); returns linear cost. */
  private assign(mu: number, x: Int32Array): number {
    const { n, k, s, c, g, nu } = this;
    let cost = 0;
    for (let i = 0, o = 0; i < n; i++, o += k) {
      let bj = 0;
      let bv = s[o] - mu * c[o] * g[0] - nu[0];
      for (let j = 1; j < k; j++) {
        const v = s[o + j] - mu * c[o + j] * g[j] - nu[j];
        if (v > bv || (v === bv && c[o + j] * g[j] < c[o + bj] * g[bj])) {
          bv = v;
          bj = j;
        }
      }
      x[i] = bj;
      cost += c[o + bj] * g[bj];
    }
    return cost;
  }

  /** Dual function value at (mu, nu) with the budget row priced at the deepest discounts. */
  private dual(mu: number, budget: number): number {
    const { n, k, s, c, gmin, nu, cap } = this;
    let v = mu * budget;
    for (const j of this.capJ) v += nu[j] * cap[j];
    for (let i = 0, o = 0; i < n; i++, o += k) {
      let bv = -Infinity;
      for (let j = 0; j < k; j++) {
        const u = s[o + j] - mu * c[o + j] * gmin[j] - nu[j];
        if (u > bv) bv = u;
      }
      v += bv;
    }
    return v;
  }

  /**
   * Capacity prices for this mu: raise nu_j until at most C_j queries prefer model j
   * (Gauss-Seidel over the capacitated models, warm-started from the previous mu). The
   * fixed point is a market-clearing price vector, i.e. an optimal dual of the
   * transportation LP; the round cap only matters on adversarial ties, which repair absorbs.
   */
  private equilibrate(mu: number): void {
    const { n, k, s, c, g, nu, cap, margins, v } = this;
    if (this.capJ.length === 0) return;
    // Lagrangian scores without capacity prices, computed once per mu: the rounds below only
    // shift them by nu.
    for (let t = 0, i = 0; i < n; i++) for (let j = 0; j < k; j++, t++) v[t] = s[t] - mu * c[t] * g[j];
    for (let round = 0; round < 30; round++) {
      let changed = false;
      for (const j of this.capJ) {
        let positive = 0;
        for (let i = 0, o = 0; i < n; i++, o += k) {
          let b = -Infinity;
          for (let l = 0; l < k; l++) {
            if (l === j) continue;
            const u = v[o + l] - nu[l];
            if (u > b) b = u;
          }
          const m = v[o + j] - b;
          margins[i] = m;
          if (m > 0) positive++;
        }
        let next = 0;
        const cj = cap[j];
        if (positive > cj) {
          // Just above the (C_j+1)-th largest margin: at most C_j queries keep model j. At
          // exactly that margin the marginal query would tie, and the tie-break toward the
          // cheaper model could keep it on j, over capacity, making the bisection price an
          // assignment it cannot have.
          const m = kthLargest(margins, cj + 1);
          next = m + Math.max(1e-300, 1e-9 * Math.abs(m));
        }
        // Settled once a round moves no price by more than the tie-breaking nudge could:
        // interlocked capacities otherwise creep upward by that nudge forever.
        if (Math.abs(next - nu[j]) > 1e-8 * (1 + Math.abs(nu[j]))) {
          changed = true;
          nu[j] = next;
        }
      }
      if (!changed || this.capJ.length === 1) break;
    }
  }

  private evaluate(mu: number, x: Int32Array): number {
    this.equilibrate(mu);
    const cost = this.assign(mu, x);
    if (this.capJ.length === 0) return cost;
    const cnt = this.counts(x);
    let over = false;
    for (const j of this.capJ) if (cnt[j] > this.cap[j]) over = true;
    if (!over) return cost;
    // Prices that did not fully settle (interlocked capacities) leave a query or two over
    // capacity; the bisection must price an assignment that can exist, so repair it first.
    this.mu = mu;
    const st = new State(this, x);
    st.repairCapacity();
    x.set(st.x);
    let c = 0;
    for (let i = 0; i < this.n; i++) c += this.c[i * this.k + x[i]] * this.g[x[i]];
    return c;
  }

  run(wantBound: boolean): NominalResult {
    const { pp, n, k } = this;
    const warnings: string[] = [];
    // The tolerant limit of budgetLimit(): the same verdict as checkAssignment.
    const B = pp.budget === null ? null : budgetLimit(pp.budget);
    let bound: number | null = null;
    // Feasibility accepts a bill up to the tolerant limit, so the bound must cover that too.
    const bDual = B ?? 0;
    const noteBound = (mu: number): void => {
      if (!wantBound) return;
      const d = this.dual(mu, bDual);
      if (bound === null || d < bound) bound = d;
    };

    const xLo = new Int32Array(n);
    const cost0 = this.evaluate(0, xLo);
    noteBound(0);
    let mu = 0;
    let x: Int32Array = xLo;
    if (B !== null && cost0 > B) {
      // Bracket mu: cost(mu) falls as mu rises. Scale the first guess so that mu*c is
      // comparable to the quality range.
      let sMin = Infinity;
      let sMax = -Infinity;
      let cSum = 0;
      let minGap = Infinity;
      for (let i = 0, o = 0; i < n; i++, o += k) {
        for (let j = 0; j < k; j++) {
          sMin = Math.min(sMin, this.s[o + j]);
          sMax = Math.max(sMax, this.s[o + j]);
          cSum += this.c[o + j];
          for (let l = j + 1; l < k; l++) {
            const d = Math.abs(this.c[o + j] * this.g[j] - this.c[o + l] * this.g[l]);
            if (d > 0 && d < minGap) minGap = d;
          }
        }
      }
      const sRange = sMax - sMin || 1;
      const cMean = cSum / (n * k) || 1;
      // Beyond muMax any saving outweighs any quality difference: the assignment is the
      // cheapest one, quality only breaking ties. Going further only drowns those ties in
      // rounding error.
      const muMax = Number.isFinite(minGap) ? (4 * sRange) / minGap : sRange / cMean;
      let lo = 0;
      let hi = Math.min(sRange / cMean, muMax);
      const xHi = new Int32Array(n);
      let costHi = this.evaluate(hi, xHi);
      noteBound(hi);
      let steps = 0;
      while (costHi > B && hi < muMax && steps++ < 80) {
        lo = hi;
        hi = Math.min(hi * 4, muMax);
        costHi = this.evaluate(hi, xHi);
        noteBound(hi);
      }
      if (costHi > B) {
        // Even a cost-dominated mu is over budget. With capacities the cheapest assignment
        // depends on differences of cost differences, which no finite mu separates from
        // quality reliably: solve the pure min-cost problem instead.
        mu = hi;
        x = this.cheapest();
      } else {
        while (lo === 0 && steps++ < 160) {
          const mid = hi / 4;
          const xm = new Int32Array(n);
          const cm = this.evaluate(mid, xm);
          noteBound(mid);
          if (cm > B) lo = mid;
          else {
            hi = mid;
            xHi.set(xm);
          }
        }
        // The improvement and exchange passes spend whatever the last bisection step leaves
        // on the table, so stop once the assignments on both sides of the bracket differ in at
        // most two queries (or the bracket is 1e-7 wide).
        const xInf = new Int32Array(n);
        let haveInf = false;
        for (let it = 0; it < 60 && hi - lo > 1e-7 * hi; it++) {
          const mid = lo > 0 && hi / lo > 2 ? Math.sqrt(lo * hi) : 0.5 * (lo + hi);
          const cm = this.evaluate(mid, xLo);
          noteBound(mid);
          if (cm > B) {
            lo = mid;
            xInf.set(xLo);
            haveInf = true;
          } else {
            hi = mid;
            xHi.set(xLo);
          }
          if (haveInf && differing(xInf, xHi, 2) <= 2) break;
        }
        // The capacity prices must match the mu whose assignment we keep (repair uses them).
        this.equilibrate(hi);
        mu = hi;
        x = xHi;
      }
    }
    this.mu = mu;
    this.x = x;
    const st = new State(this, x);
    st.repairCapacity();
    if (B !== null) {
      st.repairBudget(B);
      // Over budget even so: keep the bill, but take any upgrade that costs nothing.
      if (st.total > B) st.improve(st.total);
      st.improve(B);
      for (let r = 0; r < 4 && st.exchange(B); r++) st.improve(B);
    } else {
      st.improve(Infinity);
    }
    const feasible = st.overCapacity() === 0 && (B === null || st.total <= B);
    if (B !== null && st.total > B) {
      warnings.push(
        `budget ${pp.budget} USD is infeasible: the cheapest assignment found costs ${st.total} USD; returning it`,
      );
    }
    this.x = st.x;
    return { x: st.x, bound, feasible, warnings };
  }

  /** Min-cost assignment under the capacities, at the current price factors g. */
  private cheapest(): Int32Array {
    const cw = new Work(this.pp, new Float64Array(this.n * this.k));
    cw.g.set(this.g);
    const x = new Int32Array(this.n);
    cw.evaluate(1, x);
    cw.mu = 1;
    const st = new State(cw, x);
    st.repairCapacity();
    return st.x;
  }

  lagrangianScore(i: number, j: number): number {
    const o = i * this.k + j;
    return this.s[o] - this.mu * this.c[o] * this.g[j];
  }
}

/** Incremental state for the repair and improvement passes: exact (tiered) costs. */
class State {
  readonly x: Int32Array;
  readonly count: Int32Array;
  readonly spend: Float64Array;
  total = 0;
  private readonly n: number;
  private readonly k: number;

  constructor(
    private readonly w: Work,
    x: Int32Array,
  ) {
    this.n = w.n;
    this.k = w.k;
    this.x = Int32Array.from(x);
    this.count = new Int32Array(this.k);
    this.spend = new Float64Array(this.k);
    for (let i = 0; i < this.n; i++) {
      const j = x[i];
      this.count[j]++;
      this.spend[j] += w.c[i * this.k + j];
    }
    this.total = preparedCost(w.pp, this.x);
  }

  private factor(j: number, cnt: number): number {
    const t = this.w.pp.tiers[j];
    return t ? tierFactor(t, cnt) : 1;
  }

  /** Exact change of the total bill if query i moves to model b. */
  delta(i: number, b: number): number {
    const a = this.x[i];
    if (a === b) return 0;
    const c = this.w.c;
    const ca = c[i * this.k + a];
    const cb = c[i * this.k + b];
    if (!this.w.hasTiers) return cb - ca;
    const na = this.count[a];
    const nb = this.count[b];
    const sa = this.spend[a];
    const sb = this.spend[b];
    return (
      this.factor(a, na - 1) * (sa - ca) -
      this.factor(a, na) * sa +
      this.factor(b, nb + 1) * (sb + cb) -
      this.factor(b, nb) * sb
    );
  }

  move(i: number, b: number): void {
    const a = this.x[i];
    const d = this.delta(i, b);
    const c = this.w.c;
    this.count[a]--;
    this.spend[a] -= c[i * this.k + a];
    this.count[b]++;
    this.spend[b] += c[i * this.k + b];
    this.x[i] = b;
    this.total += d;
  }

  private hasRoom(j: number): boolean {
    return this.count[j] < this.w.cap[j];
  }

  overCapacity(): number {
    let over = 0;
    for (let j = 0; j < this.k; j++) over += Math.max(0, this.count[j] - this.w.cap[j]);
    return over;
  }

  /**
   * Moves queries off over-full models along the cheapest chain of moves (j -> l1 -> ... ->
   * a model with room, each hop moving the query that loses least), i.e. successive shortest
   * paths on the k-node exchange graph. Moving only to models with room is not enough: on
   * ties the right answer can be to displace someone else from a full model.
   */
  repairCapacity(): void {
    const { n, k, w } = this;
    const loss = new Float64Array(k * k);
    const who = new Int32Array(k * k);
    const dist = new Float64Array(k);
    const prev = new Int32Array(k);
    let guard = 0;
    for (;;) {
      let src = -1;
      for (let j = 0; j < k; j++) if (this.count[j] > w.cap[j]) src = j;
      if (src < 0 || guard++ > n + 10) return;
      loss.fill(Infinity);
      for (let i = 0; i < n; i++) {
        const a = this.x[i];
        const here = w.lagrangianScore(i, a);
        for (let b = 0; b < k; b++) {
          if (b === a) continue;
          const l = here - w.lagrangianScore(i, b);
          if (l < loss[a * k + b]) {
            loss[a * k + b] = l;
            who[a * k + b] = i;
          }
        }
      }
      // Bellman-Ford over at most k-1 hops: paths stay simple, so no query moves twice.
      dist.fill(Infinity);
      prev.fill(-1);
      dist[src] = 0;
      for (let hop = 0; hop < k - 1; hop++) {
        let changed = false;
        for (let a = 0; a < k; a++) {
          if (dist[a] === Infinity || (a !== src && this.hasRoom(a))) continue;
          for (let b = 0; b < k; b++) {
            if (b === a || b === src || loss[a * k + b] === Infinity) continue;
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
      let t = -1;
      for (let b = 0; b < k; b++)
        if (b !== src && this.hasRoom(b) && dist[b] < Infinity && (t < 0 || dist[b] < dist[t])) t = b;
      if (t < 0) return; // no room anywhere: prepare() sizes the defer model so this cannot happen
      // Collect the hops first: each move changes who sits where.
      const hops: [number, number][] = [];
      for (let b = t; b !== src; b = prev[b]) hops.push([who[prev[b] * k + b], b]);
      for (const [i, b] of hops) this.move(i, b);
    }
  }

  /** Best downgrade of query i: smallest quality loss per dollar saved (loss may be negative). */
  private bestDown(i: number): { l: number; key: number } {
    const { k, w } = this;
    const s = w.s;
    const a = this.x[i];
    let bl = -1;
    let bk = Infinity;
    for (let l = 0; l < k; l++) {
      if (l === a || !this.hasRoom(l)) continue;
      const saved = -this.delta(i, l);
      if (!(saved > 1e-15)) continue;
      const key = (s[i * k + a] - s[i * k + l]) / saved;
      if (key < bk) {
        bk = key;
        bl = l;
      }
    }
    return { l: bl, key: bk };
  }

  /** Greedy downgrades until the bill fits the budget (or nothing cheaper is left). */
  repairBudget(B: number): void {
    if (this.total <= B) return;
    const n = this.n;
    const keyOf = new Float64Array(n);
    const to = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const d = this.bestDown(i);
      keyOf[i] = d.key;
      to[i] = d.l;
    }
    let guard = 0;
    while (this.total > B && guard++ < 50 * n + 100) {
      let bi = -1;
      let bk = Infinity;
      for (let i = 0; i < n; i++) {
        if (keyOf[i] < bk) {
          bk = keyOf[i];
          bi = i;
        }
      }
      if (bi < 0) break;
      // Keys go stale as counts (room, tiers) change: refresh the winner before using it.
      const fresh = this.bestDown(bi);
      if (fresh.l < 0) {
        keyOf[bi] = Infinity;
        continue;
      }
      if (fresh.key > bk + 1e-12 * (1 + Math.abs(bk))) {
        keyOf[bi] = fresh.key;
        to[bi] = fresh.l;
        continue;
      }
      this.move(bi, fresh.l);
      const next = this.bestDown(bi);
      keyOf[bi] = next.key;
      to[bi] = next.l;
    }
  }

  /** Best upgrade of query i that fits `room` dollars: highest gain per dollar (free ones first). */
  private bestUp(i: number, room: number): { l: number; key: number } {
    const { k, w } = this;
    const s = w.s;
    const a = this.x[i];
    let bl = -1;
    let bk = 0;
    for (let l = 0; l < k; l++) {
      if (l === a || !this.hasRoom(l)) continue;
      const gain = s[i * k + l] - s[i * k + a];
      if (!(gain > 1e-12)) continue;
      const d = this.delta(i, l);
      if (d > room) continue;
      // A move that gains quality and does not cost money beats any priced one.
      const key = d <= 1e-15 ? 1e15 * gain : gain / d;
      if (key > bk) {
        bk = key;
        bl = l;
      }
    }
    return { l: bl, key: bk };
  }

  /**
   * Pairs an upgrade that does not fit the leftover budget with the downgrade elsewhere that
   * frees enough money at the smallest quality loss; applies the pairs that gain. This is
   * what fixes the greedy's classic knapsack mistakes (a cheap upgrade taken early that
   * blocks a better, pricier one). Downgrades sorted by money saved, with running minima of
   * the loss, answer "cheapest loss freeing at least X" by binary search: O(nk log nk).
   */
  exchange(B: number): boolean {
    const { n, k, w } = this;
    const s = w.s;
    const leftover = B - this.total;
    if (!(leftover >= 0)) return false;
    const cap = n * k;
    const dq = new Int32Array(cap);
    const dl = new Int32Array(cap);
    const dSaved = new Float64Array(cap);
    const dLoss = new Float64Array(cap);
    let m = 0;
    for (let i = 0; i < n; i++) {
      const a = this.x[i];
      for (let l = 0; l < k; l++) {
        if (l === a || !this.hasRoom(l)) continue;
        const saved = -this.delta(i, l);
        if (!(saved > 1e-15)) continue;
        dq[m] = i;
        dl[m] = l;
        dSaved[m] = saved;
        dLoss[m] = s[i * k + a] - s[i * k + l];
        m++;
      }
    }
    if (m === 0) return false;
    const order = orderByDescending(dSaved, m);
    // Running best and second best (from a different query) loss over the prefix.
    const best1 = new Int32Array(m);
    const best2 = new Int32Array(m);
    for (let r = 0; r < m; r++) {
      const t = order[r];
      let b1 = r > 0 ? best1[r - 1] : -1;
      let b2 = r > 0 ? best2[r - 1] : -1;
      if (b1 < 0 || dLoss[t] < dLoss[b1]) {
        if (b1 >= 0 && dq[b1] !== dq[t]) b2 = b1;
        b1 = t;
      } else if (dq[t] !== dq[b1] && (b2 < 0 || dLoss[t] < dLoss[b2])) b2 = t;
      best1[r] = b1;
      best2[r] = b2;
    }
    const pairs: { net: number; i: number; l: number; d: number }[] = [];
    for (let i = 0; i < n; i++) {
      const a = this.x[i];
      for (let l = 0; l < k; l++) {
        if (l === a) continue;
        const gain = s[i * k + l] - s[i * k + a];
        if (!(gain > 1e-12)) continue;
        const need = this.delta(i, l) - leftover;
        if (need <= 0 && this.hasRoom(l)) continue; // improve() takes those
        // Last prefix position whose saving still covers `need`.
        let lo = 0;
        let hi = m - 1;
        let pos = -1;
        while (lo <= hi) {
          const mid = (lo + hi) >>> 1;
          if (dSaved[order[mid]] >= need) {
            pos = mid;
            lo = mid + 1;
          } else hi = mid - 1;
        }
        if (pos < 0) continue;
        const d = dq[best1[pos]] !== i ? best1[pos] : best2[pos];
        if (d < 0) continue;
        const net = gain - dLoss[d];
        if (net > 1e-12) pairs.push({ net, i, l, d });
      }
    }
    if (pairs.length === 0) return false;
    pairs.sort((u, v) => v.net - u.net);
    const touched = new Uint8Array(n);
    let improved = false;
    for (const pr of pairs) {
      const i2 = dq[pr.d];
      if (touched[pr.i] || touched[i2]) continue;
      const fromI = this.x[pr.i];
      const fromI2 = this.x[i2];
      this.move(i2, dl[pr.d]);
      this.move(pr.i, pr.l);
      // Exact re-check: tiers and capacity may have shifted since the pair was priced.
      if (this.total > B || this.count[pr.l] > w.cap[pr.l] || this.count[dl[pr.d]] > w.cap[dl[pr.d]]) {
        this.move(pr.i, fromI);
        this.move(i2, fromI2);
        continue;
      }
      touched[pr.i] = 1;
      touched[i2] = 1;
      improved = true;
    }
    return improved;
  }

  /** Spends the leftover budget on the upgrades with the best gain per dollar. */
  improve(B: number): void {
    if (this.total > B) return;
    const n = this.n;
    const keyOf = new Float64Array(n);
    for (let i = 0; i < n; i++) keyOf[i] = this.bestUp(i, B - this.total).key;
    let guard = 0;
    while (guard++ < 50 * n + 100) {
      let bi = -1;
      let bk = 0;
      for (let i = 0; i < n; i++) {
        if (keyOf[i] > bk) {
          bk = keyOf[i];
          bi = i;
        }
      }
      if (bi < 0) break;
      const fresh = this.bestUp(bi, B - this.total);
      if (fresh.l < 0) {
        keyOf[bi] = 0;
        continue;
      }
      if (fresh.key < bk - 1e-12 * (1 + Math.abs(bk))) {
        keyOf[bi] = fresh.key;
        continue;
      }
      this.move(bi, fresh.l);
      keyOf[bi] = this.bestUp(bi, B - this.total).key;
    }
  }
}

const INDEX_BITS = 21;

/**
 * Indices of the first m (positive) values, largest value first. Writes each index into the
 * low mantissa bits of its value and sorts the doubles natively: a comparator sort is several
 * times slower here, and the 2^-31 relative precision left is plenty to rank savings.
 */
function orderByDescending(values: Float64Array, m: number): Int32Array {
  const order = new Int32Array(m);
  if (m >= 1 << INDEX_BITS) {
    for (let t = 0; t < m; t++) order[t] = t;
    return order.sort((u, v) => values[v] - values[u]);
  }
  const keys = new Float64Array(m);
  const words = new Uint32Array(keys.buffer);
  const lo = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1; // little-endian: low word first
  const mask = (1 << INDEX_BITS) - 1;
  for (let t = 0; t < m; t++) {
    keys[t] = values[t];
    words[2 * t + lo] = ((words[2 * t + lo] & ~mask) | t) >>> 0;
  }
  keys.sort();
  for (let r = 0; r < m; r++) order[r] = words[2 * (m - 1 - r) + lo] & mask;
  return order;
}

/** Number of positions where a and b differ, counting no further than limit + 1. */
function differing(a: Int32Array, b: Int32Array, limit: number): number {
  let d = 0;
  for (let i = 0; i < a.length && d <= limit; i++) if (a[i] !== b[i]) d++;
  return d;
}

/** Whether node b is already on the predecessor chain ending at a. */
function onPath(prev: Int32Array, a: number, b: number): boolean {
  for (let v = a, steps = 0; v >= 0 && steps <= prev.length; v = prev[v], steps++) if (v === b) return true;
  return false;
}

/** k-th largest value (1-based) of a; reorders a (Hoare quickselect, expected O(n)). */
function kthLargest(a: Float64Array, kth: number): number {
  const target = a.length - kth;
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target];
  }
  return a[target];
}
