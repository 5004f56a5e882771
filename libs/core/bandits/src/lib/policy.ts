/**
 * The one interface every routing policy implements (MABWiser / VW-reductions style: one
 * policy per file, state that serialises and merges).
 *
 * Policies learn QUALITY only. Cost is not learned: the caller passes the expected cost of
 * every arm for this query (current price x expected tokens), and the policy scores
 *     score(arm) = qualityEstimate(arm, context) [+ exploration] - lambda * cost(arm)
 * so a price event changes the very next decision without any re-exploration.
 */
export type ArmId = string;

/** A sparse vector in plain JSON: the indices of the non-zero entries and their values. */
export interface SparseVector {
  indices: number[];
  values: number[];
}

/** What the policy sees of a query. */
export interface DecisionContext {
  /** Dense feature vector (dimension fixed per policy instance); contextual policies need it. */
  features?: ArrayLike<number>;
  /** Raw prompt text, for policies that featurise or look at it themselves. */
  text?: string;
  /**
   * What the policy derived from `text` (Policy.textFeatures), as logged with the decision. A
   * policy that featurises text uses these instead of `text`: the learner, which never sees
   * the prompt, then learns from exactly what the router decided on.
   */
  textFeatures?: SparseVector;
}

export interface DecideConstraints {
  /** Cost weight: R = quality - lambda * cost. */
  lambda: number;
  /** Expected cost in USD of answering this query with each arm. Missing arm => cost 0. */
  costs: Readonly<Record<ArmId, number>>;
  /** Arms whose expected cost exceeds this are not eligible (unless none is). */
  maxCostUsd?: number;
  /** Arms whose quality estimate is below this are not eligible (unless none is). */
  minQuality?: number;
  /**
   * How many of the caller's own decisions went to each arm (a router's, since its policy was
   * built), whether or not their rewards have reached the policy yet. Cold start counts them: an
   * arm whose cold pulls are all decided but not yet learnt from is awaited, not tried again on
   * every query until its rewards arrive (`awaitedColdArms`). Without it (the replay, which learns
   * each outcome before the next decision) nothing changes.
   */
  decided?: Readonly<Record<ArmId, number>>;
}

export interface Decision {
  arm: ArmId;
  /** Probability with which this arm was chosen, in (0, 1]: logged for off-policy evaluation. */
  propensity: number;
  /** The score each eligible arm received (what the policy maximised). */
  scores: Record<ArmId, number>;
  /** Full choice distribution over eligible arms; sums to 1. */
  probabilities: Record<ArmId, number>;
}

/** One observed outcome of one pulled arm. */
export interface Outcome {
  /** Judged quality in [0, 1]. */
  quality: number;
  /** Realised cost in USD (kept for bookkeeping; policies do not learn it). */
  costUsd: number;
  /**
   * The arm's expected cost when the decision was made (DecideConstraints.costs[arm], logged
   * as DecisionEvent.priceSnapshot). A policy that learns usage compares costUsd with it;
   * without it, it learns quality only.
   */
  expectedCostUsd?: number;
  /**
   * The constraints the decision was made under, as logged (DecisionEvent.lambda and
   * priceSnapshot): bookkeeping that depends on them (conservative's exploration spend) is
   * done when learning, from the log, so that a learner that never decided reaches the same state.
   */
  decidedWith?: DecideConstraints;
}

/** What a policy believes about an arm's quality (for Pareto frontiers and batch planning). */
export interface QualityEstimate {
  mean: number;
  /** Half-width of a ~95% confidence interval (Infinity when the arm is unseen and has no prior). */
  halfWidth: number;
  /** Effective number of observations. */
  n: number;
}

/** Optional prior for a (new) arm: pseudo-observations of a given mean quality. */
export interface ArmPrior {
  mean: number;
  /** Weight of the prior, in pseudo-observations. */
  weight: number;
}

/** Serialised state: plain JSON, algorithm-tagged, versioned by the caller. */
export interface PolicyState {
  algorithm: string;
  params: Record<string, unknown>;
  arms: ArmId[];
  /** Algorithm-specific sufficient statistics (plain numbers and arrays). */
  stats: unknown;
  /** PRNG state, so that a restored policy continues the same random sequence. */
  rng?: number;
}

export interface Policy {
  readonly algorithm: string;
  /** Arms currently known to the policy. */
  arms(): ArmId[];
  decide(context: DecisionContext, available: readonly ArmId[], constraints: DecideConstraints): Decision;
  update(context: DecisionContext, arm: ArmId, outcome: Outcome): void;
  /** What the policy believes; never changes the policy's state. */
  estimate(context: DecisionContext, arm: ArmId): QualityEstimate;
  /**
   * For policies that featurise the prompt text themselves: those features, to be logged with
   * the decision (the text is not) and passed back as DecisionContext.textFeatures to learn.
   * Deterministic: the same text gives the same vector in every replica.
   */
  textFeatures?(text: string): SparseVector;
  /** Hot add: a new arm starts cold (optimistic) or from a prior. Adding a known arm is a no-op. */
  addArm(arm: ArmId, prior?: ArmPrior): void;
  /** Hot removal: the arm is never chosen again; its statistics are dropped. */
  removeArm(arm: ArmId): void;
  toState(): PolicyState;
  /**
   * Adds another replica's statistics to this one. Both replicas must have started from the
   * same prior; the prior is counted once.
   *
   * `base` (optional) is the common snapshot both replicas started from, when that is more
   * than the bare prior (e.g. both were restored from the same policy.updates snapshot):
   * its statistics are then subtracted once, so they are not counted twice either.
   */
  merge(other: PolicyState, base?: PolicyState): void;
}
