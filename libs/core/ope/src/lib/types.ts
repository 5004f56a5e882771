export type ArmId = string;

/** Context features: dense, or sparse (index -> value, as routing.decisions carries them). */
export type Features = readonly number[] | Float64Array | Readonly<Record<string, number>>;

/** One logged routing decision joined with the reward it earned. */
export interface LoggedDecision {
  features?: Features;
  /** Arms the logging policy could choose from for this query. */
  available: readonly ArmId[];
  /** Arm the logging policy chose. */
  arm: ArmId;
  /** Probability with which the logging policy chose `arm`, in (0, 1]. */
  propensity: number;
  /** Observed reward of `arm` (e.g. quality - lambda * cost). */
  reward: number;
  /** Expected cost in USD of each arm at decision time (the decision's price snapshot). */
  costs?: Readonly<Record<ArmId, number>>;
  /** Judged quality of `arm`, when the reward was built from it. */
  quality?: number;
}

/** A candidate policy: its action probabilities for a logged context. Missing arms = 0. */
export type TargetPolicy = (record: LoggedDecision) => Readonly<Record<ArmId, number>>;

/** Predicted reward of `arm` for a logged context (the direct-method part of DR). */
export type RewardModel = (record: LoggedDecision, arm: ArmId) => number;

export interface EstimateOptions {
  /** Two-sided confidence level of [lower, upper]; default 0.95. */
  level?: number;
  /**
   * Propensity clipping: logged propensities below this are raised to it, which caps every
   * importance weight at pi / minPropensity. Trades a little bias for much less variance when
   * the logging policy rarely tried what the candidate does.
   */
  minPropensity?: number;
  /** Weight clipping: importance weights above this are cut to it (same trade-off). */
  maxWeight?: number;
}

export type EstimatorName = 'ips' | 'snips' | 'dr' | 'on-policy';

export interface OpeEstimate {
  estimator: EstimatorName;
  /** Estimated mean reward per decision of the evaluated policy. */
  estimate: number;
  stdError: number;
  /** Normal-approximation interval at `level`. */
  lower: number;
  upper: number;
  level: number;
  n: number;
  /**
   * Kish effective sample size of the importance weights, (sum w)^2 / sum w^2: how many
   * on-policy samples the estimate is worth. n for the logging policy itself.
   */
  effectiveSampleSize: number;
  /** Records whose weight was clipped. */
  clipped: number;
}
