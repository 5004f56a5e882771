import { mulberry32 } from '@llm-router/numerics';
import { QueryFeaturizer, QueryFeaturizerOptions } from './query-featurizer';

/**
 * Anything that turns texts into fixed-length vectors: an OpenAI-compatible /v1/embeddings
 * endpoint (see @llm-router/providers), a local model, or a test double.
 */
export interface EmbeddingsProvider {
  /** Length of every vector embed() returns. */
  readonly dim: number;
  /** One vector per text, in input order. */
  embed(texts: string[]): Promise<Float64Array[]>;
}

/**
 * Seeded Johnson-Lindenstrauss projection with Rademacher entries (+-1/sqrt(outDim),
 * Achlioptas 2003): distances survive up to (1 +- eps) with high probability, and a seed is
 * all a replica needs to rebuild the identical matrix, so it never has to be shipped.
 */
export class RandomProjection {
  private readonly m: Float64Array;

  constructor(
    readonly inDim: number,
    readonly outDim: number,
    readonly seed = 1,
  ) {
    if (!Number.isInteger(inDim) || inDim < 1 || !Number.isInteger(outDim) || outDim < 1) {
      throw new RangeError(`RandomProjection needs positive integer dims, got ${inDim} -> ${outDim}`);
    }
    const rnd = mulberry32(seed);
    const s = 1 / Math.sqrt(outDim);
    this.m = new Float64Array(inDim * outDim);
    for (let i = 0; i < this.m.length; i++) this.m[i] = rnd() < 0.5 ? -s : s;
  }

  project(v: ArrayLike<number>, out: Float64Array = new Float64Array(this.outDim), offset = 0): Float64Array {
    if (v.length !== this.inDim) throw new RangeError(`expected a vector of length ${this.inDim}, got ${v.length}`);
    for (let r = 0; r < this.outDim; r++) {
      let acc = 0;
      const row = r * this.inDim;
      for (let c = 0; c < this.inDim; c++) acc += this.m[row + c] * v[c];
      out[offset + r] = acc;
    }
    return out;
  }
}

export interface CombinedFeaturizerOptions {
  provider: EmbeddingsProvider;
  /** The hashed/dense featurizer, or its options (default: DEFAULT_FEATURE_DIM). */
  base?: QueryFeaturizer | QueryFeaturizerOptions;
  /** Project the embedding down to this many dims (default: keep provider.dim). */
  projectTo?: number;
  /** Projection seed (default 1). */
  seed?: number;
  /** L2-normalise the embedding block (default true) so it weighs like the hashed block. */
  normalize?: boolean;
  /**
   * What to do when the provider fails: 'throw' (default) or 'zeros', which keeps the query
   * routable on the base features alone (the embedding block is all zeros).
   */
  onError?: 'throw' | 'zeros';
}

/** [QueryFeaturizer features | (projected) embedding]. */
export class CombinedFeaturizer {
  readonly dim: number;
  readonly base: QueryFeaturizer;
  private readonly provider: EmbeddingsProvider;
  private readonly projection?: RandomProjection;
  private readonly embDim: number;
  private readonly normalize: boolean;
  private readonly onError: 'throw' | 'zeros';

  constructor(opts: CombinedFeaturizerOptions) {
    this.provider = opts.provider;
    this.base = opts.base instanceof QueryFeaturizer ? opts.base : new QueryFeaturizer(opts.base);
    if (opts.projectTo !== undefined) {
      this.projection = new RandomProjection(this.provider.dim, opts.projectTo, opts.seed ?? 1);
      this.embDim = opts.projectTo;
    } else {
      this.embDim = this.provider.dim;
    }
    this.dim = this.base.dim + this.embDim;
    this.normalize = opts.normalize ?? true;
    this.onError = opts.onError ?? 'throw';
  }

  async featurize(text: string): Promise<Float64Array> {
    return (await this.featurizeMany([text]))[0];
  }

  /** One provider call for the whole batch. */
  async featurizeMany(texts: string[]): Promise<Float64Array[]> {
    if (texts.length === 0) return [];
    let embs: Float64Array[] | null;
    try {
      embs = await this.provider.embed(texts);
      if (embs.length !== texts.length) {
        throw new Error(`embeddings provider returned ${embs.length} vectors for ${texts.length} texts`);
      }
      for (const e of embs) {
        if (e.length !== this.provider.dim) {
          throw new Error(`embeddings provider returned a vector of length ${e.length}, expected ${this.provider.dim}`);
        }
      }
    } catch (err) {
      if (this.onError === 'throw') throw err;
      embs = null;
    }
    return texts.map((t, i) => {
      const out = new Float64Array(this.dim);
      this.base.featurizeInto(t, out, 0);
      if (embs) this.writeEmbedding(embs[i], out, this.base.dim);
      return out;
    });
  }

  private writeEmbedding(e: Float64Array, out: Float64Array, offset: number): void {
    if (this.projection) this.projection.project(e, out, offset);
    else out.set(e, offset);
    if (!this.normalize) return;
    let s = 0;
    for (let i = offset; i < offset + this.embDim; i++) s += out[i] * out[i];
    if (s === 0) return;
    const k = 1 / Math.sqrt(s);
    for (let i = offset; i < offset + this.embDim; i++) out[i] *= k;
  }
}
