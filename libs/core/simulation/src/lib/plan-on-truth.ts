import { WindowEstimates } from '@llm-router/batch';
import type { ReplayRow } from './replay';
import { sourceSums } from './source-bound';

/**
 * A diagnostic of the batch replay: which of the planner's estimates are replaced by the truth of
 * the replayed rows, each source's mean quality and cost per model, before a round is planned. It
 * measures how much of the distance between the planner and a target is estimation (what a
 * planner that knew each source's means from its first row would reach on the same order and
 * windows), so that the decomposition in docs/decisions/0042 can be rerun rather than trusted.
 * Nothing else changes: the probe, the routed mix, the price and the dispatch read the policy's
 * estimates as always, and the policy learns as always.
 */
export interface PlanOnTruth {
  quality: boolean;
  cost: boolean;
  /** Sources whose rows are planned on their truth; null = every source. */
  sources: readonly string[] | null;
}

/** The settings of `--plan-on-truth`. */
export const PLAN_ON_TRUTH_SETTINGS = ['quality', 'cost', 'both'] as const;
export type PlanOnTruthSetting = (typeof PLAN_ON_TRUTH_SETTINGS)[number];

export function planOnTruthOf(setting: PlanOnTruthSetting, sources: readonly string[] | null): PlanOnTruth {
  return { quality: setting !== 'cost', cost: setting !== 'quality', sources };
}

/** Per source: per arm (in `arms` order), the mean reward and the mean cost of the rows offering it; NaN where none does. */
export interface SourceMeans {
  quality: Float64Array;
  cost: Float64Array;
}

export function sourceMeans(rows: readonly ReplayRow[], arms: readonly string[]): Map<string, SourceMeans> {
  const out = new Map<string, SourceMeans>();
  for (const [source, s] of sourceSums(rows, null)) {
    const mean = (sum: (a: { q: number; c: number; n: number }) => number) =>
      Float64Array.from(arms, (arm) => {
        const a = s.arms.get(arm);
        return a && a.n > 0 ? sum(a) / a.n : NaN;
      });
    out.set(source, { quality: mean((a) => a.q), cost: mean((a) => a.c) });
  }
  return out;
}

/**
 * The estimates of a round (in place): for each query whose source `truth` names, each available
 * entry's quality and/or cost replaced by its source's mean. `sources[i]`: query i's source.
 */
export function applyPlanOnTruth(
  e: WindowEstimates,
  sources: readonly (string | undefined)[],
  means: ReadonlyMap<string, SourceMeans>,
  truth: PlanOnTruth,
): void {
  if (sources.length !== e.n) throw new Error(`plan on truth: ${sources.length} sources for ${e.n} queries`);
  const named = truth.sources === null ? null : new Set(truth.sources);
  for (let i = 0; i < e.n; i++) {
    const source = sources[i];
    if (source === undefined || (named && !named.has(source))) continue;
    const m = means.get(source);
    if (!m) continue;
    for (let j = 0; j < e.k; j++) {
      const x = i * e.k + j;
      if (!e.available[x]) continue;
      if (truth.quality && Number.isFinite(m.quality[j])) e.quality[x] = m.quality[j];
      if (truth.cost && Number.isFinite(m.cost[j])) e.cost[x] = m.cost[j];
    }
  }
}
