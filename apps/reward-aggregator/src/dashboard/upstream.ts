import { HttpException, ServiceUnavailableException } from '@nestjs/common';

/** A service the dashboard talks to on the browser's behalf (the price-watcher, a router). */
export interface Upstream {
  /** Its name in error messages ("price-watcher"). */
  name: string;
  /** Its base URL, or undefined when the variable naming it is unset. */
  base: string | undefined;
  /** Said (503) when base is unset. */
  unset: string;
  /** Sent as a bearer token when set. */
  token?: string;
}

export interface UpstreamRequest {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  /** A poll must not hang on a service that accepts connections but never answers; a pull may take an LLM's time. */
  timeoutMs: number;
}

export interface UpstreamAnswer {
  url: string;
  status: number;
  ok: boolean;
  body: unknown;
}

/**
 * One JSON call to an upstream. Whatever keeps it from answering (unset URL, refused
 * connection, timeout, an answer that is not JSON) is a 503 that names the service and the
 * URL, so that the dashboard's note says which variable or service to look at.
 */
export async function callUpstream(u: Upstream, path: string, req: UpstreamRequest): Promise<UpstreamAnswer> {
  if (!u.base) throw new ServiceUnavailableException(u.unset);
  const url = `${u.base.replace(/\/+$/, '')}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: req.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(u.token ? { authorization: `Bearer ${u.token}` } : {}),
      },
      body: req.body !== undefined ? JSON.stringify(req.body) : undefined,
      signal: AbortSignal.timeout(req.timeoutMs),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    throw new ServiceUnavailableException(
      `${u.name} at ${url} is unreachable: ${err.cause?.code ?? err.cause?.message ?? err.message}`,
    );
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    if (!res.ok) throw new ServiceUnavailableException(`${u.name} at ${url} answered HTTP ${res.status}`);
    throw new ServiceUnavailableException(`${u.name} at ${url} answered something that is not JSON`);
  }
  return { url, status: res.status, ok: res.ok, body };
}

/**
 * The upstream's answer as this service's: a refusal keeps its status and reason (a 404
 * unknown model, a 409 price jump), so the operator reads what the upstream said. A 401 or
 * 403 becomes a 503 (it is this service's token that is wrong, not the browser's login), and
 * so does any 5xx.
 */
export async function relayUpstream(u: Upstream, path: string, req: UpstreamRequest): Promise<unknown> {
  const a = await callUpstream(u, path, req);
  if (a.ok) return a.body;
  const reason = (a.body as { message?: unknown; error?: { message?: unknown } } | null) ?? {};
  const message = String(reason.message ?? reason.error?.message ?? `HTTP ${a.status}`);
  if (a.status === 401 || a.status === 403 || a.status >= 500)
    throw new ServiceUnavailableException(`${u.name} at ${a.url} answered HTTP ${a.status}: ${message}`);
  throw new HttpException({ statusCode: a.status, message, upstream: u.name }, a.status);
}

/** The variables naming the dashboard's upstreams (all optional: each view says what is missing). */
export interface UpstreamConfig {
  PRICE_WATCHER_URL?: string;
  ROUTER_URL?: string;
  ROUTER_API_KEY?: string;
  ADMIN_TOKEN?: string;
}

/** The price-watcher, with this service's admin token: its /prices and /frontier are operator endpoints too. */
export const priceWatcherOf = (c: UpstreamConfig): Upstream => ({
  name: 'price-watcher',
  base: c.PRICE_WATCHER_URL,
  unset:
    'PRICE_WATCHER_URL is not set: no price-watcher to ask (GET /frontier/observed/:scope computes a frontier from the observed means)',
  token: c.ADMIN_TOKEN,
});

export const routerOf = (c: UpstreamConfig): Upstream => ({
  name: 'router',
  base: c.ROUTER_URL,
  unset: 'ROUTER_URL is not set: no router to send a manual pull through',
  token: c.ROUTER_API_KEY,
});
