import { identityPacked, invertSpd, packedSize, symMatVec, symRank1 } from '../linalg';
import { WarmLinearStats } from '../warm-start';
import { Sparse } from './features';

/** Index of (i, j) in the packed upper triangle; linalg's packedIndex without its swap allocation (hot path). */
function cell(d: number, i: number, j: number): number {
  return i <= j ? i * d - (i * (i - 1)) / 2 + (j - i) : j * d - (j * (j - 1)) / 2 + (i - j);
}

/** A posterior read at one input: the mean, and the variance of the mean (0 when not asked for). */
export interface RidgeReading {
  mean: number;
  variance: number;
}

/** What a ridge model serialises: the blocks of its data's precision, and its posterior mean. */
export interface RidgeState {
  /** sum of weight * z z' on the core coordinates, packed upper triangle (linalg.ts layout). */
  coreGram: number[];
  /** sum of weight * z_i^2 for every coordinate i >= coreSize, from coreSize on. */
  tailGram: number[];
  coefficients: number[];
  /** Total weight of the observations (pseudo-observations of a prior included). */
  weight: number;
  /**
   * (I + coreGram)^-1 as updated online, kept so that a restored model continues bit for bit
   * (re-inverting differs in the last bits); absent in prior snapshots (rebuilt on load).
   */
  coreCovariance?: number[];
}

/**
 * Bayesian ridge regression (unit prior precision, prior mean 0) on sparse inputs with a
 * block-diagonal, mean-field posterior (docs/decisions/0027-auto-cheaper-model.md): the core
 * coordinates [0, coreSize) keep their joint covariance, every later coordinate is
 * independent. Each block's precision is that block of the exact posterior precision
 * I + sum w z z' (the closest block-diagonal Gaussian to the exact posterior, in KL(q || p)):
 * the core's covariance is (I + coreGram)^-1, kept by Sherman-Morrison on the core part of z,
 * and coordinate i's variance is 1 / (1 + tailGram_i).
 *
 * The coefficients take, per observation, the exact Bayesian step from that posterior (the
 * recursive-least-squares gain with the block-diagonal covariance). Per observation
 * O(coreSize^2 + nnz + nnz_core^2), per prediction O(nnz + nnz_core^2), state O(dimension +
 * coreSize^2), instead of O(dimension^2 / 2) for all three. Replicas merge in natural
 * parameters (precisions and precision-weighted means add); a warm start fits the exact ridge
 * posterior of the offline data and keeps its mean and these precision blocks. With
 * coreSize = dimension it is exact ridge.
 */
export class Ridge {
  readonly coreGram: Float64Array;
  /** Indexed by coordinate; entries below coreSize are unused. */
  readonly tailGram: Float64Array;
  readonly coefficients: Float64Array;
  readonly coreCovariance: Float64Array;
  weight = 0;
  /** 1 / (1 + tailGram_i), indexed by coordinate (read on every decision: no division there). */
  private readonly tailVariances: Float64Array;
  /** u = C z on the core, one scratch per model. */
  private readonly scratch: Float64Array;
  /** Positions of z's core entries in variance() (scratch). */
  private readonly corePositions: Int32Array;
  /** coreRowOffset[i] + j is the packed index of (i, j), i <= j, in the core triangle. */
  private readonly coreRowOffset: Int32Array;
  /** What mean() and variance() read into (the hot path allocates nothing per call). */
  private readonly reading: RidgeReading = { mean: 0, variance: 0 };

  constructor(
    readonly dimension: number,
    readonly coreSize: number = dimension,
  ) {
    if (!Number.isInteger(coreSize) || coreSize < 0 || coreSize > dimension)
      throw new Error(`auto: ridge core size ${coreSize} outside [0, ${dimension}]`);
    this.coreGram = new Float64Array(packedSize(coreSize));
    this.tailGram = new Float64Array(dimension);
    this.coefficients = new Float64Array(dimension);
    this.coreCovariance = identityPacked(coreSize, 1);
    this.tailVariances = new Float64Array(dimension).fill(1);
    this.scratch = new Float64Array(coreSize);
    this.corePositions = new Int32Array(dimension);
    this.coreRowOffset = Int32Array.from({ length: coreSize }, (_, i) => cell(coreSize, i, i) - i);
  }

  /** Posterior variance of coefficient i >= coreSize. */
  tailVariance(i: number): number {
    return this.tailVariances[i];
  }

  /**
   * The posterior mean at z, or at z scaled coordinate-wise by `scale` (a model fitted on
   * scaled features, read at raw ones without building the scaled vector: decide's hot path),
   * plus offset . z (prior coefficients on raw features) if given.
   */
  mean(z: Sparse, scale?: Float64Array, offset: Float64Array | null = null): number {
    return this.read(z, scale, offset, false, this.reading).mean;
  }

