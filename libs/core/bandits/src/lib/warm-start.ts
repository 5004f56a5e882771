import { ArmId, ArmPrior, DecisionContext, Policy } from './policy';

/** A row of an offline reward file: every arm's judged quality and cost for one prompt. */
export interface WarmRow {
  prompt: string;
  arms: Record<ArmId, { reward: number; cost: number }>;
}

export interface WarmStartOptions {
  /** Arms that must learn nothing from the file (e.g. a model that is to arrive cold). */
  exclude?: readonly ArmId[];
  /** The context a policy would see for this row (text, features). Default: the prompt only. */
  context?: (row: WarmRow) => DecisionContext;
}

/** A policy that knows a better use of an offline file than replaying it through update(). */
export interface WarmStartable {
  warmStart(rows: readonly WarmRow[], opts?: WarmStartOptions): void;
}

export function isWarmStartable(p: Policy): p is Policy & WarmStartable {
  return typeof (p as Partial<WarmStartable>).warmStart === 'function';
}

/** What one arm did over the offline file. */
export interface ArmSummary {
  n: number;
  meanQuality: number;
  varQuality: number;
  meanCost: number;
  /** Mean and variance of log(cost): token usage varies by orders of magnitude between prompts. */
  meanLogCost: number;
  varLogCost: number;
}

/**
 * Sufficient statistics of a linear model per arm, uncentred so that the caller can centre
 * the targets on any prior mean m: sum x (q - m) = xq - m * xs.
 */
export interface WarmLinearStats {
  d: number;
  n: number;
  /** sum x x', d*d row-major. */
  xx: Float64Array;
  /** sum x. */
  xs: Float64Array;
  /** sum x * quality. */
  xq: Float64Array;
  /** sum x * log(cost). */
  xlc: Float64Array;
}

export interface WarmStartPriors {
  arms: Record<ArmId, ArmSummary>;
  /** Per arm, when a feature map was given. */
  linear: Record<ArmId, WarmLinearStats> | null;
}

/** Costs of exactly 0 (self-hosted, free tiers) would send log(cost) to -Infinity. */
const MIN_COST = 1e-12;

/**
 * Fits offline priors from a reward file's rows (full information: every arm's outcome of
 * every row): per-arm quality and cost summaries and, given a feature map, the per-arm
 * sufficient statistics of linear quality and log-cost models on those features.
 */
export function fitWarmStart(
  rows: readonly WarmRow[],
  opts: { featurize?: (row: WarmRow) => ArrayLike<number>; exclude?: readonly ArmId[] } = {},
): WarmStartPriors {
  const exclude = new Set(opts.exclude ?? []);
  const acc = new Map<ArmId, { n: number; q: number; qq: number; c: number; lc: number; lclc: number }>();
  const linear = opts.featurize ? new Map<ArmId, WarmLinearStats>() : null;
  for (const row of rows) {
    const x = opts.featurize?.(row);
    for (const [arm, o] of Object.entries(row.arms)) {
      if (exclude.has(arm)) continue;
      let a = acc.get(arm);
      if (!a) acc.set(arm, (a = { n: 0, q: 0, qq: 0, c: 0, lc: 0, lclc: 0 }));
      const lc = Math.log(Math.max(MIN_COST, o.cost));
      a.n++;
      a.q += o.reward;
      a.qq += o.reward * o.reward;
      a.c += o.cost;
      a.lc += lc;
      a.lclc += lc * lc;
      if (x && linear) {
        const d = x.length;
        let s = linear.get(arm);
        if (!s) {
          s = {
            d,
            n: 0,
            xx: new Float64Array(d * d),
            xs: new Float64Array(d),
            xq: new Float64Array(d),
            xlc: new Float64Array(d),
          };
          linear.set(arm, s);
        }
        if (d !== s.d) throw new Error(`warm start: feature dimension changed from ${s.d} to ${d}`);
        s.n++;
        for (let i = 0; i < d; i++) {
          const xi = x[i];
          if (xi === 0) continue;
          s.xs[i] += xi;
          s.xq[i] += xi * o.reward;
          s.xlc[i] += xi * lc;
          const off = i * d;
          for (let j = 0; j < d; j++) s.xx[off + j] += xi * x[j];
        }
      }
    }
  }
  const arms: Record<ArmId, ArmSummary> = {};
  for (const [arm, a] of acc) {
    const mq = a.q / a.n;
    const mlc = a.lc / a.n;
    arms[arm] = {
      n: a.n,
      meanQuality: mq,
      varQuality: Math.max(0, a.qq / a.n - mq * mq),
      meanCost: a.c / a.n,
      meanLogCost: mlc,
      varLogCost: Math.max(0, a.lclc / a.n - mlc * mlc),
    };
  }
  return { arms, linear: linear ? Object.fromEntries(linear) : null };
}

/**
 * Per-arm priors for policies that take pseudo-observations. The weight is capped: an
 * offline file is a different population from live traffic, and a prior worth thousands of
 * observations could never be corrected online.
 */
export function armPriors(ws: WarmStartPriors, maxWeight = 50): Record<ArmId, ArmPrior> {
  const out: Record<ArmId, ArmPrior> = {};
  for (const [arm, s] of Object.entries(ws.arms)) out[arm] = { mean: s.meanQuality, weight: Math.min(maxWeight, s.n) };
  return out;
}

/**
 * Warm-starts any policy from offline rows: through its own warmStart() when it has one,
 * otherwise by feeding it every (row, arm) outcome through update(), which is the
 * full-information version of what it would have learned online. Arms the policy does not
 * know and excluded arms are skipped, so nothing about them leaks.
 */
export function applyWarmStart(policy: Policy, rows: readonly WarmRow[], opts: WarmStartOptions = {}): void {
  if (isWarmStartable(policy)) {
    policy.warmStart(rows, opts);
    return;
  }
  const exclude = new Set(opts.exclude ?? []);
  const known = new Set(policy.arms());
  const context = opts.context ?? ((r: WarmRow) => ({ text: r.prompt }));
  for (const row of rows) {
    const ctx = context(row);
    for (const [arm, o] of Object.entries(row.arms)) {
      if (exclude.has(arm) || !known.has(arm)) continue;
      policy.update(ctx, arm, { quality: o.reward, costUsd: o.cost });
    }
  }
}
