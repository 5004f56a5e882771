/** A model (or any option) seen as its expected quality and expected cost per query. */
export interface ParetoPoint {
  id: string;
  /** Higher is better (e.g. mean judged quality in [0, 1]). */
  quality: number;
  /** Lower is better (e.g. expected USD per query). */
  cost: number;
}

export interface Frontier<P extends ParetoPoint = ParetoPoint> {
  /** Non-dominated points, cheapest first (quality then rises strictly, except exact duplicates). */
  frontier: P[];
  /** Everything else, in input order. */
  dominated: P[];
}

function check(p: ParetoPoint): void {
  if (!Number.isFinite(p.quality) || !Number.isFinite(p.cost)) {
    throw new RangeError(`point ${p.id} needs finite quality and cost, got quality=${p.quality} cost=${p.cost}`);
  }
}

/** a is at least as good on both axes and strictly better on one. */
export function dominates(a: ParetoPoint, b: ParetoPoint): boolean {
  return a.cost <= b.cost && a.quality >= b.quality && (a.cost < b.cost || a.quality > b.quality);
}

/**
 * O(n log n) sweep: after sorting by cost (then quality descending), a point is on the
 * frontier iff its quality beats every cheaper point's. Exact duplicates dominate neither
 * each other, so both stay on the frontier, in id order.
 */
export function paretoFrontier<P extends ParetoPoint>(points: readonly P[]): Frontier<P> {
  points.forEach(check);
  const order = points
    .map((p, i) => ({ p, i }))
    .sort(
      (a, b) => a.p.cost - b.p.cost || b.p.quality - a.p.quality || (a.p.id < b.p.id ? -1 : a.p.id > b.p.id ? 1 : 0),
    );
  const frontier: P[] = [];
  const onFrontier = new Set<number>();
  let last: P | undefined;
  for (const { p, i } of order) {
    if (!last || p.quality > last.quality || (p.quality === last.quality && p.cost === last.cost)) {
      frontier.push(p);
      onFrontier.add(i);
      last = p;
    }
  }
  return { frontier, dominated: points.filter((_, i) => !onFrontier.has(i)) };
}

/**
 * The best quality whose cost fits the budget (the cheaper one on a tie); the cheapest point
 * when nothing fits (the better of equally cheap ones), because answering over budget
 * beats not answering. Works on any list,
 * frontier or not. Undefined only for an empty list.
 */
export function pickByBudget<P extends ParetoPoint>(points: readonly P[], budget: number): P | undefined {
  let best: P | undefined;
  let cheapest: P | undefined;
  for (const p of points) {
    if (!cheapest || p.cost < cheapest.cost || (p.cost === cheapest.cost && p.quality > cheapest.quality)) cheapest = p;
    if (p.cost <= budget && (!best || p.quality > best.quality || (p.quality === best.quality && p.cost < best.cost)))
      best = p;
  }
  return best ?? cheapest;
}

/**
 * The cheapest point with quality >= qMin (the better one on a tie); the best quality when
 * nothing qualifies. Undefined only for an empty list.
 */
export function pickByMinQuality<P extends ParetoPoint>(points: readonly P[], qMin: number): P | undefined {
  let best: P | undefined;
  let top: P | undefined;
  for (const p of points) {
    if (!top || p.quality > top.quality || (p.quality === top.quality && p.cost < top.cost)) top = p;
    if (p.quality >= qMin && (!best || p.cost < best.cost || (p.cost === best.cost && p.quality > best.quality)))
      best = p;
  }
  return best ?? top;
}

/**
 * Vertices of the upper-left convex hull of the frontier, cheapest first. These are the
 * points that maximise quality - lambda * cost for some lambda >= 0; a frontier point under
 * the hull is beaten in expectation by randomising between its two hull neighbours, which is
 * why budget holding mixes hull vertices only.
 */
