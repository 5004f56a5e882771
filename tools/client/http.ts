import { createParser, EventSourceMessage } from 'eventsource-parser';

/** An answer the user must see as it is: the status and the service's own reason. */
export class HttpError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly reason: string,
    hint?: string,
  ) {
    super(`${method} ${url} answered HTTP ${status}: ${reason}${hint ? `\n${hint}` : ''}`);
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  token?: string;
  accept?: string;
  signal?: AbortSignal;
}

/** The reason a service gave: NestJS's `message`, OpenAI's `error.message`, or the raw text. */
function reasonOf(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: { message?: unknown } | string };
    const m = body.message ?? (typeof body.error === 'object' ? body.error?.message : body.error);
    if (m !== undefined) return Array.isArray(m) ? m.join('; ') : String(m);
  } catch {
    // Not JSON: the text itself is the reason.
  }
  return text.trim() || '(empty body)';
}

/** One HTTP call; a refused connection and a non-2xx answer become errors that say where and why. */
export async function send(url: string, o: RequestOptions = {}): Promise<Response> {
  const method = o.method ?? 'GET';
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        accept: o.accept ?? 'application/json',
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      },
      body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
      signal: o.signal,
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    throw new Error(`${method} ${url} failed: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
  }
  if (!res.ok) throw new HttpError(method, url, res.status, reasonOf(await res.text()));
  return res;
}

export async function sendJson<T>(url: string, o: RequestOptions = {}): Promise<{ body: T; headers: Headers }> {
  const res = await send(url, o);
  return { body: (await res.json()) as T, headers: res.headers };
}

/** Calls onEvent for each server-sent event of the response body, until it ends. */
export async function readEvents(res: Response, onEvent: (e: EventSourceMessage) => void): Promise<void> {
  if (!res.body) return;
  const parser = createParser({ onEvent });
  const decoder = new TextDecoder();
  for await (const chunk of res.body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
}

export const joinUrl = (base: string, path: string) => `${base.replace(/\/+$/, '')}${path}`;
