import type { CallPrice } from './token-estimator';
import { ChatMessage, Usage } from '@llm-router/contracts';

/**
 * The client's own Chat Completions body (HTTP front door): every field but `model` reaches
 * the provider unchanged (tools, response_format, temperature, content parts...).
 */
export type OpenAiChatBody = Record<string, unknown> & { messages: unknown[] };

export interface ChatRequest {
  model: string;
  /** The prompt as text: what replay looks up and what token estimates count. */
  messages: ChatMessage[];
  /** Replay provider: which dataset row answers. */
  datasetRow?: number;
  maxTokens?: number;
  /** Set on the HTTP path: the request as the client sent it. */
  body?: OpenAiChatBody;
}

/** One `chat.completion.chunk` object, as OpenAI streams it. */
export interface ChatChunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  choices?: { index?: number; delta?: Record<string, unknown>; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
  [field: string]: unknown;
}

/** Receives each chunk of a streamed answer as it arrives from the model. */
export type ChunkSink = (chunk: ChatChunk) => void;

export interface ChatResult {
  output: string;
  /** The assistant message in OpenAI's shape (tool_calls, refusal...), when the provider gives more than text. */
  message?: Record<string, unknown>;
  finishReason?: string;
  usage?: Usage;
  /** Cost of this call in USD when the provider knows it (replay), else computed from usage x price. */
  costUsd?: number;
  /**
   * The list price `costUsd` was billed at (replay: the price list of the dataset's costs). The
   * router rescales `costUsd` to the price in force, as a provider billing tokens at that price
   * would: a price event changes what a replayed call costs, as it changes what it is expected to.
   */
  billedAt?: CallPrice;
  latencyMs: number;
}

/** Anything that can answer a chat request with a named model. */
export interface ChatProvider {
  readonly name: string;
  /** With `onChunk` the answer is streamed: each chunk is handed over as it arrives, and the result assembles them. */
  complete(req: ChatRequest, signal?: AbortSignal, onChunk?: ChunkSink): Promise<ChatResult>;
}

export class ProviderError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}
