import { ArmId, ArmPrior, DecideConstraints, Decision } from './policy';
import { Rng } from './rng';

/**
 * Offset that ranks a cold arm (no prior, fewer than `coldPulls` observations) above every
 * warm arm. Finite rather than Infinity so that logged scores stay valid JSON.
 */
export const COLD_SCORE = 1e6;

export const DEFAULT_COLD_PULLS = 3;

/**
 * The arms to decide among once the awaited ones are set aside: an arm is awaited when it is
 * still cold by what the policy has learnt (`learntPulls` below `coldPulls`; null for an arm that
 * is never cold, e.g. one with a prior) but the caller has already decided its cold pulls
 * (DecideConstraints.decided). A router learns only from snapshots, a second or more after its
 * decisions: without this, every query of that second went to the cold arm, cheapest first, and
 * a flagship at 55 times the per-query target took 29% of a live run's first quarter (ucb1 at
 * 5.2 times the budget, docs/decisions/0046). Every arm is kept when all are awaited.
 */
export function withoutAwaitedColdArms(
  arms: ArmId[],
  learntPulls: (arm: ArmId) => number | null,
  coldPulls: number,
  decided: Readonly<Record<ArmId, number>> | undefined,
): ArmId[] {
  if (!decided) return arms;
  const awaited = (a: ArmId) => {
    const learnt = learntPulls(a);
    return learnt !== null && learnt < coldPulls && (decided[a] ?? 0) >= coldPulls;
  };
  // A router decides on every query: once its models are warm, no array is built for nothing.
  if (!arms.some(awaited)) return arms;
  const kept = arms.filter((a) => !awaited(a));
  return kept.length > 0 ? kept : arms;
}

/** Options every learning policy accepts. */
export interface CommonOptions {
  arms?: ArmId[];
  seed?: number;
  /**
   * Geometric forgetting in (0, 1]: on every update the data part of the statistics is
   * multiplied by gamma, so they decay toward the prior (1 = never forget).
   */
  gamma?: number;
  /** Warm-start priors per arm (pseudo-observations). */
  priors?: Record<ArmId, ArmPrior>;
  /**
   * Cold start: an arm without a prior is forced (ahead of every warm arm, cheapest first)
   * until it has this many observations. Default 3: a single, possibly unlucky, outcome is
   * too little to judge a model by, and a greedy or narrow-bonus policy would never come
   * back to it. 0 disables forcing.
   */
  coldPulls?: number;
}

export function checkGamma(gamma: number | undefined, fallback = 1): number {
  const g = gamma ?? fallback;
  if (!(g > 0 && g <= 1)) throw new Error(`gamma must be in (0, 1], got ${g}`);
  return g;
}

export function costOf(c: DecideConstraints, arm: ArmId): number {
  return c.costs[arm] ?? 0;
}

/** Smallest propensity reported by sampled policies, so that IPS weights stay bounded. */
export const DEFAULT_PROPENSITY_FLOOR = 1e-3;

/**
 * Arms a decision may choose from: removed arms are dropped (they are never chosen again
 * unless re-added explicitly), unknown arms are hot-added cold through `add`.
 */
export function resolveAvailable(
  available: readonly ArmId[],
  known: { has(arm: ArmId): boolean },
  removed: Set<ArmId>,
  add: (arm: ArmId) => void,
): ArmId[] {
  const out: ArmId[] = [];
  for (const a of available) {
    if (removed.has(a)) continue;
    if (!known.has(a)) add(a);
    out.push(a);
  }
  if (out.length === 0) throw new Error('no arm available to decide between (all offered arms were removed)');
  return out;
}

/**
 * Deterministic argmax, ties split uniformly at random, optionally mixed with uniform
 * exploration of probability eps. `ceilings`, when given, is the most each arm could score (its
 * score were its quality perfect): exploration then draws only among the arms whose ceiling
 * reaches the greedy score, the arms that could still be the best at this price of a dollar.
 * Without it every arm is explored. The returned probabilities are exact: a greedy arm (one of
 * t tied) gets (1 - eps) / t + eps / m, every other explored arm eps / m (m explored arms), the
 * rest 0.
 */