export function upperHull<P extends ParetoPoint>(points: readonly P[]): P[] {
  const { frontier } = paretoFrontier(points);
  const hull: P[] = [];
  for (const p of frontier) {
    const prev = hull[hull.length - 1];
    if (prev && prev.cost === p.cost && prev.quality === p.quality) continue;
    while (hull.length >= 2) {
      const a = hull[hull.length - 2];
      const b = hull[hull.length - 1];
      // b is dropped when it lies on or under the chord a -> p.
      const cross = (b.cost - a.cost) * (p.quality - a.quality) - (b.quality - a.quality) * (p.cost - a.cost);
      if (cross >= 0) hull.pop();
      else break;
    }
    hull.push(p);
  }
  return hull;
}

export interface Mix<P extends ParetoPoint = ParetoPoint> {
  lo: P;
  hi: P;
  /** Probability of choosing hi (lo gets 1 - pHi). */
  pHi: number;
  /** Choice probability per point id (one or two entries; sums to 1). */
  probabilities: Record<string, number>;
  expectedCost: number;
  expectedQuality: number;
}

/**
 * The randomisation between two adjacent hull vertices whose mean cost equals `targetCost`
 * exactly: the best expected quality any policy over these points can reach at that mean
 * cost. Below the cheapest vertex it is that vertex alone; above the best one, the best one
 * alone (spending less than the target, since nothing buys more quality).
 */
export function mixForCost<P extends ParetoPoint>(points: readonly P[], targetCost: number): Mix<P> {
  if (!Number.isFinite(targetCost)) throw new RangeError(`targetCost must be finite, got ${targetCost}`);
  const hull = upperHull(points);
  if (hull.length === 0) throw new RangeError('mixForCost needs at least one point');
  const pure = (p: P): Mix<P> => ({
    lo: p,
    hi: p,
    pHi: 0,
    probabilities: { [p.id]: 1 },
    expectedCost: p.cost,
    expectedQuality: p.quality,
  });
  if (targetCost <= hull[0].cost) return pure(hull[0]);
  const top = hull[hull.length - 1];
  if (targetCost >= top.cost) return pure(top);
  let i = 0;
  while (hull[i + 1].cost <= targetCost) i++;
  const lo = hull[i];
  const hi = hull[i + 1];
  const pHi = (targetCost - lo.cost) / (hi.cost - lo.cost);
  if (pHi === 0) return pure(lo);
  return {
    lo,
    hi,
    pHi,
    probabilities: { [lo.id]: 1 - pHi, [hi.id]: pHi },
    expectedCost: targetCost,
    expectedQuality: lo.quality + pHi * (hi.quality - lo.quality),
  };
}

/** Draws from a mix with a caller-supplied uniform u in [0, 1), so that the caller owns the randomness. */
export function sampleMix<P extends ParetoPoint>(mix: Mix<P>, u: number): P {
  return u < mix.pHi ? mix.hi : mix.lo;
}

/**
 * The budget's dual price: the slope (quality per USD) of the hull segment that brackets
 * `targetCost`, i.e. the lambda at which maximising quality - lambda * cost is indifferent
 * between the two points mixForCost would randomise over. A good lambda0 for a pacer, so
 * that it does not have to learn the scale from overspending first. 0 when the target buys
 * the best point anyway; the steepest slope when the target is below the cheapest point
 * (Infinity if there is only one point).
 */
export function lambdaForCost(points: readonly ParetoPoint[], targetCost: number): number {
  const hull = upperHull(points);
  if (hull.length === 0) throw new RangeError('lambdaForCost needs at least one point');
  if (targetCost >= hull[hull.length - 1].cost) return 0;
  if (hull.length === 1) return Infinity;
  let i = 0;
  while (i + 2 < hull.length && hull[i + 1].cost <= targetCost) i++;
  const a = hull[i];
  const b = hull[i + 1];
  return (b.quality - a.quality) / (b.cost - a.cost);
}
