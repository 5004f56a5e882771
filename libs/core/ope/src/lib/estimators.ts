import { meanAndStdError, zFor } from './stats';
import { ArmId, EstimateOptions, EstimatorName, LoggedDecision, OpeEstimate, RewardModel, TargetPolicy } from './types';

/**
 * Off-policy estimators of a candidate policy's mean reward from decisions logged by another
 * (stochastic) policy. All rely on the logged propensity of the chosen arm, so the logging
 * policy must have given every arm the candidate may choose a positive probability.
 *
 *   IPS    V = mean_i w_i r_i,                      w_i = pi(a_i|x_i) / mu_i
 *   SNIPS  V = sum_i w_i r_i / sum_i w_i            (self-normalised: bounded by the rewards)
 *   DR     V = mean_i [ sum_a pi(a|x_i) rhat(x_i,a) + w_i (r_i - rhat(x_i,a_i)) ]
 *
 * Intervals are normal approximations; SNIPS' standard error is the delta-method one.
 */

interface Weighted {
  w: Float64Array;
  clipped: number;
}

function checkRecord(r: LoggedDecision, i: number): void {
  if (!(r.propensity > 0 && r.propensity <= 1))
    throw new RangeError(`record ${i}: propensity must be in (0, 1], got ${r.propensity}`);
  if (!Number.isFinite(r.reward)) throw new RangeError(`record ${i}: reward is not finite`);
}

/** Candidate probabilities for a record, validated: non-negative, summing to 1. */
function probabilities(policy: TargetPolicy, r: LoggedDecision, i: number): Readonly<Record<ArmId, number>> {
  const p = policy(r);
  let sum = 0;
  for (const a in p) {
    const v = p[a];
    if (!(v >= 0)) throw new RangeError(`record ${i}: candidate probability of ${a} is ${v}`);
    sum += v;
  }
  if (Math.abs(sum - 1) > 1e-6) throw new RangeError(`record ${i}: candidate probabilities sum to ${sum}, not 1`);
  return p;
}

function weights(
  logs: readonly LoggedDecision[],
  policy: TargetPolicy,
  opts: EstimateOptions,
  probs?: Readonly<Record<ArmId, number>>[],
): Weighted {
  const n = logs.length;
  const w = new Float64Array(n);
  let clipped = 0;
  const minP = opts.minPropensity ?? 0;
  const maxW = opts.maxWeight ?? Infinity;
  for (let i = 0; i < n; i++) {
    const r = logs[i];
    checkRecord(r, i);
    const p = probabilities(policy, r, i);
    if (probs) probs.push(p);
    const pi = p[r.arm] ?? 0;
    let wi = pi / Math.max(r.propensity, minP);
    if (r.propensity < minP && pi > 0) clipped++;
    if (wi > maxW) {
      wi = maxW;
      clipped++;
    }
    w[i] = wi;
  }
  return { w, clipped };
}

function ess(w: Float64Array): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < w.length; i++) {
    s += w[i];
    s2 += w[i] * w[i];
  }
  return s2 > 0 ? (s * s) / s2 : 0;
}

function result(
  estimator: EstimatorName,
  estimate: number,
  stdError: number,
  n: number,
  effectiveSampleSize: number,
  clipped: number,
  opts: EstimateOptions,
): OpeEstimate {
  const level = opts.level ?? 0.95;
  const z = zFor(level);
  const ok = Number.isFinite(estimate) && Number.isFinite(stdError);
  return {
    estimator,
    estimate,
    stdError,
    lower: ok ? estimate - z * stdError : -Infinity,
    upper: ok ? estimate + z * stdError : Infinity,
    level,
    n,
    effectiveSampleSize,
    clipped,
  };
}

/** Inverse propensity scoring: unbiased (without clipping), high variance. */
export function ips(logs: readonly LoggedDecision[], policy: TargetPolicy, opts: EstimateOptions = {}): OpeEstimate {
  const { w, clipped } = weights(logs, policy, opts);
  const terms = new Float64Array(logs.length);
  for (let i = 0; i < logs.length; i++) terms[i] = w[i] * logs[i].reward;
  const { mean, stdError } = meanAndStdError(terms);
  return result('ips', mean, stdError, logs.length, ess(w), clipped, opts);
}

/**
 * Self-normalised IPS: divides by the realised sum of weights instead of n. Slightly biased,
 * usually far less variable, always inside the range of observed rewards, and equivariant to
 * reward shifts (adding c to every reward adds exactly c), which IPS is not.
 */
