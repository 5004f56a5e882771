import type { EmbeddingsProvider } from '@llm-router/features';
import { ProviderError } from './chat-provider';

export interface OpenAiEmbeddingsOptions {
  /** Server root (http://host:port) or an API root ending in /v1; both reach {root}/v1/embeddings. */
  baseUrl: string;
  model: string;
  /** Length of the vectors the model returns; checked on every response. */
  dim: number;
  apiKey?: string;
  /** Per request (default 10000 ms). */
  timeoutMs?: number;
  /**
   * Send `dimensions: dim` (OpenAI text-embedding-3-* can shorten its vectors server-side).
   * Off by default: many OpenAI-compatible servers reject the field.
   */
  requestDimensions?: boolean;
  /** Texts per request (default 128); larger inputs are split and reassembled in order. */
  maxBatch?: number;
  /** Extra attempts on 429, 5xx, timeouts and network errors (default 1). */
  retries?: number;
  /** First backoff (default 200 ms), doubled per retry. */
  backoffMs?: number;
  headers?: Record<string, string>;
}

interface EmbeddingsResponse {
  data?: { embedding?: unknown; index?: number }[];
}

/**
 * Client for an OpenAI-compatible POST /v1/embeddings (OpenAI, vLLM, Ollama, LiteLLM, TEI,
 * Infinity). Uses the global fetch so that it carries no HTTP dependency. Errors are
 * ProviderErrors that say which URL and model failed and why, since an embeddings outage
 * otherwise surfaces far away as "NaN features".
 */
export class OpenAiEmbeddingsProvider implements EmbeddingsProvider {
  readonly dim: number;
  readonly url: string;

  constructor(private readonly opts: OpenAiEmbeddingsOptions) {
    if (!Number.isInteger(opts.dim) || opts.dim < 1)
      throw new RangeError(`dim must be a positive integer, got ${opts.dim}`);
    this.dim = opts.dim;
    const root = opts.baseUrl.replace(/\/+$/, '');
    this.url = /\/v1$/.test(root) ? `${root}/embeddings` : `${root}/v1/embeddings`;
  }

  async embed(texts: string[]): Promise<Float64Array[]> {
    const size = Math.max(1, this.opts.maxBatch ?? 128);
    const out: Float64Array[] = [];
    for (let i = 0; i < texts.length; i += size) out.push(...(await this.withRetries(texts.slice(i, i + size))));
    return out;
  }

  private async withRetries(batch: string[]): Promise<Float64Array[]> {
    const retries = this.opts.retries ?? 1;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(batch);
      } catch (e) {
        if (!(e instanceof ProviderError) || !e.retryable || attempt >= retries) throw e;
        await new Promise((r) => setTimeout(r, (this.opts.backoffMs ?? 200) * 2 ** attempt));
      }
    }
  }

  private async once(batch: string[]): Promise<Float64Array[]> {
    const where = `embeddings ${this.opts.model} at ${this.url}`;
    const timeoutMs = this.opts.timeoutMs ?? 10000;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    let status: number | undefined;
    let text: string;
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        signal: ctl.signal,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
          ...this.opts.headers,
        },
        body: JSON.stringify({
          model: this.opts.model,
          input: batch,
          encoding_format: 'float',
          ...(this.opts.requestDimensions ? { dimensions: this.dim } : {}),
        }),
      });
      status = res.status;
      text = await res.text();
    } catch (e) {
      if (ctl.signal.aborted) throw new ProviderError(`${where}: timed out after ${timeoutMs} ms`, true, status);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new ProviderError(`${where}: request failed (${detail})`, true, status);
    } finally {
      clearTimeout(timer);
    }

    if (status < 200 || status >= 300) {
      throw new ProviderError(
        `${where}: HTTP ${status}: ${errorDetail(text)}`,
        status === 429 || status >= 500,
        status,
      );
    }
    let body: EmbeddingsResponse;
    try {
      body = JSON.parse(text) as EmbeddingsResponse;
    } catch {
      throw new ProviderError(`${where}: response is not JSON: ${text.slice(0, 200)}`, false, status);
    }
    if (!Array.isArray(body?.data) || body.data.length !== batch.length) {
      const got = Array.isArray(body?.data) ? `${body.data.length} embeddings` : 'no data array';
      throw new ProviderError(`${where}: expected ${batch.length} embeddings, got ${got}`, false, status);
    }
    const vectors: Float64Array[] = new Array(batch.length);
    body.data.forEach((d, pos) => {
      // Servers may answer out of order; `index` says which input each vector belongs to.
      const i = typeof d.index === 'number' ? d.index : pos;
      const e = d.embedding;
      if (!Array.isArray(e))
        throw new ProviderError(`${where}: data[${pos}].embedding is not an array of numbers`, false, status);
      if (e.length !== this.dim) {
        throw new ProviderError(`${where}: vector of length ${e.length}, expected dim ${this.dim}`, false, status);
      }
      if (i < 0 || i >= batch.length || vectors[i])
        throw new ProviderError(`${where}: bad or repeated index ${i}`, false, status);
      const v = Float64Array.from(e as number[]);
      if (v.some((x) => !Number.isFinite(x)))
        throw new ProviderError(`${where}: data[${pos}].embedding has non-numbers`, false, status);
      vectors[i] = v;
    });
    return vectors;
  }
}

/** The server's own message when it sends the OpenAI error shape, else the start of the body. */
function errorDetail(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    const m = typeof j.error === 'string' ? j.error : (j.error?.message ?? j.message);
    if (m) return m;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 300) || '(empty body)';
}
