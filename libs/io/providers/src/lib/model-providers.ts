import { PriceEvent, Usage } from '@llm-router/contracts';
import { AnthropicMessagesProvider } from './anthropic-messages';
import { ChatProvider, ChatRequest, ChatResult, ChunkSink, ProviderError } from './chat-provider';
import { OpenAiChatProvider } from './openai-chat';
import { BreakerOptions, CircuitBreaker, ConcurrencyGate, LatencyTracker, ModelBusy } from './resilience';
import { callCostUsd, rebilledCostUsd, TokenEstimator } from './token-estimator';

export interface ModelProvidersOptions {
  /** Answers every model whose price event names no endpoint (PROVIDER=replay or openai). */
  fallback: ChatProvider;
  breaker: BreakerOptions;
  retries: number;
  /** A model without timeoutMs of its own. */
  timeoutMs: number;
  /** A model with a concurrency but no queueTimeoutMs of its own. */
  queueTimeoutMs: number;
  /** Anthropic requires max_tokens: used when a request names none. */
  defaultMaxTokens?: number;
  /** Where keyEnv names are looked up (process.env). */
  env?: Record<string, string | undefined>;
  now?: () => number;
}

interface ModelState {
  /** Endpoint, protocol, key variable and timeout the client was built with. */
  spec: string;
  provider: ChatProvider;
  breaker: CircuitBreaker;
  latency: LatencyTracker;
  gate?: ConcurrencyGate;
}

/** The answer of a call, with what it cost and used (usage estimated when the provider reported none). */
export interface ModelCall {
  result: ChatResult;
  usage: Usage;
  usageEstimated: boolean;
  costUsd: number | undefined;
}

/**
 * The router's provider registry: per model, the client its price event describes (protocol,
 * endpoint, key variable, timeout; rebuilt when a reloaded models file changes them), a
 * circuit breaker, a learned latency and, for a model with a concurrency C, a gate with a
 * bounded queue. Models with no endpoint go to the fallback provider.
 */
export class ModelProviders {
  private readonly states = new Map<string, ModelState>();
  readonly tokens = new TokenEstimator();

  constructor(private readonly opts: ModelProvidersOptions) {}

  /** Why `model` should not be tried now (open circuit, p95 above the query's SLO), or null. */
  unavailable(model: string, latencySloMs?: number): string | null {
    const s = this.states.get(model);
    if (!s) return null;
    if (!s.breaker.wouldAdmit()) return `${model}: circuit open after consecutive failures`;
    if (latencySloMs !== undefined && !s.latency.meets(latencySloMs))
      return `${model}: learned p95 latency ${Math.round(s.latency.p95()!)} ms is above the SLO of ${latencySloMs} ms`;
    return null;
  }

  /** One call through the model's gate and breaker; its latency is learned and its cost priced at `price`. */
  async call(
    price: PriceEvent | undefined,
    req: ChatRequest,
    promptText: string,
    signal?: AbortSignal,
    onChunk?: ChunkSink,
  ): Promise<ModelCall> {
    const s = this.state(req.model, price);
    if (price?.keyEnv && !this.env()[price.keyEnv])
      throw new ProviderError(
        `${req.model}: environment variable ${price.keyEnv} (its API key) is not set`,
        false,
        401,
      );
    if (!s.breaker.wouldAdmit()) throw new ProviderError(`${req.model}: circuit open`, true, 503);
    const release = s.gate ? await s.gate.acquire(signal) : undefined;
    try {
      if (!s.breaker.tryAcquire()) throw new ProviderError(`${req.model}: circuit open`, true, 503);
      let result: ChatResult;
      try {
        result = await s.provider.complete(req, signal, onChunk);
      } catch (e) {
        if (countsAgainst(e, signal)) s.breaker.failure();
        else s.breaker.success();
        throw e;
      }
      s.breaker.success();
      s.latency.observe(result.latencyMs);
      const usage = result.usage ?? this.tokens.usage(promptText, result.output);
      const costUsd =
        result.costUsd !== undefined
          ? rebilledCostUsd(result.costUsd, result.billedAt, price)
          : price
            ? callCostUsd(price, usage)
            : undefined;
      return { result, usage, usageEstimated: !result.usage, costUsd };
    } finally {
      release?.();
    }
  }

  summary(): Record<string, unknown> {
    return Object.fromEntries(
      [...this.states].map(([m, s]) => [
        m,
        {
          provider: s.provider.name,
          breaker: s.breaker.summary(),
          latency: s.latency.summary(),
          ...(s.gate ? { gate: s.gate.summary() } : {}),
        },
      ]),
    );
  }

  private env() {
    return this.opts.env ?? process.env;
  }

  private state(model: string, price: PriceEvent | undefined): ModelState {
    const spec = JSON.stringify([price?.endpoint, price?.protocol, price?.keyEnv, price?.timeoutMs]);
    let s = this.states.get(model);
    if (!s || s.spec !== spec) {
      // A new endpoint is a new upstream: what was learned about the old one does not apply.
      s = {
        spec,
        provider: this.build(price),
        breaker: new CircuitBreaker(this.opts.breaker, this.opts.now),
        latency: new LatencyTracker(),
        gate: s?.gate,
      };
      this.states.set(model, s);
    }
    if (price?.concurrency) {
      const limits = {
        concurrency: price.concurrency,
        queueLimit: price.queueLimit ?? price.concurrency,
        queueTimeoutMs: price.queueTimeoutMs ?? this.opts.queueTimeoutMs,
      };
      if (s.gate) s.gate.setLimits(limits);
      else s.gate = new ConcurrencyGate(limits, model);
    } else s.gate = undefined;
    return s;
  }

  private build(price: PriceEvent | undefined): ChatProvider {
    if (!price?.endpoint) return this.opts.fallback;
    const http = {
      baseUrl: price.endpoint,
      apiKey: price.keyEnv ? this.env()[price.keyEnv] : undefined,
      timeoutMs: price.timeoutMs ?? this.opts.timeoutMs,
      retries: this.opts.retries,
    };
    return price.protocol === 'anthropic'
      ? new AnthropicMessagesProvider({ ...http, defaultMaxTokens: this.opts.defaultMaxTokens })
      : new OpenAiChatProvider(http);
  }
}

/** A busy model, the client's own bad request or the router stopping say nothing about the model's health. */
function countsAgainst(e: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return false;
  if (e instanceof ModelBusy) return false;
  return !(e instanceof ProviderError && e.status === 400);
}