export function argmaxDecision(
  arms: readonly ArmId[],
  scores: ArrayLike<number>,
  rng: Rng,
  eps = 0,
  ceilings?: ArrayLike<number>,
): Decision {
  const k = arms.length;
  let best = -Infinity;
  let ties = 0;
  for (let i = 0; i < k; i++) {
    const s = scores[i];
    if (s > best) {
      best = s;
      ties = 1;
    } else if (s === best) ties++;
  }
  // All-NaN or all -Infinity scores: every arm counts as tied rather than throwing.
  const all = ties === 0 || best === -Infinity;
  if (all) ties = k;
  let explored = k;
  if (ceilings && !all) {
    explored = 0;
    for (let i = 0; i < k; i++) if (ceilings[i] >= best) explored++;
  }
  // A ceiling below its own score is the caller's slip; explore every arm rather than none.
  const everyArm = explored === 0 || explored === k;
  if (everyArm) explored = k;
  const isExplored = (i: number) => everyArm || ceilings![i] >= best;
  let chosen = -1;
  if (eps > 0 && rng.next() < eps) {
    let pick = rng.int(explored);
    for (let i = 0; i < k; i++) {
      if (isExplored(i) && pick-- === 0) {
        chosen = i;
        break;
      }
    }
  } else {
    let pick = ties > 1 ? rng.int(ties) : 0;
    for (let i = 0; i < k; i++) {
      if ((all || scores[i] === best) && pick-- === 0) {
        chosen = i;
        break;
      }
    }
  }
  const probabilities: Record<ArmId, number> = {};
  const scoreRec: Record<ArmId, number> = {};
  const pGreedy = (1 - eps) / ties;
  const pUniform = eps / explored;
  for (let i = 0; i < k; i++) {
    const a = arms[i];
    const s = scores[i];
    probabilities[a] = (all || s === best ? pGreedy : 0) + (isExplored(i) ? pUniform : 0);
    scoreRec[a] = s;
  }
  const arm = arms[chosen];
  return { arm, propensity: probabilities[arm], scores: scoreRec, probabilities };
}

/**
 * Turns Monte Carlo win counts (the real draw included, so the chosen arm has at least one)
 * into probabilities that sum to exactly 1 and are all >= floor:
 * p = floor + (1 - k * floor) * wins / draws.
 */
export function sampledProbabilities(
  arms: readonly ArmId[],
  scores: ArrayLike<number>,
  wins: ArrayLike<number>,
  draws: number,
  chosen: number,
  floor: number,
): Decision {
  const k = arms.length;
  const f = k * floor < 1 ? floor : 0.5 / k;
  const probabilities: Record<ArmId, number> = {};
  const scoreRec: Record<ArmId, number> = {};
  for (let i = 0; i < k; i++) {
    probabilities[arms[i]] = f + ((1 - k * f) * wins[i]) / draws;
    scoreRec[arms[i]] = scores[i];
  }
  const arm = arms[chosen];
  return { arm, propensity: probabilities[arm], scores: scoreRec, probabilities };
}

/** Index of the largest value (first on ties: callers that need random tie-breaks use argmaxDecision). */
export function argmaxIndex(v: ArrayLike<number>, k: number): number {
  let bi = 0;
  let bv = v[0];
  for (let i = 1; i < k; i++) {
    if (v[i] > bv) {
      bv = v[i];
      bi = i;
    }
  }
  return bi;
}

/**
 * Among cold arms: the cheapest goes first (ties split at random), probability exact because
 * the choice is deterministic up to the tie-break. Warm arms get their normal score for the log.
 */
export function coldDecision(
  arms: readonly ArmId[],
  isCold: readonly boolean[],
  warmScores: ArrayLike<number>,
  c: DecideConstraints,
  rng: Rng,
): Decision {
  const scores = new Array<number>(arms.length);
  for (let i = 0; i < arms.length; i++) {
    scores[i] = isCold[i] ? COLD_SCORE - c.lambda * costOf(c, arms[i]) : warmScores[i];
  }
  return argmaxDecision(arms, scores, rng, 0);
}

export function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

export function checkPrior(p: ArmPrior | undefined): ArmPrior | undefined {
  if (!p) return undefined;
  if (!(p.weight >= 0) || !Number.isFinite(p.weight))
    throw new Error(`prior weight must be finite and >= 0, got ${p.weight}`);
  if (!Number.isFinite(p.mean)) throw new Error(`prior mean must be finite, got ${p.mean}`);
  return p;
}

/** Grows a scratch buffer only when the arm count exceeds it: no allocation on the hot path. */
export function ensureCapacity<T extends Float64Array>(buf: T, n: number): T {
  return buf.length >= n ? buf : (new Float64Array(Math.max(n, buf.length * 2)) as T);
}
