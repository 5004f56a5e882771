/**
 * HTTP fuzzing helpers (issue 12 item 7): requests whose body or path is arbitrary or close to
 * valid, and the check every answer must pass: a 2xx, or a 4xx with a message; never a 5xx, a
 * dropped connection or a stall.
 */
import fc from 'fast-check';
import { damagedBytes, mutate, mutation, pathsOf } from './fuzz';

export interface FuzzRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

/** Longer than any answer on a busy machine; a request still open then is a stall. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Requests sent at once per property run: enough to keep the total time down, few enough for a clear counterexample. */
export const BATCH = 10;
/** Property runs per endpoint: BATCH x RUNS = 1000 requests. */
export const RUNS = 100;

const CONTENT_TYPES = ['application/json', 'application/json', 'application/json', 'text/plain', undefined] as const;

/** Bodies: arbitrary bytes and text, arbitrary JSON, and `valid` with one mutation or damaged bytes. */
export function bodyNear(valid: unknown): fc.Arbitrary<{ body: string | Uint8Array; contentType?: string }> {
  const json = JSON.stringify(valid);
  const paths = pathsOf(valid);
  const body: fc.Arbitrary<string | Uint8Array> = fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 256 }), weight: 1 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 128 }), weight: 1 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 2 },
    {
      arbitrary: fc
        .tuple(fc.nat({ max: paths.length - 1 }), mutation)
        .map(([i, m]) => JSON.stringify(mutate(valid, paths[i], m))),
      weight: 5,
    },
    { arbitrary: damagedBytes(json).map((b) => new Uint8Array(b)), weight: 1 },
  );
  return fc.record({ body, contentType: fc.constantFrom(...CONTENT_TYPES) });
}

/** A path segment: arbitrary text (URL-encoded), or raw text that is not valid percent-encoding. */
export const pathSegment: fc.Arbitrary<string> = fc
  .oneof(
    fc.string({ maxLength: 60 }).map(encodeURIComponent),
    fc.string({ unit: 'grapheme', maxLength: 30 }).map(encodeURIComponent),
    fc.constantFrom('%', '%E0%A4%A', '%00', '%FF', '..%2F..', 'a%2Fb', 'x'.repeat(5000)),
    fc.stringMatching(/^[A-Za-z0-9._~%:-]{1,40}$/),
    // "." and ".." (also as %2e) are resolved by the client's URL parser: they would test another path, not this one.
  )
  .filter((s) => !/^(\.|%2e){1,2}$/i.test(s));

export function postNear(path: string, valid: unknown, auth: string): fc.Arbitrary<FuzzRequest> {
  return bodyNear(valid).map(({ body, contentType }) => ({
    method: 'POST' as const,
    path,
    headers: { authorization: `Bearer ${auth}`, ...(contentType ? { 'content-type': contentType } : {}) },
    body,
  }));
}

export function withSegment(
  method: FuzzRequest['method'],
  path: (segment: string) => string,
  auth: string,
): fc.Arbitrary<FuzzRequest> {
  return pathSegment.map((s) => ({ method, path: path(s), headers: { authorization: `Bearer ${auth}` } }));
}

/** Why an answer breaks the rule, or null when it keeps it. */
export async function violation(base: string, r: FuzzRequest): Promise<string | null> {
  let res: Response;
  try {
    res = await fetch(`${base}${r.path}`, {
      method: r.method,
      headers: r.headers,
      body: typeof r.body === 'string' || r.body === undefined ? r.body : new Uint8Array(r.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (e) {
    const err = e as Error & { cause?: Error };
    return err.name === 'TimeoutError'
      ? `no answer within ${REQUEST_TIMEOUT_MS} ms (a stall)`
      : `the connection failed: ${err.cause?.message ?? err.message}`;
  }
  // A stream (server-sent events) answers its status and headers and then never ends.
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    await res.body?.cancel();
    return res.status >= 200 && res.status < 300 ? null : `an event stream with status ${res.status}`;
  }
  const text = await res.text();
  if (res.status >= 200 && res.status < 300) return null;
  // 502 upstream_error is OpenAI's answer when every model failed (here: the replay provider
  // knows no answer to a fuzzed prompt): the upstream's fault, reported as such, not a crash.
  if (res.status === 502 && /"code":"upstream_error"/.test(text)) return null;
  if (res.status >= 500) return `HTTP ${res.status}: ${text.slice(0, 300)}`;
  if (res.status < 400) return `HTTP ${res.status} (neither 2xx nor 4xx)`;
  let message: unknown;
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: { message?: unknown } };
    message = body.error?.message ?? body.message;
  } catch {
    return `HTTP ${res.status} without a JSON body: ${text.slice(0, 200)}`;
  }
  const words = Array.isArray(message) ? message.join('; ') : message;
  return typeof words === 'string' && words.trim().length > 0
    ? null
    : `HTTP ${res.status} without a message: ${text.slice(0, 200)}`;
}

/** Runs BATCH x RUNS requests from `requests`, BATCH at a time; fails with the first bad answer. */
export async function fuzzEndpoint(base: () => Promise<string>, requests: fc.Arbitrary<FuzzRequest>): Promise<void> {
  const url = await base();
  await fc.assert(
    fc.asyncProperty(fc.array(requests, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      const problems = await Promise.all(batch.map((r) => violation(url, r)));
      const bad = problems.findIndex((p) => p !== null);
      if (bad >= 0) {
        const r = batch[bad];
        const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : Buffer.from(r.body).toString();
        throw new Error(`${r.method} ${r.path} ${JSON.stringify(body.slice(0, 500))}: ${problems[bad]}`);
      }
    }),
    { numRuns: RUNS, timeout: REQUEST_TIMEOUT_MS * 2 },
  );
}