  /** z' C z under the block-diagonal posterior (z scaled by `scale` if given): the variance of the mean, in noise units squared. */
  variance(z: Sparse, scale?: Float64Array): number {
    return this.read(z, scale, null, true, this.reading).variance;
  }

  /**
   * mean(z, scale, offset) and variance(z, scale) in one pass over z (decide reads both for
   * every arm); the same sums in the same order as the two calls. Written into `out`, which
   * is returned.
   */
  read(
    z: Sparse,
    scale: Float64Array | undefined,
    offset: Float64Array | null,
    withVariance: boolean,
    out: RidgeReading,
  ): RidgeReading {
    const { coefficients, coreCovariance: cov, coreRowOffset, coreSize, tailVariances } = this;
    const { idx, val, nnz } = z;
    const core = nnz <= this.corePositions.length ? this.corePositions : new Int32Array(nnz);
    let cores = 0;
    let m = 0;
    let o = 0;
    let v = 0;
    for (let a = 0; a < nnz; a++) {
      const i = idx[a];
      const va = scale ? val[a] * scale[i] : val[a];
      m += coefficients[i] * va;
      if (offset) o += offset[i] * val[a];
      if (!withVariance) continue;
      if (i < coreSize) core[cores++] = a;
      else v += tailVariances[i] * va * va;
    }
    // Each unordered core pair once (any index order), off-diagonal terms doubled.
    for (let p = 0; p < cores; p++) {
      const i = idx[core[p]];
      const va = scale ? val[core[p]] * scale[i] : val[core[p]];
      const row = coreRowOffset[i];
      let r = 0.5 * cov[row + i] * va;
      for (let q = 0; q < cores; q++) {
        const j = idx[core[q]];
        if (j > i) r += cov[row + j] * (scale ? val[core[q]] * scale[j] : val[core[q]]);
      }
      v += 2 * r * va;
    }
    out.mean = m + o;
    out.variance = Math.max(0, v);
    return out;
  }

  update(z: Sparse, y: number, weight = 1): void {
    const { coreCovariance: cov, coreSize, scratch: u, coefficients, coreRowOffset, tailVariances } = this;
    const { idx, val, nnz } = z;
    const root = Math.sqrt(weight);
    // u = C z on the core: row j of the triangle holds (j, j..), the part above it is read down column j.
    u.fill(0);
    for (let c = 0; c < nnz; c++) {
      const j = idx[c];
      if (j >= coreSize) continue;
      const v = val[c] * root;
      for (let i = 0; i < j; i++) u[i] += cov[coreRowOffset[i] + j] * v;
      const row = coreRowOffset[j];
      for (let i = j; i < coreSize; i++) u[i] += cov[row + i] * v;
    }
    let coreZu = 0;
    let tailZu = 0;
    for (let c = 0; c < nnz; c++) {
      const j = idx[c];
      const v = val[c] * root;
      if (j < coreSize) coreZu += u[j] * v;
      else tailZu += tailVariances[j] * v * v;
    }
    const gain = ((y - this.mean(z)) * root) / (1 + coreZu + tailZu);
    for (let i = 0; i < coreSize; i++) coefficients[i] += u[i] * gain;
    for (let c = 0; c < nnz; c++) {
      const j = idx[c];
      if (j >= coreSize) coefficients[j] += tailVariances[j] * val[c] * root * gain;
    }
    // The precision gains w z z' on the core block and w z_i^2 on each other coordinate.
    symRank1(cov, u, coreSize, -1 / (1 + coreZu));
    const { coreGram, tailGram } = this;
    for (let a = 0; a < nnz; a++) {
      const i = idx[a];
      const va = val[a] * weight;
      if (i >= coreSize) {
        tailGram[i] += va * val[a];
        tailVariances[i] = 1 / (1 + tailGram[i]);
        continue;
      }
      // Each unordered core pair once: the packed triangle holds (i, j) with i <= j only.
      for (let c = 0; c < nnz; c++)
        if (idx[c] >= i && idx[c] < coreSize) coreGram[coreRowOffset[i] + idx[c]] += va * val[c];
    }
    this.weight += weight;
  }

  /** The posterior from the precision blocks and the coefficients: covariance and variances. */
  private rebuildCovariance(): void {
    const { coreSize } = this;
    const a = Float64Array.from(this.coreGram);
    for (let i = 0; i < coreSize; i++) a[this.coreRowOffset[i] + i] += 1;
    invertSpd(a, coreSize, this.coreCovariance);
    for (let i = coreSize; i < this.dimension; i++) this.tailVariances[i] = 1 / (1 + this.tailGram[i]);
  }

