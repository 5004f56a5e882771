import { zFor } from './stats';
import { OpeEstimate } from './types';

export interface GateOptions {
  /** Two-sided level of the candidate's interval whose lower end must clear the bar; default 0.95. */
  level?: number;
  /** Required improvement over the live value, in reward units; default 0. */
  margin?: number;
  /**
   * Refuse when the candidate's effective sample size is below this (default 10): with so few
   * agreeing decisions the normal interval itself is not to be trusted.
   */
  minEffectiveSampleSize?: number;
  /**
   * What the lower bound must beat: the live policy's `estimate` (default, as specified) or,
   * stricter, its `upper` bound at the same level.
   */
  against?: 'estimate' | 'upper';
}

export interface GateFigures {
  level: number;
  margin: number;
  candidate: {
    estimator: string;
    estimate: number;
    stdError: number;
    lower: number;
    upper: number;
    n: number;
    effectiveSampleSize: number;
  };
  live: { estimator: string; estimate: number; stdError: number; lower: number; upper: number; n: number };
  /** Value the candidate's lower bound had to exceed. */
  bar: number;
  /** candidate.estimate - live.estimate. */
  improvement: number;
}

export interface GateDecision {
  promote: boolean;
  reason: string;
  figures: GateFigures;
}

/**
 * Promote a candidate policy only when its off-policy lower confidence bound beats the live
 * policy's value: a candidate that merely looks better, with an interval reaching below the
 * live value, stays out. Intervals are recomputed at `level` from the standard errors, so the
 * estimates may have been computed at any level.
 */
export function promotionGate(candidate: OpeEstimate, live: OpeEstimate, opts: GateOptions = {}): GateDecision {
  const level = opts.level ?? 0.95;
  const margin = opts.margin ?? 0;
  const minEss = opts.minEffectiveSampleSize ?? 10;
  const z = zFor(level);
  const cLower = candidate.estimate - z * candidate.stdError;
  const cUpper = candidate.estimate + z * candidate.stdError;
  const lLower = live.estimate - z * live.stdError;
  const lUpper = live.estimate + z * live.stdError;
  const bar = (opts.against === 'upper' ? lUpper : live.estimate) + margin;
  const figures: GateFigures = {
    level,
    margin,
    candidate: {
      estimator: candidate.estimator,
      estimate: candidate.estimate,
      stdError: candidate.stdError,
      lower: cLower,
      upper: cUpper,
      n: candidate.n,
      effectiveSampleSize: candidate.effectiveSampleSize,
    },
    live: {
      estimator: live.estimator,
      estimate: live.estimate,
      stdError: live.stdError,
      lower: lLower,
      upper: lUpper,
      n: live.n,
    },
    bar,
    improvement: candidate.estimate - live.estimate,
  };
  const pct = `${Math.round(level * 100)}%`;
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : String(x));
  const decide = (promote: boolean, reason: string): GateDecision => ({ promote, reason, figures });

  if (!Number.isFinite(candidate.estimate) || !Number.isFinite(candidate.stdError)) {
    return decide(
      false,
      `candidate has no usable estimate (${f(candidate.estimate)} +- ${f(candidate.stdError)}): the logs hardly ever chose what it would`,
    );
  }
  if (!Number.isFinite(live.estimate)) return decide(false, 'live policy has no usable estimate');
  if (candidate.effectiveSampleSize < minEss) {
    return decide(
      false,
      `effective sample size ${f(candidate.effectiveSampleSize)} < ${minEss}: too few logged decisions agree with the candidate`,
    );
  }
  if (cLower > bar) {
    return decide(
      true,
      `candidate ${pct} lower bound ${f(cLower)} > ${opts.against === 'upper' ? 'live upper bound' : 'live value'} ${f(bar - margin)}${margin ? ` + margin ${margin}` : ''}`,
    );
  }
  if (candidate.estimate <= live.estimate + margin) {
    return decide(
      false,
      `candidate is not better: estimate ${f(candidate.estimate)} <= live ${f(live.estimate)}${margin ? ` + margin ${margin}` : ''}`,
    );
  }
  return decide(
    false,
    `uncertain: candidate estimate ${f(candidate.estimate)} is above the bar ${f(bar)} but its ${pct} lower bound ${f(cLower)} is not`,
  );
}
