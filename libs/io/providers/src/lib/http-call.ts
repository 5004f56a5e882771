import { request } from 'undici';
import { ProviderError } from './chat-provider';

export interface HttpCallOptions {
  timeoutMs?: number;
  retries?: number;
  /** First backoff; doubles per retry, with jitter. */
  backoffMs?: number;
}

/**
 * Runs `attempt` with a timeout per attempt and retries with exponential backoff on
 * retryable ProviderErrors (429, 5xx, network). An attempt that already streamed something
 * to the client is never retried: its error is made non-retryable by the attempt itself.
 */
export async function withRetries<T>(
  opts: HttpCallOptions,
  outer: AbortSignal | undefined,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const retries = opts.retries ?? 2;
  for (let n = 0; ; n++) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(new Error('timed out')), opts.timeoutMs ?? 30000);
    const onOuter = () => ctl.abort(outer!.reason);
    outer?.addEventListener('abort', onOuter, { once: true });
    try {
      return await attempt(ctl.signal);
    } catch (e) {
      const err = asProviderError(e, ctl.signal);
      if (!err.retryable || n >= retries || outer?.aborted) throw err;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    }
    const wait = (opts.backoffMs ?? 200) * 2 ** n * (0.5 + Math.random());
    await new Promise((r) => setTimeout(r, wait));
  }
}

function asProviderError(e: unknown, signal: AbortSignal): ProviderError {
  if (e instanceof ProviderError) return e;
  if (signal.aborted) return new ProviderError((signal.reason as Error)?.message ?? 'aborted', true);
  return new ProviderError((e as Error).message, true);
}

/** An upstream's 2xx answer: read once, as JSON or as a byte stream (Server-Sent Events). */
export interface UpstreamResponse {
  status: number;
  body: AsyncIterable<Uint8Array>;
  json(): Promise<unknown>;
}

/**
 * POSTs JSON; a non-2xx answer is a ProviderError (retryable for 429 and 5xx) carrying the
 * upstream's message. undici's request() rather than fetch(): on the front door's hot path
 * fetch's WHATWG Request/Response/stream objects cost more CPU than the call itself
 * (docs/benchmarks.md, "HTTP front door"); connections are kept alive by the same pool.
 */
export async function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  signal: AbortSignal,
  model: string,
): Promise<UpstreamResponse> {
  const res = await request(url, {
    method: 'POST',
    signal,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (res.statusCode < 200 || res.statusCode > 299) {
    const text = await res.body.text().catch(() => '');
    throw new ProviderError(
      `${model}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`,
      res.statusCode === 429 || res.statusCode >= 500,
      res.statusCode,
    );
  }
  return { status: res.statusCode, body: res.body, json: () => res.body.json() };
}

export const joinUrl = (base: string, path: string) => `${base.replace(/\/+$/, '')}${path}`;

/** Marks an error after the first streamed chunk: the client has part of an answer, so nothing may retry it. */
export function final(e: unknown): ProviderError {
  const message = e instanceof Error ? e.message : String(e);
  return new ProviderError(`stream broken after the first chunk: ${message}`, false, (e as ProviderError)?.status);
}
