import { identityPacked, invertSpd, packedSize, symMatVec, symRank1 } from '../linalg';
import { WarmLinearStats } from '../warm-start';
import { Sparse } from './features';

/** Index of (i, j) in the packed upper triangle; linalg's packedIndex without its swap allocation (hot path). */
function cell(d: number, i: number, j: number): number {
  return i <= j ? i * d - (i * (i - 1)) / 2 + (j - i) : j * d - (j * (j - 1)) / 2 + (i - j);
}

/** What a ridge model serialises: its data, and the posterior as updated online. */
export interface RidgeState {
  /** sum of weight * z z', packed upper triangle (linalg.ts layout), over all coordinates. */
  gram: number[];
  /** sum of weight * z y. */
  targetMoment: number[];
  /** Total weight of the observations (pseudo-observations of a prior included). */
  weight: number;
  /**
   * (I + the core block of gram)^-1, packed, and the coefficients, as updated online. Kept so
   * that a restored model continues bit for bit (re-inverting differs in the last bits);
   * absent in prior snapshots, which are rebuilt from the data on load.
   */
  coreCovariance?: number[];
  coefficients?: number[];
}

/**
 * Bayesian ridge regression (unit prior precision) on sparse inputs with a block-diagonal,
 * mean-field posterior (docs/decisions/0027-auto-cheaper-model.md): the core coordinates
 * [0, coreSize) keep their joint covariance, every later coordinate is independent. Each
 * block's precision is that block of the exact posterior precision, I + gram (the
 * closest block-diagonal Gaussian to the exact posterior, in KL(q || p)): the core's
 * covariance is (I + gram_core)^-1, kept by Sherman-Morrison on the core part of z, and
 * coordinate i's variance is 1 / (1 + gram_ii), read off the gram. Both are functions of the
 * data alone, so replicas that merge their data agree on them exactly.
 *
 * The coefficients take, per observation, the exact Bayesian step from that posterior (the
 * recursive-least-squares gain with the block-diagonal covariance): O(coreSize^2 + nnz) per
 * observation plus O(nnz^2 / 2) to keep the exact data, instead of O(dimension^2 / 2); O(nnz +
 * nnz_core^2) per prediction. Merges and warm starts refit the exact ridge mean from the data.
 * With coreSize = dimension it is exact ridge.
 */
export class Ridge {
  readonly gram: Float64Array;
  readonly targetMoment: Float64Array;
  readonly coefficients: Float64Array;
  readonly coreCovariance: Float64Array;
  weight = 0;
  /** u = C z on the core, one scratch per model. */
  private readonly scratch: Float64Array;
  /** Positions of z's core entries in variance() (scratch). */
  private readonly corePositions: Int32Array;
  /** 1 / (1 + gram_ii) for i >= coreSize (read on every decision: no division there). */
  private readonly tailVariances: Float64Array;
  /** rowOffset[i] + j is the packed index of (i, j), i <= j, in the gram's triangle. */
  private readonly rowOffset: Int32Array;
  /** The same for the core covariance's triangle. */
  private readonly coreRowOffset: Int32Array;

  constructor(
    readonly dimension: number,
    readonly coreSize: number = dimension,
  ) {
    if (!Number.isInteger(coreSize) || coreSize < 0 || coreSize > dimension)
      throw new Error(`auto: ridge core size ${coreSize} outside [0, ${dimension}]`);
    this.gram = new Float64Array(packedSize(dimension));
    this.targetMoment = new Float64Array(dimension);
    this.coefficients = new Float64Array(dimension);
    this.coreCovariance = identityPacked(coreSize, 1);
    this.scratch = new Float64Array(coreSize);
    this.tailVariances = new Float64Array(dimension).fill(1);
    this.corePositions = new Int32Array(dimension);
    this.rowOffset = Int32Array.from({ length: dimension }, (_, i) => cell(dimension, i, i) - i);
    this.coreRowOffset = Int32Array.from({ length: coreSize }, (_, i) => cell(coreSize, i, i) - i);
  }

  /** Posterior variance of coefficient i >= coreSize. */
  tailVariance(i: number): number {
    return this.tailVariances[i];
  }

  private refreshTailVariances(): void {
    for (let i = this.coreSize; i < this.dimension; i++)
      this.tailVariances[i] = 1 / (1 + this.gram[this.rowOffset[i] + i]);
  }

  /**
   * The posterior mean at z, or at z scaled coordinate-wise by `scale` (a model fitted on
   * scaled features, read at raw ones without building the scaled vector: decide's hot path),
   * plus offset . z (prior coefficients on raw features) if given.
   */
  mean(z: Sparse, scale?: Float64Array, offset?: Float64Array | null): number {
    const { coefficients } = this;
    const { idx, val, nnz } = z;
    let s = 0;
    let o = 0;
    if (scale && offset)
      for (let k = 0; k < nnz; k++) {
        const i = idx[k];
        s += coefficients[i] * (val[k] * scale[i]);
        o += offset[i] * val[k];
      }
    else if (scale) for (let k = 0; k < nnz; k++) s += coefficients[idx[k]] * (val[k] * scale[idx[k]]);
    else for (let k = 0; k < nnz; k++) s += coefficients[idx[k]] * val[k];
    return s + o;
  }

