import { PriceEvent } from '@llm-router/contracts';
import { AnthropicMessagesProvider } from './anthropic-messages';
import { ChatChunk, ChatProvider, ProviderError } from './chat-provider';
import { ModelProviders } from './model-providers';
import { OpenAiChatProvider } from './openai-chat';
import { CircuitBreaker, ConcurrencyGate, LatencyTracker, ModelBusy } from './resilience';
import { FakeAnthropicUpstream, FakeOpenAiUpstream } from './testing/fake-upstreams';
import { callCostUsd, TokenEstimator } from './token-estimator';

const user = (content: string) => [{ role: 'user' as const, content }];
const TOOLS = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: {} } } }];

describe('providers over real loopback HTTP', () => {
  const openai = new FakeOpenAiUpstream();
  const anthropic = new FakeAnthropicUpstream();
  beforeAll(async () => {
    await openai.start();
    await anthropic.start();
  });
  afterAll(async () => {
    await openai.stop();
    await anthropic.stop();
  });

  it('OpenAI: sends the client body unchanged but for the model, and returns tool calls and usage', async () => {
    const p = new OpenAiChatProvider({ baseUrl: `${openai.url}/v1`, apiKey: 'sk-up', retries: 0 });
    const body = {
      model: 'auto',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      tools: TOOLS,
      response_format: { type: 'json_object' },
      temperature: 0.3,
      seed: 7,
    };
    const r = await p.complete({ model: 'up/one', messages: user('hi'), body });
    const sent = openai.received.at(-1)!;
    expect(sent.body).toEqual({ ...body, model: 'up/one' });
    expect(sent.headers.authorization).toBe('Bearer sk-up');
    expect(r.finishReason).toBe('tool_calls');
    expect(r.message?.['tool_calls']).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
    ]);
    expect(r.usage).toEqual({ promptTokens: 11, completionTokens: 7 });
  });

  it('OpenAI: hands over each chunk as the upstream sends it, and takes usage from the last one', async () => {
    const p = new OpenAiChatProvider({ baseUrl: openai.url, retries: 0 });
    const release = openai.hold();
    const chunks: ChatChunk[] = [];
    let firstSeen!: () => void;
    const first = new Promise<void>((r) => (firstSeen = r));
    const call = p.complete(
      {
        model: 'up/one',
        messages: user('hi'),
        body: { messages: [], stream: true, stream_options: { include_usage: true } },
      },
      undefined,
      (c) => {
        chunks.push(c);
        if (c.choices?.[0]?.delta?.['content']) firstSeen();
      },
    );
    // The upstream is paused after its first word: that word must already be here.
    await first;
    expect(chunks.map((c) => c.choices?.[0]?.delta?.['content']).join('')).toBe('Hello ');
    release();
    const r = await call;
    expect(r.output).toBe(openai.reply);
    expect(chunks.length).toBeGreaterThan(4);
    expect(r.usage).toEqual({ promptTokens: 11, completionTokens: 7 });
  });

  it('OpenAI: retries a 500 and fails at once on a 400', async () => {
    const p = new OpenAiChatProvider({ baseUrl: openai.url, retries: 2, backoffMs: 1 });
    openai.failNext(1, 500);
    expect((await p.complete({ model: 'm', messages: user('hi') })).output).toBe(openai.reply);
    openai.failNext(1, 400);
    await expect(p.complete({ model: 'm', messages: user('hi') })).rejects.toMatchObject({
      status: 400,
      retryable: false,
    });
  });

  it('Anthropic: translates system, images, tools and tool results, and answers in OpenAI terms', async () => {
    const p = new AnthropicMessagesProvider({ baseUrl: anthropic.url, apiKey: 'sk-ant', retries: 0 });
    const r = await p.complete({
      model: 'claude-x',
      messages: user('hi'),
      body: {
        messages: [
          { role: 'system', content: 'be brief' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            ],
          },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 't1', type: 'function', function: { name: 'weather', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 't1', content: 'sunny' },
        ],
        tools: TOOLS,
        tool_choice: 'required',
        max_tokens: 50,
        stop: 'END',
      },
    });
    const sent = anthropic.received.at(-1)!;
    expect(sent.headers['x-api-key']).toBe('sk-ant');
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.body).toMatchObject({
      model: 'claude-x',
      system: 'be brief',
      max_tokens: 50,
      stop_sequences: ['END'],
      tool_choice: { type: 'any' },
      tools: [{ name: 'weather', input_schema: { type: 'object', properties: {} } }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'weather', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'sunny' }] },
      ],
    });
    expect(r.finishReason).toBe('tool_calls');
    expect(r.message?.['tool_calls']).toEqual([
      { id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
    ]);
    expect(r.usage).toEqual({ promptTokens: 11, completionTokens: 7 });
  });

  it('Anthropic: streams its events as chat.completion.chunks, usage last when asked for', async () => {
    const p = new AnthropicMessagesProvider({ baseUrl: anthropic.url, retries: 0 });
    const chunks: ChatChunk[] = [];
    const r = await p.complete(
      {
        model: 'claude-x',
        messages: user('hi'),
        body: { messages: user('hi'), stream: true, stream_options: { include_usage: true } },
      },
      undefined,
      (c) => chunks.push(c),
    );
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices?.[0]?.delta?.['content'] ?? '').join('')).toBe(anthropic.reply);
    expect(chunks.some((c) => c.choices?.[0]?.finish_reason === 'stop')).toBe(true);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
    expect(r.output).toBe(anthropic.reply);
    expect(anthropic.received.at(-1)!.body['stream']).toBe(true);
  });
});

