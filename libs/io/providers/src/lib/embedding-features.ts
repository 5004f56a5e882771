import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { EmbeddingBlock, EmbeddingsProvider } from '@llm-router/features';
import { OpenAiEmbeddingsProvider } from './openai-embeddings';
import { LruCache } from './lru-cache';
import { CircuitBreaker } from './resilience';

/**
 * The top-level `embeddings` entry of a models file (snake_case, as its `models` entries):
 *   embeddings: { base_url, model, dim, api_key_env?, timeout_ms?, cache_size?,
 *                 breaker_failures?, breaker_cooldown_ms? }
 */
export const EmbeddingsEntry = z.strictObject({
  /** Server root or API root ending in /v1: POST {root}/v1/embeddings. */
  base_url: z.string().url(),
  model: z.string().min(1),
  /** Length of the vectors the model returns (checked on every answer). */
  dim: z.number().int().positive(),
  /** Environment variable that holds the API key (sent as a bearer token). */
  api_key_env: z.string().min(1).optional(),
  /** A call that takes longer is abandoned and the query routed without its embedding. */
  timeout_ms: z.number().int().positive().default(1000),
  /** Embedding blocks kept, by hash of the prompt text (least recently used out first). */
  cache_size: z.number().int().min(0).default(10_000),
  /** Consecutive failed calls after which calls stop for breaker_cooldown_ms: a dead server costs nothing per query. */
  breaker_failures: z.number().int().min(1).default(3),
  breaker_cooldown_ms: z.number().int().min(0).default(10_000),
});
export type EmbeddingsEntry = z.infer<typeof EmbeddingsEntry>;

/**
 * The `embeddings` entry of a models file (JSON or YAML), or null when it has none. Throws an
 * Error that names the file and the field when the entry is there but wrong.
 */
export function readEmbeddingsEntry(path: string): EmbeddingsEntry | null {
  const doc = parseYaml(readFileSync(path, 'utf8')) as { embeddings?: unknown } | null;
  if (doc?.embeddings === undefined) return null;
  const entry = EmbeddingsEntry.safeParse(doc.embeddings);
  if (!entry.success)
    throw new Error(
      `${path}: embeddings: ${entry.error.issues.map((i) => `${i.path.join('.') || '(entry)'}: ${i.message}`).join('; ')}`,
    );
  return entry.data;
}

/** Why a query was routed without its embedding. */
export type EmbeddingFallbackReason = 'error' | 'circuit-open';

export interface EmbeddingFeaturesOptions {
  provider: EmbeddingsProvider;
  block: EmbeddingBlock;
  cacheSize: number;
  breaker: CircuitBreaker;
  /** Counts and logs each query that goes without its embedding. */
  onFallback?: (reason: EmbeddingFallbackReason, error?: unknown) => void;
}

/**
 * A query's embedding block, never at the price of routing it: blocks are cached by a hash
 * of the text (LRU), a call is bounded by the provider's timeout, and any failure, or an open
 * circuit after repeated failures, yields undefined: the query is routed on the hashed
 * features alone (its embedding block zero), and onFallback counts it.
 */
export class EmbeddingFeatures {
  private readonly cache: LruCache<Float64Array>;

  constructor(private readonly opts: EmbeddingFeaturesOptions) {
    this.cache = new LruCache(opts.cacheSize);
  }

  /** Built from a models file's `embeddings` entry; `env` holds its API key variable. */
  static fromEntry(
    entry: EmbeddingsEntry,
    blockDim: number,
    seed: number,
    env: Record<string, string | undefined>,
    onFallback?: EmbeddingFeaturesOptions['onFallback'],
  ): EmbeddingFeatures {
    return new EmbeddingFeatures({
      provider: new OpenAiEmbeddingsProvider({
        baseUrl: entry.base_url,
        model: entry.model,
        dim: entry.dim,
        apiKey: entry.api_key_env ? env[entry.api_key_env] : undefined,
        timeoutMs: entry.timeout_ms,
        // A retry would double the time a query waits; the fallback is the answer to a failure.
        retries: 0,
      }),
      block: new EmbeddingBlock(blockDim, seed),
      cacheSize: entry.cache_size,
      breaker: new CircuitBreaker({ failureThreshold: entry.breaker_failures, coolDownMs: entry.breaker_cooldown_ms }),
      onFallback,
    });
  }

  get cached(): number {
    return this.cache.size;
  }

  /** The quantised embedding block of `text`, or undefined when the provider cannot give it now. */
  async blockFor(text: string): Promise<Float64Array | undefined> {
    const key = createHash('sha256').update(text).digest('base64');
    const hit = this.cache.get(key);
    if (hit) return hit;
    if (!this.opts.breaker.tryAcquire()) {
      this.opts.onFallback?.('circuit-open');
      return undefined;
    }
    let block: Float64Array;
    try {
      const [embedding] = await this.opts.provider.embed([text]);
      block = this.opts.block.fromEmbedding(embedding);
    } catch (e) {
      this.opts.breaker.failure();
      this.opts.onFallback?.('error', e);
      return undefined;
    }
    this.opts.breaker.success();
    this.cache.set(key, block);
    return block;
  }
}
