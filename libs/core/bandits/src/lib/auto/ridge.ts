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
   * The posterior as updated online: the core block's covariance (packed), the other
   * coordinates' variances and the coefficients. Kept so that a restored model continues
   * bit for bit; absent in prior snapshots, which are rebuilt from the data on load.
   */
  coreCovariance?: number[];
  tailVariance?: number[];
  coefficients?: number[];
}

/**
 * The block-diagonal projection of a full packed posterior covariance (dimension d): the
 * core block [0, coreSize) as it is, and the marginal variance of every later coordinate.
 * What refresh() keeps of an exact posterior, and what a format-2 state migrates to.
 */
export function projectCovariance(
  full: ArrayLike<number>,
  dimension: number,
  coreSize: number,
): { core: Float64Array; tail: Float64Array } {
  const core = new Float64Array(packedSize(coreSize));
  let k = 0;
  for (let i = 0; i < coreSize; i++) {
    const row = cell(dimension, i, i);
    for (let j = i; j < coreSize; j++) core[k++] = full[row + j - i];
  }
  const tail = new Float64Array(dimension - coreSize);
  for (let i = coreSize; i < dimension; i++) tail[i - coreSize] = full[cell(dimension, i, i)];
  return { core, tail };
}

/**
 * Bayesian ridge regression (unit prior precision) on sparse inputs with a block-diagonal
 * posterior: a full covariance on the core coordinates [0, coreSize) and independent
 * coordinates after them (docs/decisions/0027-auto-cheaper-model.md). Each observation is
 * the exact Bayesian update of that posterior (recursive least squares) followed by dropping
 * the core-tail and tail-tail covariances it creates (assumed density filtering): O(coreSize^2
 * / 2 + nnz) per observation instead of O(dimension^2 / 2), O(nnz_core^2 + nnz) per prediction.
 * With coreSize = dimension it is exact ridge.
 *
 * The data (gram, targetMoment) stay exact over all coordinates: merges and warm starts refit
 * the exact ridge posterior from them and project it (projectCovariance).
 */
export class Ridge {
  readonly gram: Float64Array;
  readonly targetMoment: Float64Array;
  readonly coefficients: Float64Array;
  readonly coreCovariance: Float64Array;
  readonly tailVariance: Float64Array;
  weight = 0;
  private readonly scratch: Float64Array;
  /** rowOffset[i] + j is the packed index of (i, j), i <= j, in the full (gram) triangle. */
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
    this.tailVariance = new Float64Array(dimension - coreSize).fill(1);
    this.scratch = new Float64Array(coreSize);
    this.rowOffset = Int32Array.from({ length: dimension }, (_, i) => cell(dimension, i, i) - i);
    this.coreRowOffset = Int32Array.from({ length: coreSize }, (_, i) => cell(coreSize, i, i) - i);
  }

  mean(z: Sparse): number {
    let s = 0;
    for (let k = 0; k < z.nnz; k++) s += this.coefficients[z.idx[k]] * z.val[k];
    return s;
  }

  /** z' C z under the block-diagonal posterior: the variance of the mean, in noise units squared. */
  variance(z: Sparse): number {
    const { coreCovariance: cov, coreRowOffset, coreSize, tailVariance } = this;
    let s = 0;
    for (let a = 0; a < z.nnz; a++) {
      const i = z.idx[a];
      const va = z.val[a];
      if (i >= coreSize) {
        s += tailVariance[i - coreSize] * va * va;
        continue;
      }
      // Each unordered core pair once (any index order), off-diagonal terms doubled.
      const row = coreRowOffset[i];
      let r = 0.5 * cov[row + i] * va;
      for (let c = 0; c < z.nnz; c++) {
        const j = z.idx[c];
        if (j > i && j < coreSize) r += cov[row + j] * z.val[c];
      }
      s += 2 * r * va;
    }
    return Math.max(0, s);
  }

  update(z: Sparse, y: number, weight = 1): void {
    const { coreCovariance: cov, coreSize, scratch: u, coefficients, coreRowOffset, tailVariance } = this;
    const root = Math.sqrt(weight);
    // u = C z on the core: row j of the triangle holds (j, j..), the part above it is read down column j.
    u.fill(0);
    let zu = 0;
    for (let c = 0; c < z.nnz; c++) {
      const j = z.idx[c];
      const v = z.val[c] * root;
      if (j >= coreSize) {
        zu += tailVariance[j - coreSize] * v * v;
        continue;
      }
      for (let i = 0; i < j; i++) u[i] += cov[coreRowOffset[i] + j] * v;
      const row = coreRowOffset[j];
      for (let i = j; i < coreSize; i++) u[i] += cov[row + i] * v;
    }
    for (let c = 0; c < z.nnz; c++) if (z.idx[c] < coreSize) zu += u[z.idx[c]] * z.val[c] * root;
    const denom = 1 + zu;
    const gain = ((y - this.mean(z)) * root) / denom;
    for (let i = 0; i < coreSize; i++) coefficients[i] += u[i] * gain;
    symRank1(cov, u, coreSize, -1 / denom);
    for (let c = 0; c < z.nnz; c++) {
      const j = z.idx[c];
      if (j < coreSize) continue;
      const t = j - coreSize;
      const uj = tailVariance[t] * z.val[c] * root;
      coefficients[j] += uj * gain;
      tailVariance[t] -= (uj * uj) / denom;
    }
    const { rowOffset } = this;
    for (let a = 0; a < z.nnz; a++) {
      const va = z.val[a] * weight;
      this.targetMoment[z.idx[a]] += va * y;
      for (let c = 0; c < z.nnz; c++) {
        // Each unordered pair once: the packed triangle holds (i, j) with i <= j only.
        if (z.idx[c] < z.idx[a]) continue;
        this.gram[rowOffset[z.idx[a]] + z.idx[c]] += va * z.val[c];
      }
    }
    this.weight += weight;
  }

  /** The exact ridge posterior of gram and targetMoment: its mean, and its covariance projected. */
  refresh(): void {
    const { dimension } = this;
    const a = Float64Array.from(this.gram);
    for (let i = 0; i < dimension; i++) a[cell(dimension, i, i)] += 1;
    const full = new Float64Array(a.length);
    invertSpd(a, dimension, full);
    symMatVec(full, this.targetMoment, dimension, this.coefficients);
    const { core, tail } = projectCovariance(full, dimension, this.coreSize);
    this.coreCovariance.set(core);
    this.tailVariance.set(tail);
  }

  /** The data only: what a prior snapshot needs (merges subtract it). */
  dataState(): RidgeState {
    return { gram: Array.from(this.gram), targetMoment: Array.from(this.targetMoment), weight: this.weight };
  }

  toState(): RidgeState {
    return {
      ...this.dataState(),
      coreCovariance: Array.from(this.coreCovariance),
      tailVariance: Array.from(this.tailVariance),
      coefficients: Array.from(this.coefficients),
    };
  }

  load(s: RidgeState): void {
    this.gram.set(s.gram);
    this.targetMoment.set(s.targetMoment);
    this.weight = s.weight;
    if (s.coreCovariance && s.tailVariance && s.coefficients) {
      if (s.coreCovariance.length !== this.coreCovariance.length || s.tailVariance.length !== this.tailVariance.length)
        throw new Error(`auto: stored ridge posterior does not fit core size ${this.coreSize}`);
      this.coreCovariance.set(s.coreCovariance);
      this.tailVariance.set(s.tailVariance);
      this.coefficients.set(s.coefficients);
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