  /** The prior snapshot (merges subtract it): everything but the covariance, which the data determine. */
  dataState(): RidgeState {
    return {
      coreGram: Array.from(this.coreGram),
      tailGram: Array.from(this.tailGram.subarray(this.coreSize)),
      coefficients: Array.from(this.coefficients),
      weight: this.weight,
    };
  }

  toState(): RidgeState {
    return { ...this.dataState(), coreCovariance: Array.from(this.coreCovariance) };
  }

  load(s: RidgeState): void {
    if (s.coreGram.length !== this.coreGram.length || s.tailGram.length !== this.dimension - this.coreSize)
      throw new Error(`auto: stored ridge state does not fit dimension ${this.dimension}, core size ${this.coreSize}`);
    this.coreGram.set(s.coreGram);
    this.tailGram.set(s.tailGram, this.coreSize);
    this.coefficients.set(s.coefficients);
    this.weight = s.weight;
    this.rebuildCovariance();
    if (s.coreCovariance) this.coreCovariance.set(s.coreCovariance);
  }

  /** Precision-weighted mean (I + gram) mu, block by block: what adds when replicas merge. */
  private naturalMean(s: RidgeState): Float64Array {
    const { coreSize, dimension } = this;
    const eta = new Float64Array(dimension);
    const a = Float64Array.from(s.coreGram);
    for (let i = 0; i < coreSize; i++) a[this.coreRowOffset[i] + i] += 1;
    symMatVec(a, s.coefficients, coreSize, eta);
    for (let i = coreSize; i < dimension; i++) eta[i] = (1 + s.tailGram[i - coreSize]) * s.coefficients[i];
    return eta;
  }

  /**
   * Adds another replica's posterior, minus what both started from (`shared`): precisions and
   * precision-weighted means add (the product of the two posteriors over the shared prior).
   */
  merge(other: RidgeState, shared: RidgeState | null): void {
    const eta = this.naturalMean(this.dataState());
    const add = (s: RidgeState, sign: number) => {
      const e = this.naturalMean(s);
      for (let i = 0; i < eta.length; i++) eta[i] += sign * e[i];
      for (let i = 0; i < this.coreGram.length; i++) this.coreGram[i] += sign * s.coreGram[i];
      for (let i = this.coreSize; i < this.dimension; i++) this.tailGram[i] += sign * s.tailGram[i - this.coreSize];
      this.weight += sign * s.weight;
    };
    add(other, 1);
    if (shared) add(shared, -1);
    this.rebuildCovariance();
    symMatVec(this.coreCovariance, eta, this.coreSize, this.coefficients);
    for (let i = this.coreSize; i < this.dimension; i++) this.coefficients[i] = eta[i] * this.tailVariances[i];
  }

  /**
   * The exact ridge posterior of full data (gram packed over all coordinates, targetMoment):
   * its mean, and the blocks of its precision.
   */
  fit(gram: ArrayLike<number>, targetMoment: ArrayLike<number>, weight: number): void {
    const { dimension, coreSize } = this;
    const a = Float64Array.from(gram);
    for (let i = 0; i < dimension; i++) a[cell(dimension, i, i)] += 1;
    const full = new Float64Array(a.length);
    invertSpd(a, dimension, full);
    symMatVec(full, targetMoment, dimension, this.coefficients);
    let k = 0;
    for (let i = 0; i < coreSize; i++)
      for (let j = i; j < coreSize; j++) this.coreGram[k++] = gram[cell(dimension, i, j)];
    for (let i = coreSize; i < dimension; i++) this.tailGram[i] = gram[cell(dimension, i, i)];
    this.weight = weight;
    this.rebuildCovariance();
  }

  /**
   * Fits offline sufficient statistics on raw features, for this model on features scaled by
   * `scale`: gram = S xx' S, targetMoment_i = scale_i * target(i).
   */
  absorb(lin: WarmLinearStats, scale: Float64Array, target: (i: number) => number): void {
    const { dimension } = this;
    if (lin.d !== dimension) throw new Error(`auto: warm-start dimension ${lin.d} != ${dimension}`);
    const gram = new Float64Array(packedSize(dimension));
    const targetMoment = new Float64Array(dimension);
    let k = 0;
    for (let i = 0; i < dimension; i++) {
      targetMoment[i] = scale[i] * target(i);
      for (let j = i; j < dimension; j++) gram[k++] = scale[i] * scale[j] * lin.xx[i * dimension + j];
    }
    this.fit(gram, targetMoment, lin.n);
  }
}