describe('resilience', () => {
  it('a breaker opens after N consecutive failures and lets one probe through after the cool-down', () => {
    let now = 0;
    const b = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 1000 }, () => now);
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.tryAcquire()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    now = 1000;
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.failure();
    expect(b.state).toBe('open');
    now = 2000;
    expect(b.tryAcquire()).toBe(true);
    b.success();
    expect(b.state).toBe('closed');
  });

  it('learns the p95 latency and judges a model only after enough calls', () => {
    const l = new LatencyTracker(100, 0.2, 5);
    for (const ms of [100, 100, 100, 100]) l.observe(ms);
    expect(l.meets(50)).toBe(true);
    for (let i = 0; i < 20; i++) l.observe(i === 19 ? 5000 : 200);
    expect(l.p95()).toBe(200);
    expect(l.meets(150)).toBe(false);
    expect(l.meets(250)).toBe(true);
  });

  it('a gate holds C calls, queues a bounded number and refuses or times out the rest', async () => {
    const g = new ConcurrencyGate({ concurrency: 1, queueLimit: 1, queueTimeoutMs: 60_000 }, 'gpu');
    const first = await g.acquire();
    const queued = g.acquire();
    await expect(g.acquire()).rejects.toBeInstanceOf(ModelBusy);
    first();
    const second = await queued;
    g.setLimits({ concurrency: 1, queueLimit: 1, queueTimeoutMs: 1 });
    await expect(g.acquire()).rejects.toThrow(/waited 1 ms/);
    second();
    expect(g.summary()).toMatchObject({ active: 0, queued: 0 });
  });
});

