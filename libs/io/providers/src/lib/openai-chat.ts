import { ChatProvider, ChatRequest, ChatResult, ChunkSink, ChatChunk, ProviderError } from './chat-provider';
import { final, HttpCallOptions, joinUrl, postJson, UpstreamResponse, withRetries } from './http-call';
import { readServerSentEvents, StreamAssembler } from './stream';

export interface OpenAiChatOptions extends HttpCallOptions {
  /** The API root: `/v1/chat/completions` is appended (a trailing `/v1` is accepted too). */
  baseUrl: string;
  apiKey?: string;
}

interface Completion {
  choices?: { message?: Record<string, unknown> & { content?: string | null }; finish_reason?: string }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

/**
 * OpenAI-compatible /v1/chat/completions client (OpenAI, vLLM, Ollama, LiteLLM, OpenRouter).
 * The client's body is sent as it came (only `model` is set); a stream is passed on chunk by
 * chunk as the upstream sends it. Retries 429/5xx/network errors with exponential backoff
 * until the first chunk; 4xx other than 429 fail at once.
 */
export class OpenAiChatProvider implements ChatProvider {
  readonly name = 'openai';
  private readonly url: string;

  constructor(private readonly opts: OpenAiChatOptions) {
    this.url = joinUrl(opts.baseUrl.replace(/\/v1\/?$/, ''), '/v1/chat/completions');
  }

  complete(req: ChatRequest, signal?: AbortSignal, onChunk?: ChunkSink): Promise<ChatResult> {
    return withRetries(this.opts, signal, (s) => this.once(req, s, onChunk));
  }

  private async once(req: ChatRequest, signal: AbortSignal, onChunk?: ChunkSink): Promise<ChatResult> {
    const t0 = performance.now();
    const body: Record<string, unknown> = req.body
      ? { ...req.body, model: req.model }
      : { model: req.model, messages: req.messages, ...(req.maxTokens ? { max_tokens: req.maxTokens } : {}) };
    if (onChunk) body['stream'] = true;
    else {
      delete body['stream'];
      delete body['stream_options'];
    }
    const headers: Record<string, string> = this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {};
    const res = await postJson(this.url, headers, body, signal, req.model);
    if (onChunk) return this.stream(req.model, res, onChunk, t0);
    const parsed = (await res.json()) as Completion;
    const choice = parsed.choices?.[0];
    const message = choice?.message;
    if (!message || (typeof message.content !== 'string' && !message['tool_calls']))
      throw new ProviderError(`${req.model}: response has no choices[0].message`, false, res.status);
    return {
      output: message.content ?? '',
      message,
      finishReason: choice.finish_reason,
      usage: parsed.usage
        ? { promptTokens: parsed.usage.prompt_tokens ?? 0, completionTokens: parsed.usage.completion_tokens ?? 0 }
        : undefined,
      latencyMs: performance.now() - t0,
    };
  }

  private async stream(model: string, res: UpstreamResponse, onChunk: ChunkSink, t0: number): Promise<ChatResult> {
    const assembled = new StreamAssembler();
    let started = false;
    try {
      await readServerSentEvents(res.body, (data) => {
        if (data.trim() === '[DONE]') return;
        const chunk = JSON.parse(data) as ChatChunk & { error?: { message?: string } };
        if (chunk.error) throw new ProviderError(`${model}: ${chunk.error.message ?? 'error in stream'}`, !started);
        started = true;
        assembled.add(chunk);
        onChunk(chunk);
      });
    } catch (e) {
      throw started ? final(e) : e;
    }
    return assembled.result(performance.now() - t0);
  }
}
