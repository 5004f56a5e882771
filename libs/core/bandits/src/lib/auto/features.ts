import { DecisionContext, SparseVector } from '../policy';

/** Number of template keys, each hashed into its own block of buckets. */
export const TEMPLATE_KEY_COUNT = 3;
/** Coordinate of the intercept (always 1) and of the log-length slot. */
const BIAS_INDEX = 0;
const LENGTH_INDEX = 1;
/** First coordinate of the template blocks. */
const TEMPLATE_START = 2;

const WORD = /[\p{L}\p{N}]+/gu;

/**
 * FNV-1a, 32 bit: the template keys are short strings, and the hash must be identical in every
 * replica and across restarts (no per-process seed).
 */
function fnv1a(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Prompt-template keys. Production prompts, like benchmark items, come from a small number of
 * templates (a system prompt, "Answer with the correct letter", "Write a python function"),
 * and which model wins is mostly a property of the template. Its opening and closing words
 * identify it far more sharply than bag-of-n-gram features, whose hashed mass is dominated by
 * the variable content.
 */
export function templateKeys(text: string): string[] {
  const words = text.toLowerCase().match(WORD) ?? [];
  return [words.slice(0, 2).join(' '), words.slice(-4).join(' '), words.slice(0, 1).join(' ')];
}

/** Sparse feature vector in typed arrays (the hot path's form of SparseVector). */
export interface Sparse {
  idx: Int32Array;
  val: Float64Array;
  nnz: number;
}

/**
 * auto's feature space: [intercept, log length, template blocks (KEYS x buckets), the caller's
 * dense features (contextDim)]. Everything but the dense features is derived from the text;
 * that part is what travels in the decision log as `textFeatures`.
 */
export class AutoFeatureMap {
  /** Total number of coordinates. */
  readonly dimension: number;
  readonly featureStart: number;
  /**
   * The intercept and the length slot, [0, coreSize): the coordinates whose full covariance
   * the ridge models keep; template indicators and the caller's features get independent
   * posteriors (docs/decisions/0027-auto-cheaper-model.md).
   */
  readonly coreSize = TEMPLATE_START;

  constructor(
    readonly contextDim: number,
    readonly buckets: number,
  ) {
    this.featureStart = TEMPLATE_START + TEMPLATE_KEY_COUNT * buckets;
    this.dimension = this.featureStart + contextDim;
  }

  /** Log length and the hashed template indicators of a prompt. */
  textFeatures(text: string): SparseVector {
    // log1p(16k chars) = 1: the same saturation as the featurizer's length slot.
    const indices = [LENGTH_INDEX];
    const values = [Math.min(1, Math.log1p(text.length) / Math.log1p(16384))];
    if (text.length > 0) {
      const keys = templateKeys(text);
      for (let j = 0; j < TEMPLATE_KEY_COUNT; j++) {
        indices.push(TEMPLATE_START + j * this.buckets + (fnv1a(keys[j], j + 1) % this.buckets));
        values.push(1);
      }
    }
    return { indices, values };
  }

  /**
   * Raw (unit-scale) features of a context: logged text features win over the text itself.
   * Written into `into` when given (grown if too small), so that the hot path allocates nothing.
   */
  raw(ctx: DecisionContext, into?: Sparse): Sparse {
    const text = ctx.textFeatures ?? this.textFeatures(ctx.text ?? '');
    if (text.indices.length !== text.values.length)
      throw new RangeError('auto: textFeatures indices and values differ in length');
    const f = ctx.features;
    const m = f ? Math.min(f.length, this.contextDim) : 0;
    const out = withCapacity(into, 1 + text.indices.length + m);
    const { idx, val } = out;
    let k = 0;
    idx[k] = BIAS_INDEX;
    val[k++] = 1;
    for (let j = 0; j < text.indices.length; j++) {
      const i = text.indices[j];
      // A log written under another bucket count (or by another policy) would land on the
      // wrong coordinates: refuse it rather than learn noise.
      if (!Number.isInteger(i) || i < LENGTH_INDEX || i >= this.featureStart)
        throw new RangeError(`auto: text feature index ${i} outside [${LENGTH_INDEX}, ${this.featureStart})`);
      idx[k] = i;
      val[k++] = text.values[j];
    }
    for (let i = 0; i < m; i++) {
      const v = f![i];
      if (v === 0 || !Number.isFinite(v)) continue;
      idx[k] = this.featureStart + i;
      val[k++] = v;
    }
    out.nnz = k;
    return out;
  }

  /** Per-coordinate scale of a model: [intercept, text slots, template block, feature block]. */
  scales(bias: number, template: number, feature: number, text: number): Float64Array {
    const s = new Float64Array(this.dimension);
    s[BIAS_INDEX] = bias;
    for (let i = LENGTH_INDEX; i < TEMPLATE_START; i++) s[i] = text;
    for (let i = TEMPLATE_START; i < this.featureStart; i++) s[i] = template;
    for (let i = this.featureStart; i < this.dimension; i++) s[i] = feature;
    return s;
  }

  /** The intercept alone, scaled by `value` (a prior on an arm's level). */
  static intercept(value: number): Sparse {
    return { idx: Int32Array.of(BIAS_INDEX), val: Float64Array.of(value), nnz: 1 };
  }
}

/** A sparse vector able to hold `capacity` entries: `into` itself (its arrays grown if needed), or a new one. */
function withCapacity(into: Sparse | undefined, capacity: number): Sparse {
  if (!into) return { idx: new Int32Array(capacity), val: new Float64Array(capacity), nnz: 0 };
  if (into.idx.length < capacity) into.idx = new Int32Array(capacity);
  if (into.val.length < capacity) into.val = new Float64Array(capacity);
  return into;
}

/** x scaled coordinate-wise by s, sharing x's indices; written into `into` when given. */
export function scaled(x: Sparse, s: Float64Array, into?: Sparse): Sparse {
  const out = into ?? sparseBuffer();
  if (out.val.length < x.nnz) out.val = new Float64Array(x.nnz);
  out.idx = x.idx;
  out.nnz = x.nnz;
  for (let k = 0; k < x.nnz; k++) out.val[k] = x.val[k] * s[x.idx[k]];
  return out;
}

/** An empty sparse vector to be filled by raw() or scaled() (it grows on first use). */
export function sparseBuffer(): Sparse {
  return withCapacity(undefined, 0);
}

export function dotSparse(w: Float64Array, z: Sparse): number {
  let s = 0;
  for (let k = 0; k < z.nnz; k++) s += w[z.idx[k]] * z.val[k];
  return s;
}

export function densify(x: Sparse, dimension: number): Float64Array {
  const out = new Float64Array(dimension);
  for (let k = 0; k < x.nnz; k++) out[x.idx[k]] = x.val[k];
  return out;
}
