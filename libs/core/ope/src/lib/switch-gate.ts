import { checkPolicyOptions, createPolicy, Policy } from '@llm-router/bandits';
import { loggedContext } from '@llm-router/engine';
import { evaluatePolicy, onPolicyValue } from './estimators';
import { GateDecision, promotionGate } from './gate';
import { ArmId, LoggedDecision, OpeEstimate, TargetPolicy } from './types';

/**
 * One decision of a scope's log as PostgreSQL keeps it (decisions joined with rewards): what
 * the policy saw (features, text features, prices, lambda), what it chose and with which
 * probability, and what that earned. Fallbacks and caller-chosen models are not in it: they
 * are not the policy's choices.
 */
export interface StoredDecision {
  decisionId: string;
  /** Algorithm that made the decision. */
  policy: string;
  arm: ArmId;
  propensity: number;
  features: Record<string, number> | null;
  textFeatures: { indices: number[]; values: number[] } | null;
  priceSnapshot: Record<ArmId, number>;
  lambda: number;
  quality: number;
  costUsd: number;
  /** quality - lambda * cost, as the ledger recorded it. */
  reward: number;
}

/** A policy to switch to: a registered name and its options (as POLICY_OPTIONS would give them). */
export interface CandidateSpec {
  algorithm: string;
  options?: Record<string, unknown>;
}

/** What the engine would give the candidate in the services: FEATURE_DIM and POLICY_SEED. */
export interface CandidateDefaults {
  featureDim: number;
  seed: number;
}

/** Defaults of the switch gate, shared by the aggregator's configuration and the OPE CLI. */
export const SWITCH_GATE_DEFAULTS = {
  tolerance: 0.02,
  level: 0.95,
  minEffectiveSampleSize: 10,
  /** Most recent rewarded decisions of the scope that are read. */
  maxDecisions: 20000,
} as const;

export interface SwitchGateOptions {
  /**
   * The candidate passes when its lower bound is at least the current policy's estimate minus
   * this (reward units): a switch to an equally good policy is allowed, a clearly worse one is not.
   */
  tolerance: number;
  /** Two-sided level of the intervals (default 0.95). */
  level?: number;
  /** Refuse below this effective sample size of the importance weights (default 10). */
  minEffectiveSampleSize?: number;
  /** Propensity clipping, as the estimators take it. */
  minPropensity?: number;
}

export interface SwitchVerdict {
  candidate: CandidateSpec;
  pass: boolean;
  reason: string;
  /** Decisions evaluated. */
  n: number;
  tolerance: number;
  level: number;
  /** The current policy's value: the mean logged reward. */
  current: Pick<OpeEstimate, 'estimate' | 'stdError' | 'lower' | 'upper' | 'n'>;
  /** The gate on each estimator: the switch needs both to pass. */
  snips: GateDecision;
  dr: GateDecision;
  /** Mean expected cost per decision under the candidate (USD; null without prices). */
  candidateMeanCostUsd: number | null;
}

export interface SwitchEvaluation {
  verdict: SwitchVerdict;
  /** The candidate after learning from the whole log: what goes live if the switch passes. */
  policy: Policy;
}

/** Logged decision for the estimators: the arms offered are the ones priced at decision time. */
export function toOpeRecord(d: StoredDecision): LoggedDecision {
  const available = Object.keys(d.priceSnapshot);
  if (!available.includes(d.arm)) available.push(d.arm);
  return {
    features: d.features ?? undefined,
    available,
    arm: d.arm,
    propensity: d.propensity,
    reward: d.reward,
    quality: d.quality,
    costs: d.priceSnapshot,
  };
}

/**
 * Evaluates a candidate on a scope's log and decides whether to switch to it. The candidate is
 * created as the engine creates a scope's policy and replayed over the log in order: for each
 * decision its choice probabilities are recorded (from the context the decision logged), then
 * it learns the logged outcome, the only one observed. Its value is estimated with SNIPS and
 * doubly robust; each must clear the current policy's value minus `tolerance` with its lower
 * bound. Throws a RangeError for an unknown policy or bad options.
 */
export function evaluateSwitch(
  log: readonly StoredDecision[],
  candidate: CandidateSpec,
  defaults: CandidateDefaults,
  opts: SwitchGateOptions,
): SwitchEvaluation {
  const options = checkPolicyOptions(candidate.algorithm, candidate.options);
  const arms = [...new Set(log.flatMap((d) => [...Object.keys(d.priceSnapshot), d.arm]))].sort();
  const policy = createPolicy(candidate.algorithm, { arms, seed: defaults.seed, d: defaults.featureDim, ...options });
  const records = log.map(toOpeRecord);
  const probabilities = new Map<LoggedDecision, Readonly<Record<ArmId, number>>>();
  log.forEach((d, i) => {
    const ctx = loggedContext(
      { features: d.features ?? undefined, textFeatures: d.textFeatures ?? undefined },
      defaults.featureDim,
    );
    const decision = policy.decide(ctx, records[i].available, { lambda: d.lambda, costs: d.priceSnapshot });
    probabilities.set(records[i], decision.probabilities);
    policy.update(ctx, d.arm, { quality: d.quality, costUsd: d.costUsd, expectedCostUsd: d.priceSnapshot[d.arm] });
  });
  const target: TargetPolicy = (r) => probabilities.get(r) ?? {};
  return { verdict: switchGate(records, target, candidate, opts), policy };
}

/** The gate itself, on records and a candidate's probabilities (the CLI and tests use it directly). */
export function switchGate(
  records: readonly LoggedDecision[],
  target: TargetPolicy,
  candidate: CandidateSpec,
  opts: SwitchGateOptions,
): SwitchVerdict {
  const level = opts.level ?? SWITCH_GATE_DEFAULTS.level;
  if (!(opts.tolerance >= 0)) throw new RangeError(`tolerance must be >= 0, got ${opts.tolerance}`);
  const current = onPolicyValue(records, { level });
  const ev = evaluatePolicy(records, target, { level, minPropensity: opts.minPropensity });
  const gate = (e: OpeEstimate) =>
    promotionGate(e, current, {
      level,
      margin: -opts.tolerance,
      minEffectiveSampleSize: opts.minEffectiveSampleSize ?? SWITCH_GATE_DEFAULTS.minEffectiveSampleSize,
    });
  const snips = gate(ev.snips);
  const dr = gate(ev.dr);
  const pass = records.length > 0 && snips.promote && dr.promote;
  const reason =
    records.length === 0
      ? 'no logged decision with a reward to evaluate the candidate on'
      : pass
        ? `passed: SNIPS ${snips.reason}; DR ${dr.reason}`
        : `refused: ${[!snips.promote && `SNIPS ${snips.reason}`, !dr.promote && `DR ${dr.reason}`].filter(Boolean).join('; ')}`;
  return {
    candidate,
    pass,
    reason,
    n: records.length,
    tolerance: opts.tolerance,
    level,
    current: {
      estimate: current.estimate,
      stdError: current.stdError,
      lower: current.lower,
      upper: current.upper,
      n: current.n,
    },
    snips,
    dr,
    candidateMeanCostUsd: ev.meanCost,
  };
}