export function snips(logs: readonly LoggedDecision[], policy: TargetPolicy, opts: EstimateOptions = {}): OpeEstimate {
  const n = logs.length;
  const { w, clipped } = weights(logs, policy, opts);
  let sw = 0;
  let swr = 0;
  for (let i = 0; i < n; i++) {
    sw += w[i];
    swr += w[i] * logs[i].reward;
  }
  if (!(sw > 0)) return result('snips', NaN, Infinity, n, 0, clipped, opts);
  const v = swr / sw;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const d = w[i] * (logs[i].reward - v);
    s2 += d * d;
  }
  // Delta method; n/(n-1) matches the sample-variance convention of the other estimators.
  const se = n > 1 ? Math.sqrt((s2 * n) / (n - 1)) / sw : Infinity;
  return result('snips', v, se, n, ess(w), clipped, opts);
}

/**
 * Doubly robust: the reward model's prediction for the candidate's choices, corrected by the
 * importance-weighted residual of the logged arm. Unbiased when either the propensities or
 * the reward model are right; with a zero reward model it is exactly IPS.
 */
export function doublyRobust(
  logs: readonly LoggedDecision[],
  policy: TargetPolicy,
  opts: EstimateOptions & { rewardModel?: RewardModel } = {},
): OpeEstimate {
  const model = opts.rewardModel ?? fitArmMeanModel(logs);
  const probs: Readonly<Record<ArmId, number>>[] = [];
  const { w, clipped } = weights(logs, policy, opts, probs);
  const terms = new Float64Array(logs.length);
  for (let i = 0; i < logs.length; i++) {
    const r = logs[i];
    let direct = 0;
    const p = probs[i];
    for (const a in p) if (p[a] > 0) direct += p[a] * model(r, a);
    terms[i] = direct + w[i] * (r.reward - model(r, r.arm));
  }
  const { mean, stdError } = meanAndStdError(terms);
  return result('dr', mean, stdError, logs.length, ess(w), clipped, opts);
}

/** Mean logged reward: the logging (live) policy's own value, with its interval. */
export function onPolicyValue(logs: readonly LoggedDecision[], opts: Pick<EstimateOptions, 'level'> = {}): OpeEstimate {
  const rewards = new Float64Array(logs.length);
  for (let i = 0; i < logs.length; i++) {
    checkRecord(logs[i], i);
    rewards[i] = logs[i].reward;
  }
  const { mean, stdError } = meanAndStdError(rewards);
  return result('on-policy', mean, stdError, logs.length, logs.length, 0, opts);
}

/**
 * The default reward model for DR: each arm's mean logged reward (arms never logged get the
 * overall mean). Ignores context, so DR's correction term does the contextual work.
 */
export function fitArmMeanModel(logs: readonly LoggedDecision[]): RewardModel {
  const sum = new Map<ArmId, number>();
  const cnt = new Map<ArmId, number>();
  let total = 0;
  for (const r of logs) {
    sum.set(r.arm, (sum.get(r.arm) ?? 0) + r.reward);
    cnt.set(r.arm, (cnt.get(r.arm) ?? 0) + 1);
    total += r.reward;
  }
  const overall = logs.length ? total / logs.length : 0;
  const means = new Map<ArmId, number>();
  for (const [a, s] of sum) means.set(a, s / (cnt.get(a) as number));
  return (_r, arm) => means.get(arm) ?? overall;
}

export interface PolicyEvaluation {
  ips: OpeEstimate;
  snips: OpeEstimate;
  dr: OpeEstimate;
  /** Mean expected cost per decision under the candidate (null without price snapshots). */
  meanCost: number | null;
}

/** All three estimators at once (one call of the candidate per record and estimator). */
export function evaluatePolicy(
  logs: readonly LoggedDecision[],
  policy: TargetPolicy,
  opts: EstimateOptions & { rewardModel?: RewardModel } = {},
): PolicyEvaluation {
  // Learning candidates may be stateful: ask once per record, and let every estimator see
  // the same answers.
  const index = new Map<LoggedDecision, number>();
  logs.forEach((r, i) => index.set(r, i));
  const cache = logs.map((r) => policy(r));
  const fast: TargetPolicy = (r) => {
    const i = index.get(r);
    return i === undefined ? policy(r) : cache[i];
  };
  return {
    ips: ips(logs, fast, opts),
    snips: snips(logs, fast, opts),
    dr: doublyRobust(logs, fast, opts),
    meanCost: expectedCost(logs, fast),
  };
}

/**
 * Mean expected cost per decision of a candidate. Costs of every arm are known at decision
 * time (the price snapshot), so this needs no importance weighting and has no variance from
 * it. Null when a record lacks the cost of an arm the candidate may choose.
 */
export function expectedCost(logs: readonly LoggedDecision[], policy: TargetPolicy): number | null {
  if (logs.length === 0) return null;
  let total = 0;
  for (const r of logs) {
    const p = policy(r);
    for (const a in p) {
      if (!(p[a] > 0)) continue;
      const c = r.costs?.[a];
      if (c === undefined) return null;
      total += p[a] * c;
    }
  }
  return total / logs.length;
}
