import { ChatMessage, Usage } from '@llm-router/contracts';

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  /** Replay provider: which dataset row answers. */
  datasetRow?: number;
  maxTokens?: number;
}

export interface ChatResult {
  output: string;
  usage?: Usage;
  /** Cost of this call in USD when the provider knows it (replay), else computed from usage x price. */
  costUsd?: number;
  latencyMs: number;
}

/** Anything that can answer a chat request with a named model. */
export interface ChatProvider {
  readonly name: string;
  complete(req: ChatRequest, signal?: AbortSignal): Promise<ChatResult>;
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
