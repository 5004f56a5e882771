import { Ridge, RidgeState } from './ridge';
import { TrafficMean } from './usage';

/** What auto knows about one arm. Quality = baseQuality + noise * (shared(x) + deviation(x)). */
export interface ArmModel {
  /** Mean quality the deviation model is centred on (offline mean, or assumed for a cold arm). */
  baseQuality: number;
  /** Per-coordinate prior sd of the deviation model (noise units). */
  deviationScale: Float64Array;
  /**
   * Coefficients on RAW features a cold arm took over when it was first observed (null for
   * most arms): the incumbent's deviation shape and the others' usage shape, so that it only
   * has to learn its level and its own differences, not the prompt structure from scratch.
   */
  borrowedDeviation: Float64Array | null;
  borrowedUsage: Float64Array | null;
  /** How the arm deviates from its own mean on a prompt (noise units). */
  deviation: Ridge;
  /** log(cost / expected cost at decision) on the usage features. */
  usage: Ridge;
  pulls: number;
  /** Rows of an offline file this arm was warm-started from. */
  offlineRows: number;
  /** Traffic mean of exp(usage offset): what keeps the usage model off the cost level. */
  usageMultiplier: TrafficMean;
  /**
   * Traffic mean of the deviation (noise units). The template indicators always sum to the
   * same value, so the level of a deviation model is spread over them rather than sitting in
   * its intercept; this mean is what separates the level from the shape.
   */
  deviationMean: TrafficMean;
  /** Statistics that came from a prior (warm start, cold weight), counted once when replicas merge. */
  deviationPrior: RidgeState | null;
  usagePrior: RidgeState | null;
  /** Added without a prior: borrows an incumbent's shape until its first outcome. */
  cold: boolean;
}

/** `coreSize`: the coordinates whose covariance the ridge models keep in full (see Ridge). */
export function blankArmModel(
  baseQuality: number,
  deviationScale: Float64Array,
  dimension: number,
  coreSize: number,
): ArmModel {
  return {
    baseQuality,
    deviationScale: Float64Array.from(deviationScale),
    borrowedDeviation: null,
    borrowedUsage: null,
    deviation: new Ridge(dimension, coreSize),
    usage: new Ridge(dimension, coreSize),
    pulls: 0,
    offlineRows: 0,
    usageMultiplier: { mean: 0, count: 0 },
    deviationMean: { mean: 0, count: 0 },
    deviationPrior: null,
    usagePrior: null,
    cold: false,
  };
}

/** Has never been observed (no outcome, no offline row). */
export function unobserved(m: ArmModel): boolean {
  return m.pulls + m.offlineRows === 0;
}
