import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import { Topic } from '@llm-router/contracts';
import { FakeAnthropicUpstream, FakeOpenAiUpstream } from '@llm-router/providers';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { waitFor } from '../support/kafka-test-kit';
import { useStack } from '../support/use-stack';

/** Replay arms (answered from the dataset) and the models-file entries of upstream models. */
const ARMS = [
  { id: 't/one', quality: 0.5, cost: 0.001, inputPerM: 10, outputPerM: 10 },
  { id: 't/two', quality: 0.7, cost: 0.001, inputPerM: 10, outputPerM: 10 },
];
const openaiUp = new FakeOpenAiUpstream();
const anthropicUp = new FakeAnthropicUpstream();
let modelsPath = '';

/** The models file, YAML: the replay arms, and models called over HTTP where the file says. */
function writeModels(moved = false) {
  const upstream = (id: string, extra: Record<string, unknown> = {}) => ({
    model_id: id,
    input_cost_per_m: 2,
    output_cost_per_m: 4,
    protocol: 'openai',
    base_url: `${openaiUp.url}/v1`,
    api_key_env: 'GATEWAY_TEST_KEY',
    ...extra,
  });
  const models = [
    ...ARMS.map((a) => ({ model_id: a.id, input_cost_per_m: a.inputPerM, output_cost_per_m: a.outputPerM })),
    upstream('up/openai'),
    upstream('up/flaky'),
    {
      model_id: 'up/claude',
      input_cost_per_m: 3,
      output_cost_per_m: 15,
      protocol: 'anthropic',
      base_url: anthropicUp.url,
    },
    upstream('gpu/self', {
      self_hosted: true,
      concurrency: 2,
      price_per_call_usd: 0.003,
      input_cost_per_m: undefined,
      output_cost_per_m: undefined,
    }),
    moved
      ? {
          model_id: 'up/moving',
          input_cost_per_m: 10,
          output_cost_per_m: 20,
          protocol: 'anthropic',
          base_url: anthropicUp.url,
        }
      : upstream('up/moving'),
  ];
  writeFileSync(modelsPath, stringify({ models }));
}

/**
 * The OpenAI-compatible front door on the real stack (Kafka, PostgreSQL), driven by the
 * official openai client and by LiteLLM's and RouteLLM's request shapes; models called over
 * real HTTP on fake OpenAI and Anthropic upstreams declared in a YAML models file.
 */
