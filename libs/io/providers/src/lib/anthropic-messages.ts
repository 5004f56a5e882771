import { ChatProvider, ChatRequest, ChatResult, ChunkSink, ProviderError } from './chat-provider';
import { final, HttpCallOptions, joinUrl, postJson, UpstreamResponse, withRetries } from './http-call';
import { chunkOf, readServerSentEvents, StreamAssembler } from './stream';

export interface AnthropicMessagesOptions extends HttpCallOptions {
  /** The API root: `/v1/messages` is appended (a trailing `/v1` is accepted too). */
  baseUrl: string;
  apiKey?: string;
  /** Anthropic requires max_tokens; used when the request names none. */
  defaultMaxTokens?: number;
  version?: string;
}

type Json = Record<string, unknown>;
type Part = { type?: string; text?: string; image_url?: { url?: string } | string };

const FINISH: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

function imageBlock(url: string): Json {
  const data = /^data:([^;]+);base64,(.*)$/s.exec(url);
  return data
    ? { type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } }
    : { type: 'image', source: { type: 'url', url } };
}

function contentBlocks(content: unknown): Json[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return (content as Part[]).map((p) => {
    if (p.type === 'image_url')
      return imageBlock(typeof p.image_url === 'string' ? p.image_url : (p.image_url?.url ?? ''));
    return { type: 'text', text: p.text ?? '' };
  });
}

function textOf(content: unknown): string {
  return typeof content === 'string'
    ? content
    : contentBlocks(content)
        .map((b) => (b['text'] as string) ?? '')
        .join('');
}

/** An OpenAI Chat Completions body in Anthropic Messages terms (system apart, tools, tool results, images). */
export function toAnthropicBody(model: string, openai: Json, defaultMaxTokens: number): Json {
  const system: string[] = [];
  const messages: { role: string; content: Json[] }[] = [];
  const push = (role: string, blocks: Json[]) => {
    const last = messages[messages.length - 1];
    // Anthropic wants user and assistant turns to alternate: consecutive ones are merged.
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const m of (openai['messages'] as Json[]) ?? []) {
    const role = m['role'] as string;
    if (role === 'system' || role === 'developer') system.push(textOf(m['content']));
    else if (role === 'tool')
      push('user', [{ type: 'tool_result', tool_use_id: m['tool_call_id'], content: textOf(m['content']) }]);
    else if (role === 'assistant') {
      const calls = (m['tool_calls'] as { id: string; function: { name: string; arguments: string } }[]) ?? [];
      push('assistant', [
        ...contentBlocks(m['content']),
        ...calls.map((c) => ({
          type: 'tool_use',
          id: c.id,
          name: c.function.name,
          input: c.function.arguments ? JSON.parse(c.function.arguments) : {},
        })),
      ]);
    } else push('user', contentBlocks(m['content']));
  }
  const body: Json = {
    model,
    messages,
    max_tokens: openai['max_tokens'] ?? openai['max_completion_tokens'] ?? defaultMaxTokens,
  };
  if (system.length > 0) body['system'] = system.join('\n\n');
  for (const k of ['temperature', 'top_p', 'top_k', 'metadata'] as const)
    if (openai[k] !== undefined) body[k] = openai[k];
  const stop = openai['stop'];
  if (stop !== undefined && stop !== null) body['stop_sequences'] = Array.isArray(stop) ? stop : [stop];
  const tools = openai['tools'] as
    | { function: { name: string; description?: string; parameters?: Json } }[]
    | undefined;
  if (tools?.length)
    body['tools'] = tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: 'object', properties: {} },
    }));
  const choice = openai['tool_choice'] as string | { function?: { name: string } } | undefined;
  if (choice === 'auto') body['tool_choice'] = { type: 'auto' };
  else if (choice === 'required') body['tool_choice'] = { type: 'any' };
  else if (choice === 'none') body['tool_choice'] = { type: 'none' };
  else if (typeof choice === 'object' && choice.function)
    body['tool_choice'] = { type: 'tool', name: choice.function.name };
  return body;
}

interface AnthropicMessage {
  id?: string;
  content?: { type: string; text?: string; id?: string; name?: string; input?: unknown }[];
  stop_reason?: string;
  usage?: { input_tokens?: number; output_tokens?: number };
}

/**
 * Anthropic Messages API (/v1/messages) behind the OpenAI interface: the request is
 * translated, and the answer (or its stream, event by event) comes back as OpenAI's
 * chat.completion (chunks).
 */
export class AnthropicMessagesProvider implements ChatProvider {
  readonly name = 'anthropic';
  private readonly url: string;

  constructor(private readonly opts: AnthropicMessagesOptions) {
    this.url = joinUrl(opts.baseUrl.replace(/\/v1\/?$/, ''), '/v1/messages');
  }

