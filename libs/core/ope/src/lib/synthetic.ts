import { mulberry32 } from '@llm-router/numerics';
import { ArmId, LoggedDecision, TargetPolicy } from './types';

export interface SyntheticLogOptions {
  n: number;
  /** Mean reward per context (row) and arm (column); rewards are Bernoulli draws. */
  means?: number[][];
  arms?: ArmId[];
  /** Expected cost per arm (becomes each record's price snapshot). */
  costs?: number[];
  seed?: number;
}

export interface SyntheticLogs {
  logs: LoggedDecision[];
  arms: ArmId[];
  means: number[][];
  /** Context index of a record (its one-hot feature). */
  contextOf(record: LoggedDecision): number;
  /** Exact expected reward of a policy on these logs' contexts: the estimators' target. */
  trueValue(policy: TargetPolicy): number;
}

const DEFAULT_MEANS = [
  [0.2, 0.5, 0.7],
  [0.8, 0.4, 0.3],
];

/**
 * Logs of a uniform-random logging policy on a contextual problem with known mean rewards:
 * contexts are drawn uniformly and given as one-hot features, rewards are Bernoulli. Tests and
 * examples use it to check that estimators recover a known policy value.
 */
export function simulateUniformLogs(o: SyntheticLogOptions): SyntheticLogs {
  const means = o.means ?? DEFAULT_MEANS;
  const k = means[0].length;
  const arms = o.arms ?? Array.from({ length: k }, (_, j) => String.fromCharCode(97 + j));
  const costs = o.costs ?? arms.map((_, j) => 0.001 * Math.pow(10, j));
  const r = mulberry32(o.seed ?? 1);
  const logs: LoggedDecision[] = [];
  const ctx = new Map<LoggedDecision, number>();
  const snapshot: Record<ArmId, number> = {};
  arms.forEach((a, j) => (snapshot[a] = costs[j]));
  for (let i = 0; i < o.n; i++) {
    const c = Math.floor(r() * means.length);
    const j = Math.floor(r() * k);
    const features = means.map((_, t) => (t === c ? 1 : 0));
    const rec: LoggedDecision = {
      features,
      available: arms,
      arm: arms[j],
      propensity: 1 / k,
      reward: r() < means[c][j] ? 1 : 0,
      costs: snapshot,
    };
    logs.push(rec);
    ctx.set(rec, c);
  }
  const contextOf = (rec: LoggedDecision): number => {
    const c = ctx.get(rec);
    if (c !== undefined) return c;
    const f = rec.features as number[];
    return f.indexOf(1);
  };
  const trueValue = (policy: TargetPolicy): number => {
    let total = 0;
    for (const rec of logs) {
      const p = policy(rec);
      const c = contextOf(rec);
      arms.forEach((a, j) => (total += (p[a] ?? 0) * means[c][j]));
    }
    return total / logs.length;
  };
  return { logs, arms, means, contextOf, trueValue };
}
