import { identityPacked, invertSpd, packedSize, symMatVec, symRank1 } from '../linalg';
import { PackedStore } from '../simd';
import { WarmLinearStats } from '../warm-start';
import { Sparse } from './features';

/** Index of (i, j) in the packed upper triangle; linalg's packedIndex without its swap allocation (hot path). */
function cell(d: number, i: number, j: number): number {
  return i <= j ? i * d - (i * (i - 1)) / 2 + (j - i) : j * d - (j * (j - 1)) / 2 + (i - j);
}

/** Strictly ascending indices (what AutoFeatureMap builds): the hot loops can skip half the pairs. */
function isAscending(z: Sparse): boolean {
  for (let k = 1; k < z.nnz; k++) if (z.idx[k] <= z.idx[k - 1]) return false;
  return true;
}

/** What a ridge model serialises: its data, not its inverse (rebuilt on load). */
export interface RidgeState {
  /** sum of weight * z z', packed upper triangle (linalg.ts layout). */
  gram: number[];
  /** sum of weight * z y. */
  targetMoment: number[];
  /** Total weight of the observations (pseudo-observations of a prior included). */
  weight: number;
  /**
   * (I + gram)^-1 (packed) and the coefficients as updated online. Kept so that a restored
   * model continues bit for bit (re-inverting differs in the last bits); absent in prior
   * snapshots and format-1 states, which are re-inverted on load.
   */
  covariance?: number[];
  coefficients?: number[];
}

/**
 * Ridge regression with unit prior precision on sparse inputs, updated by recursive least
 * squares (Sherman-Morrison on the packed covariance plus the matching coefficient update):
 * O(D * nnz + D^2 / 2) per observation, O(nnz^2) per prediction, no inversion after a warm
 * start or a merge.
 */
export class Ridge {
  readonly gram: Float64Array;
  readonly targetMoment: Float64Array;
  readonly coefficients: Float64Array;
  weight = 0;
  private readonly scratch: Float64Array;
  /** rowOffset[i] + j is the packed index of (i, j), i <= j: no index arithmetic in the hot loops. */
  private readonly rowOffset: Int32Array;
  /** The covariance when it does not live in a store slot. */
  private readonly ownCovariance: Float64Array | null;
  private readonly slot: number;

  /**
   * With a `store` (slots of packedSize(dimension) doubles) the covariance lives in one of its
   * slots, where the WebAssembly SIMD kernels read it in place (tailVariance).
   */
  constructor(
    readonly dimension: number,
    private readonly store: PackedStore | null = null,
  ) {
    this.gram = new Float64Array(packedSize(dimension));
    this.targetMoment = new Float64Array(dimension);
    if (store) {
      if (store.size !== packedSize(dimension)) throw new Error('auto: ridge store slot size != packed dimension');
      this.slot = store.alloc();
      this.ownCovariance = null;
      identityPacked(dimension, 1, store.view(this.slot));
    } else {
      this.slot = -1;
      this.ownCovariance = identityPacked(dimension, 1);
    }
    this.coefficients = new Float64Array(dimension);
    this.scratch = new Float64Array(dimension);
    this.rowOffset = Int32Array.from({ length: dimension }, (_, i) => cell(dimension, i, i) - i);
  }

  /** (I + gram)^-1, packed. A store view: do not keep it across a store alloc (growth detaches it). */
  get covariance(): Float64Array {
    return this.ownCovariance ?? this.store!.view(this.slot);
  }

  /** Gives the store slot back (the model is dropped). */
  release(): void {
    if (this.store) this.store.release(this.slot);
  }

  /**
   * z' C z for z = [head (sparse, indices < tailStart), tail (dense, coordinates tailStart..)],
   * the tail given as store slots: `tailSlot` holds it, `outerSlot` its packed outer product
   * (PackedStore.outer). The tail rows of the packed triangle are one contiguous packed
   * matrix, and each head row's tail columns are contiguous too, so all but the few head
   * pairs are SIMD dot products read in place: the same sum as variance(), reordered.
   */
  tailVariance(head: Sparse, tailStart: number, tailSlot: number, outerSlot: number): number {
    const store = this.store!;
    const { covariance, rowOffset, dimension } = this;
    const tail = dimension - tailStart;
    let s = store.dot(outerSlot, 0, this.slot, covariance.length - packedSize(tail), packedSize(tail));
    for (let a = 0; a < head.nnz; a++) {
      const i = head.idx[a];
      const row = rowOffset[i];
      const va = head.val[a];
      let r = 0.5 * covariance[row + i] * va + store.dot(tailSlot, 0, this.slot, row + tailStart, tail);
      for (let c = a + 1; c < head.nnz; c++) r += covariance[row + head.idx[c]] * head.val[c];
      s += 2 * r * va;
    }
    return Math.max(0, s);
  }