  complete(req: ChatRequest, signal?: AbortSignal, onChunk?: ChunkSink): Promise<ChatResult> {
    return withRetries(this.opts, signal, (s) => this.once(req, s, onChunk));
  }

  private async once(req: ChatRequest, signal: AbortSignal, onChunk?: ChunkSink): Promise<ChatResult> {
    const t0 = performance.now();
    const openai: Json = req.body ?? {
      messages: req.messages,
      ...(req.maxTokens ? { max_tokens: req.maxTokens } : {}),
    };
    const body = toAnthropicBody(req.model, openai, this.opts.defaultMaxTokens ?? 4096);
    if (onChunk) body['stream'] = true;
    const headers: Record<string, string> = {
      'anthropic-version': this.opts.version ?? '2023-06-01',
      ...(this.opts.apiKey ? { 'x-api-key': this.opts.apiKey } : {}),
    };
    const res = await postJson(this.url, headers, body, signal, req.model);
    if (onChunk) {
      const usage = (openai['stream_options'] as { include_usage?: boolean } | undefined)?.include_usage === true;
      return this.stream(req.model, res, onChunk, usage, t0);
    }
    const m = (await res.json()) as AnthropicMessage;
    if (!Array.isArray(m.content)) throw new ProviderError(`${req.model}: response has no content`, false, res.status);
    const text = m.content
      .filter((b) => b.type === 'text')
      .map((b) => b.text ?? '')
      .join('');
    const calls = m.content
      .filter((b) => b.type === 'tool_use')
      .map((b) => ({
        id: b.id,
        type: 'function',
        function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) },
      }));
    return {
      output: text,
      message: {
        role: 'assistant',
        content: calls.length > 0 && !text ? null : text,
        ...(calls.length ? { tool_calls: calls } : {}),
      },
      finishReason: FINISH[m.stop_reason ?? ''] ?? 'stop',
      usage: { promptTokens: m.usage?.input_tokens ?? 0, completionTokens: m.usage?.output_tokens ?? 0 },
      latencyMs: performance.now() - t0,
    };
  }

  /** Anthropic's events as chat.completion.chunks, each handed over as it arrives. */
  private async stream(
    model: string,
    res: UpstreamResponse,
    onChunk: ChunkSink,
    includeUsage: boolean,
    t0: number,
  ): Promise<ChatResult> {
    const assembled = new StreamAssembler();
    let id = 'chatcmpl-anthropic';
    let promptTokens = 0;
    let completionTokens = 0;
    const toolIndex = new Map<number, number>();
    let started = false;
    const emit = (delta: Json, finish: string | null = null) => {
      const c = chunkOf(id, model, delta, finish);
      started = true;
      assembled.add(c);
      onChunk(c);
    };
    try {
      await readServerSentEvents(res.body, (data) => {
        const e = JSON.parse(data) as Json;
        switch (e['type']) {
          case 'message_start': {
            const m = e['message'] as AnthropicMessage;
            id = m.id ?? id;
            promptTokens = m.usage?.input_tokens ?? 0;
            emit({ role: 'assistant', content: '' });
            break;
          }
          case 'content_block_start': {
            const block = e['content_block'] as { type: string; id?: string; name?: string };
            if (block.type === 'tool_use') {
              const i = toolIndex.size;
              toolIndex.set(e['index'] as number, i);
              emit({
                tool_calls: [
                  { index: i, id: block.id, type: 'function', function: { name: block.name, arguments: '' } },
                ],
              });
            }
            break;
          }
          case 'content_block_delta': {
            const d = e['delta'] as { type: string; text?: string; partial_json?: string };
            if (d.type === 'text_delta') emit({ content: d.text ?? '' });
            else if (d.type === 'input_json_delta')
              emit({
                tool_calls: [
                  { index: toolIndex.get(e['index'] as number) ?? 0, function: { arguments: d.partial_json ?? '' } },
                ],
              });
            break;
          }
          case 'message_delta': {
            const d = e['delta'] as { stop_reason?: string };
            completionTokens =
              (e['usage'] as { output_tokens?: number } | undefined)?.output_tokens ?? completionTokens;
            emit({}, FINISH[d.stop_reason ?? ''] ?? 'stop');
            break;
          }
          case 'error': {
            const err = e['error'] as { message?: string } | undefined;
            throw new ProviderError(`${model}: ${err?.message ?? 'error in stream'}`, !started);
          }
        }
      });
    } catch (e) {
      throw started ? final(e) : e;
    }
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
    const last = { ...chunkOf(id, model, {}), choices: [], usage };
    assembled.add(last);
    if (includeUsage) onChunk(last);
    return assembled.result(performance.now() - t0);
  }
}
