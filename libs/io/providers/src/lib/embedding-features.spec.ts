import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddingBlock } from '@llm-router/features';
import { EmbeddingFallbackReason, EmbeddingFeatures, EmbeddingsEntry, readEmbeddingsEntry } from './embedding-features';
import { deterministicEmbedding, FakeOpenAiUpstream } from './testing/fake-upstreams';

const BLOCK_DIM = 8;
const SEED = 3;

function entry(baseUrl: string, extra: Partial<EmbeddingsEntry> = {}): EmbeddingsEntry {
  return EmbeddingsEntry.parse({ base_url: baseUrl, model: 'embed-small', dim: 64, ...extra });
}

describe('EmbeddingFeatures against a real loopback /v1/embeddings', () => {
  let upstream: FakeOpenAiUpstream;
  const fallbacks: { reason: EmbeddingFallbackReason; error?: unknown }[] = [];
  const features = (extra: Partial<EmbeddingsEntry> = {}) =>
    EmbeddingFeatures.fromEntry(
      entry(upstream.url, extra),
      BLOCK_DIM,
      SEED,
      { EMBED_KEY: 'sk-test' },
      (reason, error) => fallbacks.push({ reason, error }),
    );
  const embeddingCalls = () => upstream.received.filter((r) => r.path === '/v1/embeddings').length;

  beforeEach(async () => {
    upstream = await new FakeOpenAiUpstream().start();
    fallbacks.length = 0;
  });
  afterEach(() => upstream.stop());

  it("gives the projected, quantised block of the server's embedding and sends the key", async () => {
    const block = await features({ api_key_env: 'EMBED_KEY' }).blockFor('What is 2 + 2?');
    const expected = new EmbeddingBlock(BLOCK_DIM, SEED).fromEmbedding(deterministicEmbedding('What is 2 + 2?'));
    expect(Array.from(block!)).toEqual(Array.from(expected));
    expect(upstream.received[0]).toMatchObject({
      path: '/v1/embeddings',
      headers: { authorization: 'Bearer sk-test' },
      body: { model: 'embed-small', input: ['What is 2 + 2?'] },
    });
    expect(fallbacks).toEqual([]);
  });

  it('asks once per text while it is cached, and forgets the least recently used beyond cache_size', async () => {
    const f = features({ cache_size: 2 });
    const first = await f.blockFor('a');
    expect(await f.blockFor('a')).toBe(first);
    expect(embeddingCalls()).toBe(1);
    await f.blockFor('b');
    await f.blockFor('a'); // a is now the most recent: c evicts b
    await f.blockFor('c');
    expect(f.cached).toBe(2);
    await f.blockFor('a');
    expect(embeddingCalls()).toBe(3);
    await f.blockFor('b');
    expect(embeddingCalls()).toBe(4);
  });

  it('falls back (undefined, counted) when the server fails, then stops calling it while the circuit is open', async () => {
    const f = features({ breaker_failures: 2, breaker_cooldown_ms: 60_000 });
    upstream.failNext(5, 503);
    expect(await f.blockFor('x')).toBeUndefined();
    expect(await f.blockFor('y')).toBeUndefined();
    expect(await f.blockFor('z')).toBeUndefined();
    expect(fallbacks.map((r) => r.reason)).toEqual(['error', 'error', 'circuit-open']);
    expect(String(fallbacks[0].error)).toMatch(/HTTP 503/);
    expect(embeddingCalls()).toBe(2);
  });

  it('closes the circuit again once a probe after the cool-down succeeds', async () => {
    const f = features({ breaker_failures: 1, breaker_cooldown_ms: 0 });
    upstream.failNext(1, 500);
    expect(await f.blockFor('x')).toBeUndefined();
    expect(await f.blockFor('x')).toBeDefined();
    expect(fallbacks.map((r) => r.reason)).toEqual(['error']);
  });
});

describe('EmbeddingFeatures with a server that never answers', () => {
  let silent: Server;
  beforeAll(async () => {
    silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
  });

  it('gives up after timeout_ms and routes without the embedding', async () => {
    const reasons: unknown[] = [];
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const f = EmbeddingFeatures.fromEntry(entry(url, { timeout_ms: 200 }), BLOCK_DIM, SEED, {}, (_r, e) =>
      reasons.push(e),
    );
    expect(await f.blockFor('slow')).toBeUndefined();
    expect(String(reasons[0])).toMatch(/timed out after 200 ms/);
  });
});

describe('readEmbeddingsEntry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'embeddings-entry-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads the entry of a YAML or JSON models file, with its defaults', () => {
    const yaml = file(
      'models.yaml',
      'models:\n  - model_id: a\n    input_cost_per_m: 1\n    output_cost_per_m: 2\nembeddings:\n  base_url: http://127.0.0.1:9/v1\n  model: e\n  dim: 384\n  api_key_env: EMBED_KEY\n',
    );
    expect(readEmbeddingsEntry(yaml)).toEqual({
      base_url: 'http://127.0.0.1:9/v1',
      model: 'e',
      dim: 384,
      api_key_env: 'EMBED_KEY',
      timeout_ms: 1000,
      cache_size: 10000,
      breaker_failures: 3,
      breaker_cooldown_ms: 10000,
    });
    const json = file(
      'models.json',
      JSON.stringify({ models: [], embeddings: { base_url: 'http://h', model: 'e', dim: 8, timeout_ms: 50 } }),
    );
    expect(readEmbeddingsEntry(json)).toMatchObject({ dim: 8, timeout_ms: 50 });
  });

  it('is null without an entry, and names the file and field of a wrong one', () => {
    expect(readEmbeddingsEntry(file('plain.json', '{"models": []}'))).toBeNull();
    const bad = file(
      'bad.json',
      JSON.stringify({ embeddings: { base_url: 'http://h', model: 'e', dim: 0, timeoutMs: 5 } }),
    );
    expect(() => readEmbeddingsEntry(bad)).toThrow(
      /bad\.json: embeddings: dim: .*; \(entry\): Unrecognized key.*timeoutMs/,
    );
  });
});