  /** z' C z under the block-diagonal posterior (z scaled by `scale` if given): the variance of the mean, in noise units squared. */
  variance(z: Sparse, scale?: Float64Array): number {
    const { coreCovariance: cov, coreRowOffset, coreSize, tailVariances } = this;
    const { idx, val, nnz } = z;
    const core = nnz <= this.corePositions.length ? this.corePositions : new Int32Array(nnz);
    let cores = 0;
    let s = 0;
    for (let a = 0; a < nnz; a++) {
      const i = idx[a];
      if (i < coreSize) {
        core[cores++] = a;
        continue;
      }
      const va = scale ? val[a] * scale[i] : val[a];
      s += tailVariances[i] * va * va;
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
      s += 2 * r * va;
    }
    return Math.max(0, s);
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
    // The core's precision gains z_core z_core' (the tail's gains its share through the gram).
    symRank1(cov, u, coreSize, -1 / (1 + coreZu));
    this.addData(z, y, weight);
  }

  /**
   * gram += w z z', targetMoment += w z y: O(nnz^2 / 2), the exact data that the tail's
   * variances, merges and warm starts read.
   */
  private addData(z: Sparse, y: number, weight: number): void {
    const { rowOffset, gram, targetMoment } = this;
    const { idx, val, nnz } = z;
    // Each unordered pair once: the packed triangle holds (i, j) with i <= j only. Indices
    // ascend when AutoFeatureMap built them, so pairs (a, c >= a) are the ones, no test needed.
    let ascending = true;
    for (let k = 1; k < nnz && ascending; k++) ascending = idx[k] > idx[k - 1];
    for (let a = 0; a < nnz; a++) {
      const i = idx[a];
      const va = val[a] * weight;
      targetMoment[i] += va * y;
      const row = rowOffset[i];
      if (ascending) for (let c = a; c < nnz; c++) gram[row + idx[c]] += va * val[c];
      else for (let c = 0; c < nnz; c++) if (idx[c] >= i) gram[row + idx[c]] += va * val[c];
    }
    for (let a = 0; a < nnz; a++) {
      const i = idx[a];
      if (i >= this.coreSize) this.tailVariances[i] = 1 / (1 + gram[rowOffset[i] + i]);
    }
    this.weight += weight;
  }

  /** The exact ridge mean of gram and targetMoment, and the core block's covariance (I + gram_core)^-1. */
  refresh(): void {
    const { dimension, coreSize } = this;
    const a = Float64Array.from(this.gram);
    for (let i = 0; i < dimension; i++) a[cell(dimension, i, i)] += 1;
    const core = new Float64Array(packedSize(coreSize));
    let k = 0;
    for (let i = 0; i < coreSize; i++) for (let j = i; j < coreSize; j++) core[k++] = a[cell(dimension, i, j)];
    invertSpd(core, coreSize, this.coreCovariance);
    this.refreshTailVariances();
    const full = new Float64Array(a.length);
    invertSpd(a, dimension, full);
    symMatVec(full, this.targetMoment, dimension, this.coefficients);
  }

  /** The data only: what a prior snapshot needs (merges subtract it). */
  dataState(): RidgeState {
    return { gram: Array.from(this.gram), targetMoment: Array.from(this.targetMoment), weight: this.weight };
  }

  toState(): RidgeState {
    return {
      ...this.dataState(),
      coreCovariance: Array.from(this.coreCovariance),
      coefficients: Array.from(this.coefficients),
    };
  }

  load(s: RidgeState): void {
    this.gram.set(s.gram);
    this.targetMoment.set(s.targetMoment);
    this.weight = s.weight;
    if (s.coreCovariance && s.coefficients) {
      if (s.coreCovariance.length !== this.coreCovariance.length)
        throw new Error(`auto: stored ridge posterior does not fit core size ${this.coreSize}`);
      this.coreCovariance.set(s.coreCovariance);
      this.coefficients.set(s.coefficients);
      this.refreshTailVariances();
    } else this.refresh();
  }

  /** Adds another replica's data, minus what both started from (`shared`), then refreshes. */
  merge(other: RidgeState, shared: RidgeState | null): void {
    for (let i = 0; i < this.gram.length; i++) this.gram[i] += other.gram[i] - (shared ? shared.gram[i] : 0);
    for (let i = 0; i < this.targetMoment.length; i++)
      this.targetMoment[i] += other.targetMoment[i] - (shared ? shared.targetMoment[i] : 0);
    this.weight += other.weight - (shared ? shared.weight : 0);
    this.refresh();
  }

  /**
   * Loads offline sufficient statistics on raw features into this model on features scaled by
   * `scale`: gram = S xx' S, targetMoment_i = scale_i * target(i).
   */
  absorb(lin: WarmLinearStats, scale: Float64Array, target: (i: number) => number): void {
    const { dimension } = this;
    if (lin.d !== dimension) throw new Error(`auto: warm-start dimension ${lin.d} != ${dimension}`);
    let k = 0;
    for (let i = 0; i < dimension; i++) {
      this.targetMoment[i] = scale[i] * target(i);
      for (let j = i; j < dimension; j++) this.gram[k++] = scale[i] * scale[j] * lin.xx[i * dimension + j];
    }
    this.weight = lin.n;
    this.refresh();
  }
}