describe('router OpenAI compatibility and providers', () => {
  beforeAll(async () => {
    await openaiUp.start();
    await anthropicUp.start();
    process.env['GATEWAY_TEST_KEY'] = 'sk-upstream-from-env';
  });
  afterAll(async () => {
    await openaiUp.stop();
    await anthropicUp.stop();
  });
  const e2e = useStack({
    database: 'gateway',
    dataset: () => {
      const d = writeSyntheticDataset(20, ARMS);
      modelsPath = join(d.dir, 'models.yaml');
      writeModels();
      return { dataPath: d.dataPath, modelsPath };
    },
    topics: [Topic.Decisions],
    env: {
      PROVIDER_RETRIES: '0',
      PROVIDER_BREAKER_FAILURES: '2',
      PROVIDER_BREAKER_COOLDOWN_MS: '600000',
      PRICES_FILE_DEBOUNCE_MS: '100',
      SCOPE_BUDGETS: JSON.stringify({ capped: { dayUsd: 0.000001 } }),
    },
  });

  let client: OpenAI;
  let base = '';
  beforeAll(async () => {
    base = `${await e2e.stack.url(e2e.stack.routers[0])}/v1`;
    client = new OpenAI({ baseURL: base, apiKey: 'unused-no-auth', maxRetries: 0 });
    // Every model of the file is known before the first test.
    await waitFor('all models priced', async () => (await client.models.list()).data.length === 8);
  });
  const decisionOf = (decisionId: string) =>
    waitFor('the decision on routing.decisions', () =>
      e2e.sink.of(Topic.Decisions).find((d) => d.value.decisionId === decisionId),
    ).then((d) => d.value);

  it('answers "auto" through the openai client, with the choice in x-router-* headers and usage', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content: 'Question 3 about poetry: explain item 3.' }] })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0].message.content).toEqual(expect.any(String));
    expect(response.headers.get('x-router-scope')).toBe('default');
    expect(response.headers.get('x-router-decision-id')).toMatch(/^dec_/);
    expect(Number(response.headers.get('x-router-cost-usd'))).toBeGreaterThan(0);
    expect(data.model).toBe(response.headers.get('x-router-model'));
    expect(data.usage!.total_tokens).toBeGreaterThan(0);
  });

  it('streams the replay answer in several chunks and records the decision when the stream ends', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 't/one',
        messages: [{ role: 'user', content: 'anything' }],
        stream: true,
        dataset_row: 3,
      } as OpenAI.ChatCompletionCreateParamsStreaming)
      .withResponse();
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.filter((c) => c.choices[0]?.delta?.content).length).toBeGreaterThanOrEqual(3);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('[replay t/one row 3]');
    const decision = await decisionOf(response.headers.get('x-router-decision-id')!);
    expect(decision).toMatchObject({ arm: 't/one', policy: 'explicit' });
  });

  it('passes an upstream stream through chunk by chunk, usage from its last chunk priced at the file price', async () => {
    const release = openaiUp.hold();
    const { data: stream, response } = await client.chat.completions
      .create({
        model: 'up/openai',
        messages: [{ role: 'user', content: 'stream please' }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    const it = stream[Symbol.asyncIterator]();
    let text = '';
    // The upstream holds after its first word: the client must have it before the upstream goes on.
    while (!text) text += (await it.next()).value.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Hello ');
    release();
    let usage: OpenAI.CompletionUsage | null | undefined;
    for (let n = await it.next(); !n.done; n = await it.next()) {
      text += n.value.choices[0]?.delta?.content ?? '';
      usage = n.value.usage ?? usage;
    }
    expect(text).toBe(openaiUp.reply);
    expect(usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7 });
    const sent = openaiUp.received.at(-1)!;
    expect(sent.headers.authorization).toBe('Bearer sk-upstream-from-env');
    expect(sent.body['stream_options']).toEqual({ include_usage: true });
    const decision = await decisionOf(response.headers.get('x-router-decision-id')!);
    expect(decision.usage).toEqual({ promptTokens: 11, completionTokens: 7 });
    expect(decision.realisedCostUsd).toBeCloseTo((11 * 2 + 7 * 4) / 1e6, 12);
  });

  it('passes tools, response_format, temperature, content parts and unknown fields through unchanged', async () => {
    const body = {
      model: 'up/openai',
      messages: [
        {
          role: 'user' as const,
          content: [
            { type: 'text' as const, text: 'what is in this picture?' },
            { type: 'image_url' as const, image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
      tools: [
        { type: 'function' as const, function: { name: 'weather', parameters: { type: 'object', properties: {} } } },
      ],
      tool_choice: 'auto' as const,
      response_format: { type: 'json_object' as const },
      temperature: 0.2,
      max_tokens: 64,
      seed: 42,
      logit_bias: { '50256': -100 },
    };
    const r = await client.chat.completions.create({
      ...body,
      max_cost_usd: 1,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(openaiUp.received.at(-1)!.body).toEqual(body);
    expect(r.choices[0].finish_reason).toBe('tool_calls');
    expect(r.choices[0].message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
    ]);
    expect(r.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
  });

  it('streams tool calls from an Anthropic upstream as OpenAI chunks', async () => {
    const stream = await client.chat.completions.create({
      model: 'up/claude',
      messages: [
        { role: 'system', content: 'use tools' },
        { role: 'user', content: 'weather?' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: {} } } }],
      stream: true,
    });
    let args = '';
    let name = '';
    let finish: string | null = null;
    for await (const c of stream) {
      const call = c.choices[0]?.delta?.tool_calls?.[0];
      name += call?.function?.name ?? '';
      args += call?.function?.arguments ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect({ name, args, finish }).toEqual({ name: 'weather', args: '{"city":"Paris"}', finish: 'tool_calls' });
    expect(anthropicUp.received.at(-1)!.body).toMatchObject({ system: 'use tools', model: 'up/claude', stream: true });
  });

  it('answers errors in OpenAI format: 404 model_not_found, 400, 429 budget, 502 then an open circuit', async () => {
    const user = [{ role: 'user' as const, content: 'hi' }];
    for (const model of ['gpt-unknown', 'capped', 'auto:not a scope']) {
      const e = await client.chat.completions.create({ model, messages: user }).catch((x) => x);
      expect(e).toBeInstanceOf(OpenAI.NotFoundError);
      expect(e.code).toBe('model_not_found');
    }
    const bad = await client.chat.completions.create({ model: 'auto', messages: [] }).catch((x) => x);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    const capped = await client.chat.completions.create({ model: 'auto:capped', messages: user }).catch((x) => x);
    expect(capped).toBeInstanceOf(OpenAI.RateLimitError);
    expect(capped.code).toBe('insufficient_quota');
    openaiUp.failNext(2, 500);
    for (let i = 0; i < 2; i++) {
      const failed = await client.chat.completions.create({ model: 'up/flaky', messages: user }).catch((x) => x);
      expect(failed.status).toBe(502);
      expect(failed.message).toMatch(/every model failed.*HTTP 500/);
    }
    // Two consecutive failures opened the circuit: the next call does not reach the upstream.
    const before = openaiUp.received.length;
    const open = await client.chat.completions.create({ model: 'up/flaky', messages: user }).catch((x) => x);
    expect(open.status).toBe(502);
    expect(open.message).toMatch(/circuit open/);
    expect(openaiUp.received.length).toBe(before);
  });

  it('bills a self-hosted model its constant price per call', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'gpu/self', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(Number(response.headers.get('x-router-cost-usd'))).toBe(0.003);
  });

  it('serves LiteLLM openai/ and RouteLLM request shapes unchanged', async () => {
    // What LiteLLM's openai/ provider sends (through the OpenAI Python SDK): its headers, a
    // stream with include_usage, and an (empty) extra_body.
    const python = {
      'content-type': 'application/json',
      authorization: 'Bearer sk-anything',
      'user-agent': 'OpenAI/Python 1.99.9',
      'x-stainless-lang': 'python',
      'x-stainless-package-version': '1.99.9',
      'x-stainless-retry-count': '0',
      'x-stainless-read-timeout': '600',
    };
    const litellm = await fetch(`${base}/chat/completions`, {
      method: 'POST',
      headers: python,
      body: JSON.stringify({
        model: 'up/openai',
        messages: [{ role: 'user', content: 'Hello there' }],
        stream: true,
        stream_options: { include_usage: true },
        user: 'litellm-user',
        extra_body: {},
      }),
    });
    expect(litellm.status).toBe(200);
    const events = (await litellm.text()).split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, '')));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(openaiUp.reply);
    expect(chunks.at(-1).usage).toMatchObject({ total_tokens: 18 });
    expect(openaiUp.received.at(-1)!.body).toEqual({
      model: 'up/openai',
      messages: [{ role: 'user', content: 'Hello there' }],
      stream: true,
      stream_options: { include_usage: true },
      user: 'litellm-user',
    });
    // RouteLLM's controller calls its strong and weak models through LiteLLM: "openai/t/two" arrives as t/two.
    const routellm = await fetch(`${base}/chat/completions`, {
      method: 'POST',
      headers: python,
      body: JSON.stringify({
        model: 't/two',
        messages: [{ role: 'user', content: 'Question 3 about poetry: explain item 3.' }],
        temperature: 0,
      }),
    });
    expect(routellm.status).toBe(200);
    expect(routellm.headers.get('x-router-model')).toBe('t/two');
    expect((await routellm.json()).choices[0].message.content).toBe('[replay t/two row 3]');
  });

  it('moves a model to another protocol, endpoint and price when the models file changes', async () => {
    await client.chat.completions.create({ model: 'up/moving', messages: [{ role: 'user', content: 'hi' }] });
    expect(openaiUp.received.at(-1)!.body['model']).toBe('up/moving');
    writeModels(true);
    const { response } = await waitFor('up/moving answered by the Anthropic upstream', async () => {
      const r = await client.chat.completions
        .create({ model: 'up/moving', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      return anthropicUp.received.at(-1)?.body['model'] === 'up/moving' && r;
    });
    expect(Number(response.headers.get('x-router-cost-usd'))).toBeCloseTo((11 * 10 + 7 * 20) / 1e6, 12);
  });
});
