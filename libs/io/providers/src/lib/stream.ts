import { createParser } from 'eventsource-parser';
import { Usage } from '@llm-router/contracts';
import { ChatChunk, ChatResult, ProviderError } from './chat-provider';

interface ToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

/** Builds one chat.completion.chunk (providers that do not speak OpenAI's stream produce these). */
export function chunkOf(
  id: string,
  model: string,
  delta: Record<string, unknown>,
  finishReason: string | null = null,
): ChatChunk {
  return {
    id,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

/** Folds streamed chunks back into one answer: text, tool calls, finish reason and usage. */
export class StreamAssembler {
  private content = '';
  private readonly toolCalls: { id?: string; type: string; function: { name: string; arguments: string } }[] = [];
  private finishReason?: string;
  private usage?: Usage;

  add(chunk: ChatChunk): void {
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    const delta = choice?.delta ?? {};
    if (typeof delta['content'] === 'string') this.content += delta['content'];
    for (const t of (delta['tool_calls'] as ToolCallDelta[] | undefined) ?? []) {
      const i = t.index ?? 0;
      const call = (this.toolCalls[i] ??= { type: 'function', function: { name: '', arguments: '' } });
      if (t.id) call.id = t.id;
      if (t.type) call.type = t.type;
      if (t.function?.name) call.function.name += t.function.name;
      if (t.function?.arguments) call.function.arguments += t.function.arguments;
    }
    if (choice?.finish_reason) this.finishReason = choice.finish_reason;
    if (chunk.usage)
      this.usage = {
        promptTokens: chunk.usage.prompt_tokens ?? 0,
        completionTokens: chunk.usage.completion_tokens ?? 0,
      };
  }

  result(latencyMs: number): ChatResult {
    const toolCalls = this.toolCalls.filter(Boolean);
    return {
      output: this.content,
      message: {
        role: 'assistant',
        content: toolCalls.length > 0 && this.content === '' ? null : this.content,
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      },
      finishReason: this.finishReason,
      usage: this.usage,
      latencyMs,
    };
  }
}

/** Reads a Server-Sent Events body, handing over each event's data (and name) as it arrives. */
export async function readServerSentEvents(
  body: AsyncIterable<Uint8Array> | null,
  onEvent: (data: string, event: string | undefined) => void,
): Promise<void> {
  if (!body) throw new ProviderError('the stream has no body', true);
  let failure: unknown;
  const parser = createParser({
    onEvent: (e) => {
      if (failure) return;
      try {
        onEvent(e.data, e.event);
      } catch (err) {
        failure = err;
      }
    },
  });
  const decoder = new TextDecoder();
  for await (const bytes of body) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    if (failure) throw failure;
  }
  if (failure) throw failure;
}