  mean(z: Sparse): number {
    let s = 0;
    for (let k = 0; k < z.nnz; k++) s += this.coefficients[z.idx[k]] * z.val[k];
    return s;
  }

  /** z' (I + gram)^-1 z: the posterior variance of the mean, in noise units squared. */
  variance(z: Sparse): number {
    const { covariance, rowOffset } = this;
    // Each unordered pair once, off-diagonal terms doubled (the covariance is symmetric).
    let s = 0;
    if (isAscending(z)) {
      for (let a = 0; a < z.nnz; a++) {
        const row = rowOffset[z.idx[a]];
        const va = z.val[a];
        let r = 0.5 * covariance[row + z.idx[a]] * va;
        for (let c = a + 1; c < z.nnz; c++) r += covariance[row + z.idx[c]] * z.val[c];
        s += 2 * r * va;
      }
      return Math.max(0, s);
    }
    for (let a = 0; a < z.nnz; a++) {
      const i = z.idx[a];
      const row = rowOffset[i];
      const va = z.val[a];
      let r = 0.5 * covariance[row + i] * va;
      for (let c = 0; c < z.nnz; c++) {
        const j = z.idx[c];
        if (j > i) r += covariance[row + j] * z.val[c];
      }
      s += 2 * r * va;
    }
    return Math.max(0, s);
  }

  update(z: Sparse, y: number, weight = 1): void {
    const { covariance, dimension, scratch: u, coefficients, rowOffset } = this;
    const root = Math.sqrt(weight);
    // u = C z. The part on and above the diagonal, (j, j..D-1) for each active j, is row j of
    // the triangle: contiguous. The part below it, C(i, j) for i < j, is read row by row too
    // when the indices ascend (they do, from AutoFeatureMap), instead of down columns.
    u.fill(0);
    const ascending = isAscending(z);
    for (let c = 0; c < z.nnz; c++) {
      const j = z.idx[c];
      const v = z.val[c] * root;
      if (!ascending) for (let i = 0; i < j; i++) u[i] += covariance[rowOffset[i] + j] * v;
      const row = rowOffset[j];
      for (let i = j; i < dimension; i++) u[i] += covariance[row + i] * v;
    }
    if (ascending) {
      let first = 0;
      for (let i = 0; i < dimension; i++) {
        while (first < z.nnz && z.idx[first] <= i) first++;
        if (first === z.nnz) break;
        const row = rowOffset[i];
        let acc = 0;
        for (let c = first; c < z.nnz; c++) acc += covariance[row + z.idx[c]] * z.val[c];
        u[i] += acc * root;
      }
    }
    let zu = 0;
    for (let c = 0; c < z.nnz; c++) zu += u[z.idx[c]] * z.val[c] * root;
    const denom = 1 + zu;
    const gain = ((y - this.mean(z)) * root) / denom;
    for (let i = 0; i < dimension; i++) coefficients[i] += u[i] * gain;
    symRank1(covariance, u, dimension, -1 / denom);
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

  /** Recomputes the covariance and the coefficients from gram and targetMoment. */
  refresh(): void {
    const { dimension } = this;
    const a = Float64Array.from(this.gram);
    for (let i = 0; i < dimension; i++) a[cell(dimension, i, i)] += 1;
    invertSpd(a, dimension, this.covariance);
    symMatVec(this.covariance, this.targetMoment, dimension, this.coefficients);
  }

  /** The data only: what a prior snapshot needs (merges subtract it). */
  dataState(): RidgeState {
    return { gram: Array.from(this.gram), targetMoment: Array.from(this.targetMoment), weight: this.weight };
  }

  toState(): RidgeState {
    return {
      ...this.dataState(),
      covariance: Array.from(this.covariance),
      coefficients: Array.from(this.coefficients),
    };
  }

  load(s: RidgeState): void {
    this.gram.set(s.gram);
    this.targetMoment.set(s.targetMoment);
    this.weight = s.weight;
    if (s.covariance && s.coefficients) {
      this.covariance.set(s.covariance);
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
