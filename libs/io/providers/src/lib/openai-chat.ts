import { ChatProvider, ChatRequest, ChatResult, ProviderError } from './chat-provider';

export interface OpenAiChatOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs?: number;
  retries?: number;
  /** First backoff; doubles per retry, with jitter. */
  backoffMs?: number;
}

/**
 * OpenAI-compatible /v1/chat/completions client (OpenAI, vLLM, Ollama, LiteLLM, OpenRouter).
 * Retries 429/5xx/network errors with exponential backoff; 4xx other than 429 fail at once.
 */
export class OpenAiChatProvider implements ChatProvider {
  readonly name = 'openai';
  constructor(private readonly opts: OpenAiChatOptions) {}

  async complete(req: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
    const retries = this.opts.retries ?? 2;
    let last: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      try {
        return await this.once(req, signal);
      } catch (e) {
        last = e;
        if (!(e instanceof ProviderError) || !e.retryable || attempt === retries || signal?.aborted) throw e;
        const wait = (this.opts.backoffMs ?? 200) * 2 ** attempt * (0.5 + Math.random());
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    throw last;
  }

  private async once(req: ChatRequest, outer?: AbortSignal): Promise<ChatResult> {
    const t0 = performance.now();
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), this.opts.timeoutMs ?? 30000);
    outer?.addEventListener('abort', () => ctl.abort(), { once: true });
    try {
      const res = await fetch(`${this.opts.baseUrl.replace(/\/$/, '')}/v1/chat/completions`, {
        method: 'POST',
        signal: ctl.signal,
        headers: {
          'content-type': 'application/json',
          ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: req.model,
          messages: req.messages,
          ...(req.maxTokens ? { max_tokens: req.maxTokens } : {}),
        }),
      });
      const text = await res.text();
      if (!res.ok) {
        throw new ProviderError(
          `${req.model}: HTTP ${res.status}: ${text.slice(0, 300)}`,
          res.status === 429 || res.status >= 500,
          res.status,
        );
      }
      const body = JSON.parse(text) as {
        choices?: { message?: { content?: string } }[];
        usage?: { prompt_tokens?: number; completion_tokens?: number };
      };
      const output = body.choices?.[0]?.message?.content;
      if (typeof output !== 'string')
        throw new ProviderError(`${req.model}: response has no choices[0].message.content`, false, res.status);
      return {
        output,
        usage: body.usage
          ? { promptTokens: body.usage.prompt_tokens ?? 0, completionTokens: body.usage.completion_tokens ?? 0 }
          : undefined,
        latencyMs: performance.now() - t0,
      };
    } catch (e) {
      if (e instanceof ProviderError) throw e;
      const aborted = (e as Error).name === 'AbortError';
      throw new ProviderError(`${req.model}: ${aborted ? 'timed out' : (e as Error).message}`, true);
    } finally {
      clearTimeout(timer);
    }
  }
}
