import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { murmur3 } from '@llm-router/features';

/** Length of a deterministic embedding when the request names no `dimensions`. */
export const DETERMINISTIC_EMBEDDING_DIM = 64;

/**
 * The test upstreams' embedding of a text: coordinate i is a hash of (text, i) in [-1, 1).
 * Deterministic, so a test can compute what the router must have logged; unrelated texts get
 * nearly orthogonal vectors, as with a real model.
 */
export function deterministicEmbedding(text: string, dim = DETERMINISTIC_EMBEDDING_DIM): number[] {
  return Array.from({ length: dim }, (_, i) => murmur3(text, i) / 2 ** 31 - 1);
}

/** An OpenAI /v1/embeddings answer to `body` ({model, input: string | string[], dimensions?}). */
export function deterministicEmbeddingsResponse(body: Record<string, unknown>): Record<string, unknown> {
  const input = body['input'];
  const texts = Array.isArray(input) ? (input as string[]) : [String(input ?? '')];
  const dim = typeof body['dimensions'] === 'number' ? body['dimensions'] : DETERMINISTIC_EMBEDDING_DIM;
  return {
    object: 'list',
    model: body['model'],
    data: texts.map((t, index) => ({ object: 'embedding', index, embedding: deterministicEmbedding(t, dim) })),
    usage: { prompt_tokens: texts.length, total_tokens: texts.length },
  };
}

/** A request the fake received, as it arrived. */
export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

type Json = Record<string, unknown>;

/**
 * Base of the fake upstreams tests start on loopback: real HTTP servers speaking a vendor's
 * wire format, so providers and the router are tested over the network, not against mocks.
 */
abstract class FakeUpstream {
  readonly received: Received[] = [];
  /** Answer text: words become stream chunks. */
  reply = 'Hello from the fake upstream';
  usage = { prompt: 11, completion: 7 };
  /** The next N requests fail with this status. */
  private failures: { count: number; status: number } = { count: 0, status: 500 };
  /** While set, a stream stops after its first content chunk until release() is called. */
  private held: { promise: Promise<void>; release: () => void } | null = null;
  private readonly server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.held?.release();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  failNext(count: number, status = 500): void {
    this.failures = { count, status };
  }

  /** Streams pause after their first content chunk until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    const promise = new Promise<void>((r) => (release = r));
    this.held = { promise, release };
    return () => {
      this.held = null;
      release();
    };
  }

  protected words(): string[] {
    return this.reply.split(/(?<= )/);
  }

  protected async pauseIfHeld(): Promise<void> {
    if (this.held) await this.held.promise;
  }

  protected sse(res: ServerResponse): (data: unknown, event?: string) => void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    return (data, event) =>
      res.write(
        `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`,
      );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const c of req) raw += c;
    const body = raw ? (JSON.parse(raw) as Json) : {};
    this.received.push({ path: req.url ?? '', headers: req.headers, body });
    if (this.failures.count > 0) {
      this.failures.count--;
      res.writeHead(this.failures.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `fake failure ${this.failures.status}`, type: 'server_error' } }));
      return;
    }
    await this.answer(req.url ?? '', body, res);
  }

  protected abstract answer(path: string, body: Json, res: ServerResponse): Promise<void>;
}

const firstTool = (body: Json) => (body['tools'] as { function: { name: string } }[] | undefined)?.[0]?.function.name;

/**
 * An OpenAI-compatible /v1/chat/completions server (JSON and SSE, tools,
 * stream_options.include_usage), with a deterministic /v1/embeddings.
 */
export class FakeOpenAiUpstream extends FakeUpstream {
  protected async answer(path: string, body: Json, res: ServerResponse): Promise<void> {
    if (path === '/v1/embeddings') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(deterministicEmbeddingsResponse(body)));
      return;
    }
    if (path !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    const model = body['model'] as string;
    const tool = firstTool(body);
    const toolCall = tool && {
      id: 'call_1',
      type: 'function',
      function: { name: tool, arguments: '{"city":"Paris"}' },
    };
    const usage = {
      prompt_tokens: this.usage.prompt,
      completion_tokens: this.usage.completion,
      total_tokens: this.usage.prompt + this.usage.completion,
    };
    if (!body['stream']) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          created: 1,
          model,
          choices: [
            {
              index: 0,
              message: toolCall
                ? { role: 'assistant', content: null, tool_calls: [toolCall] }
                : { role: 'assistant', content: this.reply },
              finish_reason: toolCall ? 'tool_calls' : 'stop',
            },
          ],
          usage,
        }),
      );
      return;
    }
    const send = this.sse(res);
    const chunk = (delta: Json, finish: string | null = null) => ({
      id: 'chatcmpl-fake',
      object: 'chat.completion.chunk',
      created: 1,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    send(chunk({ role: 'assistant', content: '' }));
    if (toolCall) {
      send(chunk({ tool_calls: [{ index: 0, ...toolCall, function: { name: tool, arguments: '' } }] }));
      await this.pauseIfHeld();
      send(chunk({ tool_calls: [{ index: 0, function: { arguments: toolCall.function.arguments } }] }));
    } else
      for (const [i, w] of this.words().entries()) {
        send(chunk({ content: w }));
        if (i === 0) await this.pauseIfHeld();
      }
    send(chunk({}, toolCall ? 'tool_calls' : 'stop'));
    if ((body['stream_options'] as { include_usage?: boolean } | undefined)?.include_usage)
      send({ ...chunk({}), choices: [], usage });
    send('[DONE]');
    res.end();
  }
}

/** An Anthropic Messages /v1/messages server (JSON and its event stream, tool_use). */
export class FakeAnthropicUpstream extends FakeUpstream {
  protected async answer(path: string, body: Json, res: ServerResponse): Promise<void> {
    if (path !== '/v1/messages') {
      res.writeHead(404).end();
      return;
    }
    const tool = firstTool({ tools: ((body['tools'] as { name: string }[]) ?? []).map((t) => ({ function: t })) });
    const usage = { input_tokens: this.usage.prompt, output_tokens: this.usage.completion };
    if (!body['stream']) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'msg_fake',
          type: 'message',
          role: 'assistant',
          model: body['model'],
          content: tool
            ? [{ type: 'tool_use', id: 'toolu_1', name: tool, input: { city: 'Paris' } }]
            : [{ type: 'text', text: this.reply }],
          stop_reason: tool ? 'tool_use' : 'end_turn',
          usage,
        }),
      );
      return;
    }
    const send = this.sse(res);
    const event = (type: string, data: Json) => send({ type, ...data }, type);
    event('message_start', {
      message: {
        id: 'msg_fake',
        type: 'message',
        role: 'assistant',
        content: [],
        usage: { input_tokens: usage.input_tokens, output_tokens: 1 },
      },
    });
    if (tool) {
      event('content_block_start', {
        index: 0,
        content_block: { type: 'tool_use', id: 'toolu_1', name: tool, input: {} },
      });
      await this.pauseIfHeld();
      event('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"city":"Paris"}' } });
    } else {
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
      for (const [i, w] of this.words().entries()) {
        event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: w } });
        if (i === 0) await this.pauseIfHeld();
      }
    }
    event('content_block_stop', { index: 0 });
    event('message_delta', {
      delta: { stop_reason: tool ? 'tool_use' : 'end_turn' },
      usage: { output_tokens: usage.output_tokens },
    });
    event('message_stop', {});
    res.end();
  }
}
