import { ArmId } from '../policy';
import { packedSize } from '../linalg';
import { PackedStore } from '../simd';
import { ArmModel, blankArmModel } from './arm-model';
import { RidgeState } from './ridge';
import { TrafficMean } from './usage';

/**
 * Version of auto's serialised statistics. 1 (no `format` field): the cryptic field names and
 * full square gram matrices of the single-file policy; 2: the names below, packed matrices.
 * Stored states of any version load; toState always writes the current one.
 */
export const AUTO_STATE_FORMAT = 2;

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
export function armSkeleton(s: ArmState, dimension: number, store: PackedStore | null = null): ArmModel {
  const m = blankArmModel(s.baseQuality, Float64Array.from(s.deviationScale), dimension, store);
  m.borrowedDeviation = s.borrowedDeviation ? Float64Array.from(s.borrowedDeviation) : null;
  m.borrowedUsage = s.borrowedUsage ? Float64Array.from(s.borrowedUsage) : null;
  m.offlineRows = s.offlineRows;
  m.cold = s.cold;
  return m;
}

export function armModelFromState(s: ArmState, dimension: number, store: PackedStore | null = null): ArmModel {
  const m = armSkeleton(s, dimension, store);
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
function ridgeFromV1(r: RidgeStateV1): RidgeState {
  const d = r.b.length;
  const gram = new Array<number>(packedSize(d));
  let k = 0;
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) gram[k++] = r.G[i * d + j];
  return { gram, targetMoment: [...r.b], weight: r.n };
}

const ridgeOrNull = (r: RidgeStateV1 | null) => (r ? ridgeFromV1(r) : null);

/** Any stored version -> the current one. */
export function migrateStats(stats: unknown): AutoStats {
  const s = stats as Partial<AutoStats> & Partial<AutoStatsV1>;
  if (s.format === AUTO_STATE_FORMAT) return s as AutoStats;
  if (s.format !== undefined) throw new Error(`auto: unknown state format ${String(s.format)}`);
  const v1 = stats as AutoStatsV1;
  const arms: Record<ArmId, ArmState> = {};
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
    format: AUTO_STATE_FORMAT,
    noise: v1.noise,
    sharedMean: { mean: v1.sm, count: v1.smN },
    sharedScale: v1.sharedScale,
    shared: ridgeFromV1(v1.shared),
    sharedPrior: ridgeOrNull(v1.sharedPrior),
    arms,
    removed: v1.removed ?? [],
  };
}