describe('ModelProviders', () => {
  const upstream = new FakeOpenAiUpstream();
  const second = new FakeAnthropicUpstream();
  beforeAll(async () => {
    await upstream.start();
    await second.start();
  });
  afterAll(async () => {
    await upstream.stop();
    await second.stop();
  });
  const fallback: ChatProvider = {
    name: 'fallback',
    complete: async () => ({ output: 'fallback answer', latencyMs: 1 }),
  };
  const price = (p: Partial<PriceEvent>): PriceEvent => ({
    model: 'm',
    inputPerM: 1,
    outputPerM: 2,
    effectiveFrom: new Date().toISOString(),
    source: 'test',
    selfHosted: false,
    discountTiers: [],
    ...p,
  });

  it('calls each model where its price event says, with the key from the named variable, priced at call time', async () => {
    const providers = new ModelProviders({
      fallback,
      breaker: { failureThreshold: 3, coolDownMs: 1000 },
      retries: 0,
      timeoutMs: 10_000,
      queueTimeoutMs: 1000,
      env: { UP_KEY: 'sk-from-env' },
    });
    const noEndpoint = await providers.call(price({}), { model: 'm', messages: user('hi') }, 'hi');
    expect(noEndpoint.result.output).toBe('fallback answer');
    // No usage from the provider: estimated with the tokenizer, and priced.
    expect(noEndpoint.usageEstimated).toBe(true);
    expect(noEndpoint.costUsd).toBeCloseTo(
      (noEndpoint.usage.promptTokens * 1 + noEndpoint.usage.completionTokens * 2) / 1e6,
      12,
    );
    const viaOpenAi = await providers.call(
      price({ endpoint: upstream.url, protocol: 'openai', keyEnv: 'UP_KEY' }),
      { model: 'm', messages: user('hi') },
      'hi',
    );
    expect(upstream.received.at(-1)!.headers.authorization).toBe('Bearer sk-from-env');
    expect(viaOpenAi.costUsd).toBeCloseTo((11 * 1 + 7 * 2) / 1e6, 12);
    // A reloaded models file moves the model to another protocol and endpoint: the next call goes there.
    const moved = await providers.call(
      price({ endpoint: second.url, protocol: 'anthropic', inputPerM: 10, outputPerM: 10 }),
      { model: 'm', messages: user('hi') },
      'hi',
    );
    expect(moved.result.output).toBe(second.reply);
    expect(moved.costUsd).toBeCloseTo((18 * 10) / 1e6, 12);
    await expect(
      providers.call(
        price({ endpoint: upstream.url, keyEnv: 'MISSING_KEY' }),
        { model: 'm', messages: user('hi') },
        'hi',
      ),
    ).rejects.toThrow(/MISSING_KEY/);
  });

  it('bills a self-hosted model its price per call, and sends calls past C and the queue to the next arm', async () => {
    const providers = new ModelProviders({
      fallback,
      breaker: { failureThreshold: 3, coolDownMs: 1000 },
      retries: 0,
      timeoutMs: 10_000,
      queueTimeoutMs: 60_000,
    });
    const gpu = price({
      model: 'gpu',
      endpoint: upstream.url,
      selfHosted: true,
      concurrency: 1,
      queueLimit: 0,
      perCallUsd: 0.002,
    });
    const release = upstream.hold();
    const chunks: ChatChunk[] = [];
    const running = providers.call(
      gpu,
      { model: 'gpu', messages: user('hi'), body: { messages: user('hi') } },
      'hi',
      undefined,
      (c) => chunks.push(c),
    );
    await expect(providers.call(gpu, { model: 'gpu', messages: user('hi') }, 'hi')).rejects.toBeInstanceOf(ModelBusy);
    release();
    const done = await running;
    expect(done.costUsd).toBe(0.002);
    expect(
      callCostUsd({ inputPerM: 0, outputPerM: 0, perCallUsd: 0.002 }, { promptTokens: 0, completionTokens: 0 }),
    ).toBe(0.002);
  });

  it("opens a model's circuit after consecutive failures and probes it again after the cool-down", async () => {
    let now = 0;
    const providers = new ModelProviders({
      fallback,
      breaker: { failureThreshold: 2, coolDownMs: 5000 },
      retries: 0,
      timeoutMs: 10_000,
      queueTimeoutMs: 1000,
      now: () => now,
    });
    const p = price({ model: 'flaky', endpoint: upstream.url });
    const call = () => providers.call(p, { model: 'flaky', messages: user('hi') }, 'hi');
    upstream.failNext(2, 503);
    await expect(call()).rejects.toMatchObject({ status: 503 });
    await expect(call()).rejects.toMatchObject({ status: 503 });
    expect(providers.unavailable('flaky')).toMatch(/circuit open/);
    const before = upstream.received.length;
    await expect(call()).rejects.toThrow(/circuit open/);
    expect(upstream.received.length).toBe(before);
    now = 5000;
    expect(providers.unavailable('flaky')).toBeNull();
    expect((await call()).result.output).toBe(upstream.reply);
    expect(providers.summary()['flaky']).toMatchObject({ breaker: { state: 'closed' } });
  });

  it("excludes a model whose learned p95 is above a query's latency SLO", async () => {
    const slow: ChatProvider = {
      name: 'slow',
      complete: async () => ({ output: 'x', latencyMs: 900, usage: { promptTokens: 1, completionTokens: 1 } }),
    };
    const providers = new ModelProviders({
      fallback: slow,
      breaker: { failureThreshold: 3, coolDownMs: 1 },
      retries: 0,
      timeoutMs: 1000,
      queueTimeoutMs: 1,
    });
    for (let i = 0; i < 5; i++) await providers.call(price({ model: 's' }), { model: 's', messages: user('hi') }, 'hi');
    expect(providers.unavailable('s', 500)).toMatch(/p95 latency 900 ms is above the SLO of 500 ms/);
    expect(providers.unavailable('s', 1000)).toBeNull();
    expect(providers.unavailable('never-called', 1)).toBeNull();
  });

  it("never counts a client's own bad request against the model", async () => {
    const providers = new ModelProviders({
      fallback,
      breaker: { failureThreshold: 1, coolDownMs: 60_000 },
      retries: 0,
      timeoutMs: 1000,
      queueTimeoutMs: 1,
    });
    upstream.failNext(1, 400);
    await expect(
      providers.call(price({ model: 'b', endpoint: upstream.url }), { model: 'b', messages: user('hi') }, 'hi'),
    ).rejects.toBeInstanceOf(ProviderError);
    expect(providers.unavailable('b')).toBeNull();
  });
});

describe('TokenEstimator', () => {
  it('counts with a real tokenizer and caches by prompt hash', () => {
    const t = new TokenEstimator(2);
    const n = t.count('The quick brown fox jumps over the lazy dog');
    expect(n).toBeGreaterThan(5);
    expect(n).toBeLessThan(15);
    expect(t.count('The quick brown fox jumps over the lazy dog')).toBe(n);
    expect(t.cached).toBe(1);
    t.count('a');
    t.count('b');
    expect(t.cached).toBe(2);
  });
});
