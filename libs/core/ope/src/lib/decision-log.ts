import { ArmId, Features, LoggedDecision } from './types';

/**
 * A routing.decisions event joined with its feedback, as one JSON object (one line of the OPE
 * CLI's input). Only arm, propensity and a reward (or a quality to build it from) are needed.
 */
export interface DecisionLogLine {
  arm: ArmId;
  propensity: number;
  reward?: number;
  quality?: number;
  /** Cost weight of the decision: with `quality`, reward = quality - lambda * cost(arm). */
  lambda?: number;
  features?: Features;
  /** Expected cost per arm at decision time; its keys are the available arms by default. */
  priceSnapshot?: Record<ArmId, number>;
  available?: ArmId[];
  scores?: Record<ArmId, number>;
  costUsd?: number;
  [field: string]: unknown;
}

/** Converts one log line; throws a RangeError naming the problem when it cannot be used. */
export function toLoggedDecision(line: DecisionLogLine): LoggedDecision {
  if (typeof line.arm !== 'string' || !line.arm) throw new RangeError('missing arm');
  if (!(typeof line.propensity === 'number' && line.propensity > 0 && line.propensity <= 1))
    throw new RangeError(`bad propensity ${line.propensity}`);
  let reward = line.reward;
  if (typeof reward !== 'number') {
    if (typeof line.quality !== 'number') throw new RangeError('neither reward nor quality');
    const cost = line.costUsd ?? line.priceSnapshot?.[line.arm] ?? 0;
    reward = line.quality - (line.lambda ?? 0) * cost;
  }
  const available = [
    ...(line.available ??
      (line.priceSnapshot ? Object.keys(line.priceSnapshot) : line.scores ? Object.keys(line.scores) : [line.arm])),
  ];
  if (!available.includes(line.arm)) available.push(line.arm);
  return {
    arm: line.arm,
    propensity: line.propensity,
    reward,
    quality: line.quality,
    features: line.features,
    available,
    costs: line.priceSnapshot,
  };
}

/** Dense view of dense or sparse features (sparse keys are indices). */
export function denseFeatures(f: Features | undefined, d: number): Float64Array {
  const out = new Float64Array(d);
  if (!f) return out;
  if (Array.isArray(f) || f instanceof Float64Array) {
    const a = f as ArrayLike<number>;
    for (let i = 0; i < Math.min(d, a.length); i++) out[i] = a[i];
    return out;
  }
  for (const [key, v] of Object.entries(f as Record<string, number>)) {
    const i = Number(key);
    if (Number.isInteger(i) && i >= 0 && i < d) out[i] = v;
  }
  return out;
}
