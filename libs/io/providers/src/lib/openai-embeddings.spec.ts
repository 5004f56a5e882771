import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { ProviderError } from './chat-provider';
import { OpenAiEmbeddingsProvider } from './openai-embeddings';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

interface Seen {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: { model: string; input: string[]; encoding_format?: string; dimensions?: number };
}

/** A real HTTP server on a free loopback port: exercises fetch, headers and body encoding end to end. */
async function serve(handler: Handler): Promise<{ base: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body: JSON.parse(body || '{}') });
      } catch {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body: { model: '', input: [] } });
      }
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const vec = (text: string, dim: number) => Array.from({ length: dim }, (_, i) => text.length + i / 10);

/** Answers like OpenAI, in reverse order, to prove the client reorders by `index`. */
const openAiLike =
  (dim: number): Handler =>
  (_req, body, res) => {
    const { input } = JSON.parse(body) as { input: string[] };
    const data = input.map((t, index) => ({ object: 'embedding', index, embedding: vec(t, dim) })).reverse();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data, model: 'm', usage: { prompt_tokens: 1, total_tokens: 1 } }));
  };

const json =
  (status: number, payload: unknown): Handler =>
  (_req, _body, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
  };

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ProviderError);
    return e as ProviderError;
  }
  throw new Error('expected a rejection');
}

describe('OpenAiEmbeddingsProvider', () => {
  let srv: Awaited<ReturnType<typeof serve>> | undefined;
  afterEach(async () => {
    await srv?.close();
    srv = undefined;
  });

  it('posts an OpenAI embeddings request and returns vectors in input order', async () => {
    srv = await serve(openAiLike(4));
    const p = new OpenAiEmbeddingsProvider({
      baseUrl: srv.base + '/',
      model: 'text-embedding-3-small',
      dim: 4,
      apiKey: 'sk-test',
    });
    const out = await p.embed(['a', 'bbb', 'cc']);
    expect(out.map((v) => v[0])).toEqual([1, 3, 2]);
    expect(out[0]).toBeInstanceOf(Float64Array);
    expect(Array.from(out[1])).toEqual(vec('bbb', 4));
    const [req] = srv.seen;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/embeddings');
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({ model: 'text-embedding-3-small', input: ['a', 'bbb', 'cc'], encoding_format: 'float' });
  });

  it('accepts a base URL that already ends in /v1 and can request a dimension', async () => {
    srv = await serve(openAiLike(3));
    const p = new OpenAiEmbeddingsProvider({ baseUrl: `${srv.base}/v1`, model: 'm', dim: 3, requestDimensions: true });
    await p.embed(['x']);
    expect(srv.seen[0].url).toBe('/v1/embeddings');
    expect(srv.seen[0].body.dimensions).toBe(3);
    expect(srv.seen[0].headers.authorization).toBeUndefined();
  });

  it('splits large inputs into batches and keeps the order', async () => {
    srv = await serve(openAiLike(2));
    const p = new OpenAiEmbeddingsProvider({ baseUrl: srv.base, model: 'm', dim: 2, maxBatch: 2 });
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee'];
    const out = await p.embed(texts);
    expect(srv.seen.map((s) => s.body.input)).toEqual([['a', 'bb'], ['ccc', 'dddd'], ['eeeee']]);
    expect(out.map((v) => v[0])).toEqual([1, 2, 3, 4, 5]);
    expect(await p.embed([])).toEqual([]);
    expect(srv.seen).toHaveLength(3);
  });

  it("reports the server's error message and status, without retrying a 4xx", async () => {
    srv = await serve(json(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } }));
    const p = new OpenAiEmbeddingsProvider({ baseUrl: srv.base, model: 'm', dim: 2, retries: 3 });
    const e = await failure(p.embed(['x']));
    expect(e.status).toBe(401);
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('HTTP 401: Incorrect API key provided');
    expect(e.message).toContain(`${srv.base}/v1/embeddings`);
    expect(srv.seen).toHaveLength(1);
  });

  it('retries a 5xx and then succeeds', async () => {
    let calls = 0;
    const ok = openAiLike(2);
    srv = await serve((req, body, res) =>
      calls++ === 0 ? json(503, 'overloaded')(req, body, res) : ok(req, body, res),
    );
    const p = new OpenAiEmbeddingsProvider({ baseUrl: srv.base, model: 'm', dim: 2, retries: 1, backoffMs: 1 });
    const out = await p.embed(['ab']);
    expect(out[0][0]).toBe(2);
    expect(srv.seen).toHaveLength(2);
  });

  it('gives up after the retries with the last error', async () => {
    srv = await serve(json(500, 'boom'));
    const p = new OpenAiEmbeddingsProvider({ baseUrl: srv.base, model: 'm', dim: 2, retries: 2, backoffMs: 1 });
    const e = await failure(p.embed(['x']));
    expect(e.message).toContain('HTTP 500: boom');
    expect(e.retryable).toBe(true);
    expect(srv.seen).toHaveLength(3);
  });

  it('times out a server that never answers', async () => {
    srv = await serve(() => {
      /* never respond */
    });
    const p = new OpenAiEmbeddingsProvider({ baseUrl: srv.base, model: 'm', dim: 2, timeoutMs: 50, retries: 0 });
    const e = await failure(p.embed(['x']));
    expect(e.message).toMatch(/timed out after 50 ms/);
  });

  it('rejects a vector of the wrong length, a short data array and a non-JSON body', async () => {
    srv = await serve(openAiLike(5));
    const wrongDim = new OpenAiEmbeddingsProvider({ baseUrl: srv.base, model: 'm', dim: 4 });
    expect((await failure(wrongDim.embed(['x']))).message).toMatch(/length 5, expected dim 4/);
    await srv.close();

    srv = await serve(json(200, { data: [{ index: 0, embedding: [1, 2] }] }));
    const short = new OpenAiEmbeddingsProvider({ baseUrl: srv.base, model: 'm', dim: 2 });
    expect((await failure(short.embed(['x', 'y']))).message).toMatch(/expected 2 embeddings, got 1 embeddings/);
    await srv.close();

    srv = await serve(json(200, '<html>proxy error</html>'));
    const html = new OpenAiEmbeddingsProvider({ baseUrl: srv.base, model: 'm', dim: 2 });
    expect((await failure(html.embed(['x']))).message).toMatch(/not JSON: <html>proxy error/);
  });

  it('says when nothing listens at the address', async () => {
    srv = await serve(openAiLike(2));
    const base = srv.base;
    await srv.close();
    srv = undefined;
    const p = new OpenAiEmbeddingsProvider({ baseUrl: base, model: 'm', dim: 2, retries: 0 });
    const e = await failure(p.embed(['x']));
    expect(e.message).toMatch(/request failed \(ECONNREFUSED\)/);
    expect(e.retryable).toBe(true);
  });

  it('validates its options', () => {
    expect(() => new OpenAiEmbeddingsProvider({ baseUrl: 'http://x', model: 'm', dim: 0 })).toThrow(RangeError);
  });
});
