import { ArmId, LoggedDecision, TargetPolicy } from './types';

/** Always the same arm. */
export function fixedPolicy(arm: ArmId): TargetPolicy {
  const p = { [arm]: 1 };
  return () => p;
}

/** Uniform over each record's available arms (the usual logging policy). */
export const uniformPolicy: TargetPolicy = (r) => {
  const p: Record<ArmId, number> = {};
  for (const a of r.available) p[a] = 1 / r.available.length;
  return p;
};

/** Deterministic policy from a chooser: all mass on the arm it names. */
export function deterministicPolicy(choose: (r: LoggedDecision) => ArmId): TargetPolicy {
  return (r) => ({ [choose(r)]: 1 });
}

/**
 * Mixes a policy with uniform exploration: (1 - epsilon) * policy + epsilon * uniform. Useful
 * to evaluate "the candidate as it would actually be deployed" and to keep weights bounded.
 */
export function smoothPolicy(policy: TargetPolicy, epsilon: number): TargetPolicy {
  return (r) => {
    const base = policy(r);
    const out: Record<ArmId, number> = {};
    for (const a of r.available) out[a] = epsilon / r.available.length;
    for (const a in base) out[a] = (out[a] ?? 0) + (1 - epsilon) * base[a];
    return out;
  };
}

/**
 * Per-arm value of always playing that arm, self-normalised by the logged propensities (so a
 * non-uniform logging policy does not favour the arms it liked).
 */
export function armValues(logs: readonly LoggedDecision[]): Map<ArmId, { value: number; n: number }> {
  const sw = new Map<ArmId, number>();
  const swr = new Map<ArmId, number>();
  const cnt = new Map<ArmId, number>();
  for (const r of logs) {
    const w = 1 / r.propensity;
    sw.set(r.arm, (sw.get(r.arm) ?? 0) + w);
    swr.set(r.arm, (swr.get(r.arm) ?? 0) + w * r.reward);
    cnt.set(r.arm, (cnt.get(r.arm) ?? 0) + 1);
  }
  const out = new Map<ArmId, { value: number; n: number }>();
  for (const [a, w] of sw) out.set(a, { value: (swr.get(a) as number) / w, n: cnt.get(a) as number });
  return out;
}

/** The arm with the best logged value (ties: the first seen); null for empty logs. */
export function bestMeanArm(logs: readonly LoggedDecision[]): ArmId | null {
  let best: ArmId | null = null;
  let bv = -Infinity;
  for (const [a, { value }] of armValues(logs)) {
    if (value > bv) {
      bv = value;
      best = a;
    }
  }
  return best;
}

/**
 * "Greedy best mean arm", cross-fitted: records in one half are routed to the arm that was
 * best on the OTHER half. Fitting and evaluating on the same records would reward the
 * winner's curse (the arm that got lucky looks best and is evaluated on its lucky draws).
 */
export function crossFittedGreedy(logs: readonly LoggedDecision[]): TargetPolicy {
  const half = new Map<LoggedDecision, 0 | 1>();
  const folds: LoggedDecision[][] = [[], []];
  logs.forEach((r, i) => {
    half.set(r, (i % 2) as 0 | 1);
    folds[i % 2].push(r);
  });
  const fallback = bestMeanArm(logs);
  const arms = [bestMeanArm(folds[1]) ?? fallback, bestMeanArm(folds[0]) ?? fallback];
  return (r) => {
    const f = half.get(r);
    const arm = f === undefined ? fallback : arms[f];
    return arm === null ? uniformPolicy(r) : { [arm]: 1 };
  };
}
