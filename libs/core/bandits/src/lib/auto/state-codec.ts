import { ArmId } from '../policy';
import { packedSize } from '../linalg';
import { ArmModel, blankArmModel } from './arm-model';
import { Ridge, RidgeState } from './ridge';
import { TrafficMean } from './usage';

/**
 * Version of auto's serialised statistics. 1 (no `format` field): the cryptic field names and
 * full square gram matrices of the single-file policy; 2: the names below, packed matrices,
 * each ridge model's full data and posterior covariance; 3: each ridge model's block-diagonal
 * posterior, O(dimension) numbers (docs/decisions/0027). Stored states of any version load;
 * toState always writes the current one.
 */
export const AUTO_STATE_FORMAT = 3;

export interface ArmState {
  baseQuality: number;
  deviationScale: number[];
  borrowedDeviation: number[] | null;
  borrowedUsage: number[] | null;
  deviation: RidgeState;
  usage: RidgeState;
  pulls: number;
  offlineRows: number;
  usageMultiplier: TrafficMean;
  deviationMean: TrafficMean;
  deviationPrior: RidgeState | null;
  usagePrior: RidgeState | null;
  cold: boolean;
}

export interface AutoStats {
  format: typeof AUTO_STATE_FORMAT;
  noise: number;
  /** Traffic mean of the shared part (noise units). */
  sharedMean: TrafficMean;
  sharedScale: number[];
  shared: RidgeState;
  sharedPrior: RidgeState | null;
  arms: Record<ArmId, ArmState>;
  removed: ArmId[];
}

export function armState(m: ArmModel): ArmState {
  return {
    baseQuality: m.baseQuality,
    deviationScale: Array.from(m.deviationScale),
    borrowedDeviation: m.borrowedDeviation ? Array.from(m.borrowedDeviation) : null,
    borrowedUsage: m.borrowedUsage ? Array.from(m.borrowedUsage) : null,
    deviation: m.deviation.toState(),
    usage: m.usage.toState(),
    pulls: m.pulls,
    offlineRows: m.offlineRows,
    usageMultiplier: { ...m.usageMultiplier },
    deviationMean: { ...m.deviationMean },
    deviationPrior: m.deviationPrior,
    usagePrior: m.usagePrior,
    cold: m.cold,
  };
}

/** An arm model with the priors and shape of `s` but blank data (merge adds the data). */
export function armSkeleton(s: ArmState, dimension: number, coreSize: number): ArmModel {
  const m = blankArmModel(s.baseQuality, Float64Array.from(s.deviationScale), dimension, coreSize);
  m.borrowedDeviation = s.borrowedDeviation ? Float64Array.from(s.borrowedDeviation) : null;
  m.borrowedUsage = s.borrowedUsage ? Float64Array.from(s.borrowedUsage) : null;
  m.offlineRows = s.offlineRows;
  m.cold = s.cold;
  return m;
}

export function armModelFromState(s: ArmState, dimension: number, coreSize: number): ArmModel {
  const m = armSkeleton(s, dimension, coreSize);
  m.deviation.load(s.deviation);
  m.usage.load(s.usage);
  m.pulls = s.pulls;
  m.usageMultiplier = { ...s.usageMultiplier };
  m.deviationMean = { ...s.deviationMean };
  m.deviationPrior = s.deviationPrior;
  m.usagePrior = s.usagePrior;
  return m;
}

// ---- format 1 (before docs/decisions/0011) ----

interface RidgeStateV1 {
  G: number[];
  b: number[];
  n: number;
}

interface ArmStateV1 {
  m0: number;
  scale: number[];
  w0: number[] | null;
  u0: number[] | null;
  dev: RidgeStateV1;
  usage: RidgeStateV1;
  pulls: number;
  offline: number;
  em: number;
  emN: number;
  dm: number;
  dmN: number;
  prior: RidgeStateV1 | null;
  uprior: RidgeStateV1 | null;
  cold: boolean;
}

interface AutoStatsV1 {
  noise: number;
  sm: number;
  smN: number;
  sharedScale: number[];
  shared: RidgeStateV1;
  sharedPrior: RidgeStateV1 | null;
  arms: Record<ArmId, ArmStateV1>;
  removed?: ArmId[];
}

