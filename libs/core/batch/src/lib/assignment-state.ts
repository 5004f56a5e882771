import { Prepared, TierSchedule, preparedCost, tierFactor } from './problem';

/**
 * An assignment with per-model counts and list-price spend kept up to date, so that the exact
 * (tiered) change of the bill for moving one query is O(1). The capacity and budget repairs
 * and the local search all work on one of these.
 */
export class IncrementalAssignment {
  /** Model per query (a copy: the caller's array is not changed). */
  readonly x: Int32Array;
  /** Queries per model. */
  readonly count: Int32Array;
  /** List-price spend per model, before discounts. */
  readonly spend: Float64Array;
  /** Exact bill, discounts applied. */
  total: number;
  readonly n: number;
  readonly k: number;
  readonly cost: Float64Array;
  readonly capacity: Float64Array;
  private readonly tiers: (TierSchedule | null)[];
  private readonly hasTiers: boolean;

  constructor(
    prepared: Prepared,
    /** Objective coefficient per (i, j) that the local search maximises. */
    readonly scores: Float64Array,
    x: Int32Array,
  ) {
    this.n = prepared.n;
    this.k = prepared.k;
    this.cost = prepared.cost;
    this.capacity = prepared.cap;
    this.tiers = prepared.tiers;
    this.hasTiers = prepared.tiers.some((t) => t !== null);
    this.x = Int32Array.from(x);
    this.count = new Int32Array(this.k);
    this.spend = new Float64Array(this.k);
    for (let i = 0; i < this.n; i++) {
      const j = x[i];
      this.count[j]++;
      this.spend[j] += this.cost[i * this.k + j];
    }
    this.total = preparedCost(prepared, this.x);
  }

  private factor(j: number, count: number): number {
    const t = this.tiers[j];
    return t ? tierFactor(t, count) : 1;
  }

  /** Exact change of the total bill if query i moves to model `to`. */
  costDelta(i: number, to: number): number {
    const from = this.x[i];
    if (from === to) return 0;
    const costFrom = this.cost[i * this.k + from];
    const costTo = this.cost[i * this.k + to];
    if (!this.hasTiers) return costTo - costFrom;
    const countFrom = this.count[from];
    const countTo = this.count[to];
    const spendFrom = this.spend[from];
    const spendTo = this.spend[to];
    return (
      this.factor(from, countFrom - 1) * (spendFrom - costFrom) -
      this.factor(from, countFrom) * spendFrom +
      this.factor(to, countTo + 1) * (spendTo + costTo) -
      this.factor(to, countTo) * spendTo
    );
  }

  move(i: number, to: number): void {
    const from = this.x[i];
    const delta = this.costDelta(i, to);
    this.count[from]--;
    this.spend[from] -= this.cost[i * this.k + from];
    this.count[to]++;
    this.spend[to] += this.cost[i * this.k + to];
    this.x[i] = to;
    this.total += delta;
  }

  hasRoom(j: number): boolean {
    return this.count[j] < this.capacity[j];
  }

  /** Queries above capacity, summed over models. */
  overCapacity(): number {
    let over = 0;
    for (let j = 0; j < this.k; j++) over += Math.max(0, this.count[j] - this.capacity[j]);
    return over;
  }
}
