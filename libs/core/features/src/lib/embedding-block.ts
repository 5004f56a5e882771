import { RandomProjection } from './embeddings';

/**
 * Every coordinate of an embedding block is a multiple of 1/128 in [-127/128, 127/128]:
 * an int8 with a fixed scale. Such a value is exact in binary floating point and prints in
 * at most 9 characters of JSON, so a DecisionEvent that carries the block as plain numbers
 * stays small and the learner reads back the very doubles the policy decided on.
 */
export const EMBEDDING_QUANTUM = 1 / 128;
const MAX_STEPS = 127;

/**
 * The embedding part of a policy's context (EMBEDDING_DIM coordinates after the hashed
 * features): a provider's embedding, or caller-supplied features, reduced to `dim`
 * coordinates, L2-normalised (so that it weighs like the unit-norm hashed block whatever the
 * embedding model's scale) and quantised to EMBEDDING_QUANTUM.
 *
 * A longer embedding is reduced by a seeded random projection, not by keeping its first
 * components: the first components only summarise the vector for models trained for it
 * (Matryoshka), while a Johnson-Lindenstrauss projection keeps inner products approximately
 * for any embedding model, and its seed is all a router replica needs to build the same one.
 */
export class EmbeddingBlock {
  /** One projection per input length: the embedding model decides that length, not us. */
  private readonly projections = new Map<number, RandomProjection>();

  constructor(
    readonly dim: number,
    private readonly seed = 1,
  ) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`an embedding block needs dim >= 1, got ${dim}`);
  }

  /** A provider's embedding of any length; one of length `dim` is used as it is (no projection). */
  fromEmbedding(embedding: ArrayLike<number>): Float64Array {
    if (embedding.length === this.dim) return quantiseUnit(Float64Array.from(embedding));
    let projection = this.projections.get(embedding.length);
    if (!projection) {
      projection = new RandomProjection(embedding.length, this.dim, this.seed);
      this.projections.set(embedding.length, projection);
    }
    return quantiseUnit(projection.project(embedding));
  }

  /**
   * QueryRequest.features: the caller's own embedding (or any signal), already `dim` long.
   * Treated exactly as a provider's embedding of that length, so that both sources mean the
   * same to the policy. Throws a RangeError that says what is expected otherwise.
   */
  fromCallerFeatures(features: readonly number[]): Float64Array {
    if (features.length !== this.dim)
      throw new RangeError(`features must have ${this.dim} entries (EMBEDDING_DIM), got ${features.length}`);
    return this.fromEmbedding(features);
  }
}

/** L2-normalises `v` in place and rounds each coordinate to EMBEDDING_QUANTUM; a zero vector stays zero. */
export function quantiseUnit(v: Float64Array): Float64Array {
  let sumSquares = 0;
  for (const x of v) sumSquares += x * x;
  const scale = sumSquares > 0 ? 1 / Math.sqrt(sumSquares) : 0;
  for (let i = 0; i < v.length; i++) {
    const steps = Math.round(v[i] * scale * 128);
    // `+ 0` turns -0 into 0: the sparse decision log drops zeros, and -0 would survive as "-0".
    v[i] = Math.max(-MAX_STEPS, Math.min(MAX_STEPS, steps)) * EMBEDDING_QUANTUM + 0;
  }
  return v;
}

/**
 * The policy's context: `base` (the hashed features) followed by `block` (the embedding
 * part, zeros when there is none), `dim` coordinates in all. The learner rebuilds the same
 * vector from the decision log, where both parts travel as one sparse map.
 */
export function appendEmbeddingBlock(
  base: Float64Array,
  block: ArrayLike<number> | undefined,
  dim: number,
): Float64Array {
  if (base.length === dim && !block) return base;
  const blockDim = dim - base.length;
  if (blockDim < 0) throw new RangeError(`features of length ${base.length} exceed the policy's dimension ${dim}`);
  if (block && block.length !== blockDim)
    throw new RangeError(`embedding block of length ${block.length}, expected ${blockDim} (EMBEDDING_DIM)`);
  const out = new Float64Array(dim);
  out.set(base);
  if (block) out.set(block, base.length);
  return out;
}