/** Full square row-major gram -> packed upper triangle. */
function ridgeFromV1(r: RidgeStateV1): RidgeStateV2 {
  const d = r.b.length;
  const gram = new Array<number>(packedSize(d));
  let k = 0;
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) gram[k++] = r.G[i * d + j];
  return { gram, targetMoment: [...r.b], weight: r.n };
}

const ridgeOrNull = (r: RidgeStateV1 | null) => (r ? ridgeFromV1(r) : null);

/**
 * Any stored version -> the current one. `coreSize`: the policy's core coordinates (see
 * AutoFeatureMap), which the format-3 posterior keeps a joint covariance of.
 */
export function migrateStats(stats: unknown, coreSize: number): AutoStats {
  const s = stats as { format?: number };
  if (s.format === AUTO_STATE_FORMAT) return stats as AutoStats;
  if (s.format === 2) return statsFromV2(stats as AutoStatsV2, coreSize);
  if (s.format !== undefined) throw new Error(`auto: unknown state format ${String(s.format)}`);
  return statsFromV2(statsFromV1(stats as AutoStatsV1), coreSize);
}

function statsFromV1(v1: AutoStatsV1): AutoStatsV2 {
  const arms: Record<ArmId, ArmStateV2> = {};
  for (const [a, m] of Object.entries(v1.arms)) {
    arms[a] = {
      baseQuality: m.m0,
      deviationScale: m.scale,
      borrowedDeviation: m.w0,
      borrowedUsage: m.u0,
      deviation: ridgeFromV1(m.dev),
      usage: ridgeFromV1(m.usage),
      pulls: m.pulls,
      offlineRows: m.offline,
      usageMultiplier: { mean: m.em, count: m.emN },
      deviationMean: { mean: m.dm, count: m.dmN },
      deviationPrior: ridgeOrNull(m.prior),
      usagePrior: ridgeOrNull(m.uprior),
      cold: m.cold,
    };
  }
  return {
    format: 2,
    noise: v1.noise,
    sharedMean: { mean: v1.sm, count: v1.smN },
    sharedScale: v1.sharedScale,
    shared: ridgeFromV1(v1.shared),
    sharedPrior: ridgeOrNull(v1.sharedPrior),
    arms,
    removed: v1.removed ?? [],
  };
}

// ---- format 2 (docs/decisions/0011 to 0019) ----

/** A format-2 ridge model: its full data, and the full packed posterior covariance. */
interface RidgeStateV2 {
  gram: number[];
  targetMoment: number[];
  weight: number;
  covariance?: number[];
  coefficients?: number[];
}

type ArmStateV2 = Omit<ArmState, 'deviation' | 'usage' | 'deviationPrior' | 'usagePrior'> & {
  deviation: RidgeStateV2;
  usage: RidgeStateV2;
  deviationPrior: RidgeStateV2 | null;
  usagePrior: RidgeStateV2 | null;
};

type AutoStatsV2 = Omit<AutoStats, 'format' | 'shared' | 'sharedPrior' | 'arms'> & {
  format: 2;
  shared: RidgeStateV2;
  sharedPrior: RidgeStateV2 | null;
  arms: Record<ArmId, ArmStateV2>;
};

/**
 * A format-2 model was exact ridge on its data: format 3 keeps that posterior's mean and the
 * blocks of its precision (Ridge.fit), as a warm start does.
 */
function ridgeFromV2(r: RidgeStateV2, coreSize: number): RidgeState {
  const model = new Ridge(r.targetMoment.length, coreSize);
  model.fit(r.gram, r.targetMoment, r.weight);
  return model.toState();
}

function statsFromV2(v2: AutoStatsV2, coreSize: number): AutoStats {
  const ridge = (r: RidgeStateV2) => ridgeFromV2(r, coreSize);
  const orNull = (r: RidgeStateV2 | null) => (r ? ridge(r) : null);
  const arms: Record<ArmId, ArmState> = {};
  for (const [a, m] of Object.entries(v2.arms))
    arms[a] = {
      ...m,
      deviation: ridge(m.deviation),
      usage: ridge(m.usage),
      deviationPrior: orNull(m.deviationPrior),
      usagePrior: orNull(m.usagePrior),
    };
  return {
    ...v2,
    format: AUTO_STATE_FORMAT,
    shared: ridge(v2.shared),
    sharedPrior: orNull(v2.sharedPrior),
    arms,
  };
}
