import { Inject, Injectable, Optional } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { DecisionEvent, encode, QueryRequest, RoutedResponse, Topic } from '@llm-router/contracts';
import { MessageProducer, STOPPING_REASON } from '@llm-router/kafka';
import { PromptStore } from '@llm-router/persistence';
import { queryText } from '@llm-router/engine';
import { ChatChunk, ChatResult, ModelCall, ModelProviders, OpenAiChatBody, ProviderError } from '@llm-router/providers';
import { APP_CONFIG, MetricsService } from '@llm-router/service';
import { ReplicaService } from '@llm-router/replica';
import { RouterConfig } from '../config';
import { AnswerFeedback } from '../feedback/answer-feedback.service';
import { EMBEDDINGS, RouterEmbeddings } from './embeddings';

/** The provider of models whose price event names no endpoint (PROVIDER=replay or openai). */
export const CHAT_PROVIDER = Symbol('CHAT_PROVIDER');

/** Thrown for a query the router cannot serve as asked (unknown model, no arm): the caller's fault. */
export class RoutingRejected extends Error {}

/** The answer could not be published to llm.responses or routing.decisions: not a model failure. */
export class PublishError extends Error {
  constructor(readonly causes: unknown[]) {
    super(`publishing failed: ${causes.map((c) => (c as Error)?.message ?? String(c)).join('; ')}`);
    this.name = 'PublishError';
  }
}

/** The query's deadline passed while its model was answering. */
class DeadlinePassed extends Error {}

/** What routing one query produced, before anything is published. */
export interface Answer {
  query: QueryRequest;
  response: RoutedResponse;
  /** Null when no model answered (every call failed, or the deadline passed). */
  decision: DecisionEvent | null;
  /** Time spent waiting for models (every call, fallbacks included), ms: what the router did not add. */
  modelMs?: number;
  /** The model's answer as it gave it (tool calls, finish reason): what the HTTP front door returns. */
  result?: ChatResult;
}

/** A streamed chunk, with the model that sent it and the decision it belongs to. */
export type StreamSink = (chunk: ChatChunk, meta: { model: string; decisionId: string }) => void;

export interface AnswerOptions {
  /** Aborts the model call (the router is stopping): the query is then not answered at all. */
  signal?: AbortSignal;
  /** When the query was consumed (ms since epoch): ROUTER_QUERY_DEADLINE_MS counts from it. */
  receivedAt?: number;
  /** HTTP front door: the client's Chat Completions body, passed to the provider unchanged. */
  body?: OpenAiChatBody;
  /**
   * Streams the answer: chunks are handed over as the model sends them. Once one has gone
   * out, a failure of that model ends the answer (the client already has part of it).
   */
  onChunk?: StreamSink;
}

/**
 * decide -> call the model -> publish the answer and the decision. A failed call falls back
 * to the next arm in score order, until the query's deadline; the decision logged is the arm
 * that answered. Calling and publishing are separate steps: a failed send is reported as
 * such and never makes another model answer the same query.
 */
@Injectable()
export class RoutingService {
  constructor(
    private readonly replica: ReplicaService,
    private readonly producer: MessageProducer,
    private readonly providers: ModelProviders,
    private readonly metrics: MetricsService,
    private readonly log: PinoLogger,
    @Inject(APP_CONFIG) private readonly config: RouterConfig,
    @Inject(EMBEDDINGS) private readonly embeddings: RouterEmbeddings,
    private readonly prompts: PromptStore,
    @Optional() private readonly feedback?: AnswerFeedback,
  ) {}

  /**
   * The HTTP front door's path: route one query and publish its answer. `alongside` runs
   * while the answer is being acknowledged by Kafka (the caller's own writes, such as the
   * decision's owner): one round trip after the other would add up on every request.
   */
  async route(
    query: QueryRequest,
    opts: Pick<AnswerOptions, 'body' | 'onChunk'> & { alongside?: (answer: Answer) => Promise<void> } = {},
  ): Promise<Answer> {
    const answer = await this.answer(query, opts);
    await Promise.all([this.publish([answer], [answer]), opts.alongside?.(answer)]);
    return answer;
  }

  /**
   * The query's embedding block: the caller's `features` when it sent them (no provider call),
   * else the provider's embedding of the prompt; undefined (the block stays zero) when the
   * router has no provider or it failed. Caller features the block cannot take are refused.
   */
  private async embeddingOf(query: QueryRequest): Promise<Float64Array | undefined> {
    const { block, provider } = this.embeddings;
    if (query.features) {
      if (!block) throw new RoutingRejected('features: this router takes no caller features (EMBEDDING_DIM is 0)');
      try {
        return block.fromCallerFeatures(query.features);
      } catch (e) {
        throw new RoutingRejected((e as Error).message);
      }
    }
    return provider?.blockFor(queryText(query));
  }

  /** Decides and calls models (with fallbacks, until the deadline); publishes nothing. */
  async answer(query: QueryRequest, opts: AnswerOptions = {}): Promise<Answer> {
    const deadline = query.constraints.deadline
      ? Date.parse(query.constraints.deadline)
      : (opts.receivedAt ?? Date.now()) + this.config.ROUTER_QUERY_DEADLINE_MS;
    await this.replica.waitForModels(undefined, opts.signal);
    const engine = this.replica.engines.get(query.scope);
    const embedding = await this.embeddingOf(query);
    let routed;
    try {
      const stop = this.metrics
        .histogram(
          'router_decide_seconds',
          'Time inside the policy decide call',
          [],
          [1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 1e-2],
        )
        .startTimer();
      // This router's own pacer sets the cost weight (docs/decisions/0013); without a budget
      // the policy's lambda from the snapshot stands.
      const paced = this.replica.pacing.lambda(query.scope, engine.lambda);
      if (paced !== null) engine.lambda = paced;
      routed = engine.decide(query, { embedding });
      stop();
      this.metrics
        .summary(
          'router_policy_age_seconds',
          'Per decision: how long ago the policy snapshot it was made with was published (before the first: since the first decision)',
        )
        .observe(this.replica.policyAgeAtDecision(query.scope));
    } catch (e) {
      throw new RoutingRejected((e as Error).message);
    }
    const { event, ranking } = routed;
    const expectedUsd = event.priceSnapshot[event.arm] ?? 0;
    const recordedAt = this.replica.pacing.decided(query.scope, expectedUsd, event.lambda);
    let modelMs = 0;
    let lastError = '';
    let calls = 0;
    let deadlinePassed = false;
    let streamed = false;
    const onChunk = opts.onChunk;
    const sink = onChunk
      ? (model: string) => (chunk: ChatChunk) => {
          streamed = true;
          onChunk(chunk, { model, decisionId: event.decisionId });
        }
      : undefined;
    for (const model of ranking) {
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) {
        deadlinePassed = true;
        break;
      }
      // An open circuit, or a learned latency above the query's SLO: not worth a call.
      const unavailable = this.providers.unavailable(model, query.constraints.latencySloMs);
      if (unavailable) {
        lastError = unavailable;
        this.metrics.counter('router_models_skipped_total', 'Arms skipped before a call', ['model']).inc({ model });
        continue;
      }
      let call: ModelCall;
      const callStart = performance.now();
      try {
        calls++;
        call = await this.callModel(model, query, remainingMs, opts, sink?.(model));
      } catch (e) {
        modelMs += performance.now() - callStart;
        if (opts.signal?.aborted) {
          this.replica.pacing.billed(query.scope, expectedUsd, 0, recordedAt);
          throw e;
        }
        lastError = (e as Error).message;
        this.metrics.counter('router_provider_errors_total', 'Failed model calls', ['model']).inc({ model });
        if (e instanceof DeadlinePassed) {
          deadlinePassed = true;
          break;
        }
        this.log.warn({ model, requestId: query.id, err: lastError }, 'model call failed, trying the next arm');
        if (e instanceof ProviderError && !e.retryable && e.status === 400) break;
        if (streamed) break;
        continue;
      }
      modelMs += performance.now() - callStart;
      const { result, usage } = call;
      const costUsd = call.costUsd ?? event.priceSnapshot[model] ?? 0;
      engine.costs.observe(model, costUsd);
      this.replica.pacing.billed(query.scope, expectedUsd, costUsd, recordedAt);
      const fellBack = model !== event.arm;
      // A fallback keeps the propensity of the policy's own choice and is marked as such: the
      // fallback arm was not sampled, it followed from that choice failing.
      const decision: DecisionEvent = {
        ...event,
        arm: model,
        realisedCostUsd: costUsd,
        usage,
        fallbackFrom: fellBack ? event.arm : undefined,
        ts: new Date().toISOString(),
      };
      const response: RoutedResponse = {
        id: query.id,
        decisionId: event.decisionId,
        scope: query.scope,
        model,
        output: result.output,
        usage,
        costUsd,
        latencyMs: result.latencyMs,
        error: fellBack ? `fell back from ${event.arm}: ${lastError}` : undefined,
        ts: decision.ts,
      };
      this.metrics
        .counter('router_decisions_total', 'Routing decisions per scope and arm', ['scope', 'arm'])
        .inc({ scope: query.scope, arm: model });
      return { query, response, decision, modelMs, result };
    }
    this.replica.pacing.billed(query.scope, expectedUsd, 0, recordedAt);
    if (deadlinePassed)
      this.metrics.counter('router_deadline_expired_total', 'Queries answered with an error at their deadline').inc();
    const response: RoutedResponse = {
      id: query.id,
      decisionId: event.decisionId,
      scope: query.scope,
      model: event.arm,
      output: '',
      costUsd: 0,
      latencyMs: 0,
      error: deadlinePassed
        ? `deadline ${new Date(deadline).toISOString()} passed after ${calls} model call(s)${lastError ? `: ${lastError}` : ''}`
        : `every model failed: ${lastError}`,
      ts: new Date().toISOString(),
    };
    return { query, response, decision: null, modelMs };
  }

  /**
   * Publishes answers (to their replyTo, or llm.responses) and decisions: one send per topic.
   * A replyTo that is refused or cannot take the message gets the answer on llm.responses
   * with the reason; a failed send to llm.responses or routing.decisions throws PublishError
   * (the caller redelivers: nothing here calls a model). Once published, the router's own
   * checks (heuristics, judge) look at `fresh`: the answers first given now, not those a
   * redelivered query replays from the store: they were checked (and the judge paid) when first
   * published, or that publish failed and they go unchecked, a missed sample being cheaper
   * than a judge paid twice.
   */
  async publish(
    replies: Pick<Answer, 'query' | 'response'>[],
    decided: (Pick<Answer, 'decision'> & Partial<Answer>)[],
    fresh: readonly Partial<Answer>[] = decided,
  ): Promise<void> {
    const decisions = decided.flatMap((a) => (a.decision ? [a.decision] : []));
    const byTopic = new Map<string, RoutedResponse[]>();
    const toResponses: RoutedResponse[] = [];
    for (const { query, response } of replies) {
      const refused = this.refusedReplyTo(query);
      if (refused) toResponses.push(withError(response, refused));
      else if (query.replyTo && query.replyTo !== Topic.Responses) {
        const list = byTopic.get(query.replyTo) ?? [];
        list.push(response);
        byTopic.set(query.replyTo, list);
      } else toResponses.push(response);
    }
    // Whether each replyTo exists, asked once per topic (cached): a missing one is redirected
    // before it is sent, so it holds up nothing.
    await Promise.all(
      [...byTopic.keys()].map(async (topic) => {
        if (await this.producer.topics.exists(topic)) return;
        toResponses.push(...byTopic.get(topic)!.map((r) => withError(r, `replyTo ${topic} does not exist`)));
        byTopic.delete(topic);
      }),
    );
    const sentToReplyTopics = await Promise.all(
      [...byTopic].map(async ([topic, responses]) => {
        try {
          await this.producer.sendRawMany(
            topic,
            responses.map((r) => {
              const e = encode(Topic.Responses, r);
              return { key: e.key, value: e.value };
            }),
          );
          return [];
        } catch (e) {
          this.metrics
            .counter('router_reply_to_failures_total', 'Answers that could not be sent to their replyTo topic')
            .inc(responses.length);
          this.log.warn({ topic, err: (e as Error).message }, 'replyTo send failed: answering on llm.responses');
          return responses.map((r) => withError(r, `could not deliver to replyTo ${topic}: ${(e as Error).message}`));
        }
      }),
    );
    toResponses.push(...sentToReplyTopics.flat());
    const [results] = await Promise.all([
      Promise.allSettled([
        // Built here as the topics' types: not validated again (docs/decisions/0029).
        this.producer.sendManyTyped(Topic.Responses, toResponses),
        this.producer.sendManyTyped(Topic.Decisions, decisions),
      ]),
      this.keepPrompts(replies),
    ]);
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    if (failures.length > 0) {
      this.metrics.counter('router_publish_errors_total', 'Batches of answers whose publishing failed').inc();
      throw new PublishError(failures);
    }
    // Published: the router's own checks of these answers may follow (in the background).
    this.feedback?.observe(fresh);
  }

  /**
   * STORE_PROMPTS=true: the prompts of these answers go to stored_prompts. Best effort: a
   * database failure is logged and counted, and never holds up or fails the answers.
   */
  private async keepPrompts(replies: Pick<Answer, 'query' | 'response'>[]): Promise<void> {
    if (!this.config.STORE_PROMPTS || replies.length === 0) return;
    try {
      await this.prompts.save(
        replies.map(({ query, response }) => ({
          scope: query.scope,
          requestId: query.id,
          decisionId: response.error && !response.output ? null : response.decisionId,
          messages: query.messages,
        })),
      );
    } catch (e) {
      this.metrics.counter('router_prompt_store_errors_total', 'Batches of prompts that could not be stored').inc();
      this.log.warn({ err: (e as Error).message }, 'storing prompts failed (STORE_PROMPTS=true)');
    }
  }

  /** Why the query's replyTo is not used, or null when it may be (existence is checked when sending). */
  private refusedReplyTo(query: QueryRequest): string | null {
    if (!query.replyTo || query.replyTo === Topic.Responses) return null;
    if (!this.config.REPLY_TOPIC_PATTERN.test(query.replyTo))
      return `replyTo ${query.replyTo} refused: it does not match ${this.config.REPLY_TOPIC_PATTERN.source}`;
    return null;
  }

  /**
   * One model call through the provider registry (the model's own endpoint and protocol, its
   * breaker and concurrency gate), priced at the price in force now; abandoned at the query's
   * deadline or when the router stops.
   */
  private async callModel(
    model: string,
    query: QueryRequest,
    remainingMs: number,
    opts: Pick<AnswerOptions, 'signal' | 'body'>,
    onChunk?: (chunk: ChatChunk) => void,
  ): Promise<ModelCall> {
    const stopping = opts.signal;
    this.metrics.counter('router_model_calls_total', 'Model calls made (fallbacks included)', ['model']).inc({ model });
    const abort = new AbortController();
    const onStop = () => abort.abort(stopping!.reason ?? new Error(STOPPING_REASON));
    stopping?.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(
      () => abort.abort(new DeadlinePassed(`deadline passed while ${model} was answering`)),
      remainingMs,
    );
    // Providers that ignore the signal are not waited for either.
    const abandoned = new Promise<never>((_, reject) => {
      if (abort.signal.aborted) reject(abort.signal.reason);
      abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true });
    });
    try {
      return await Promise.race([
        this.providers.call(
          this.replica.engines.price(model),
          { model, messages: query.messages, datasetRow: query.datasetRow, body: opts.body },
          query.messages.map((m) => m.content).join('\n'),
          abort.signal,
          onChunk,
        ),
        abandoned,
      ]);
    } finally {
      clearTimeout(timer);
      stopping?.removeEventListener('abort', onStop);
    }
  }
}

function withError(r: RoutedResponse, reason: string): RoutedResponse {
  return { ...r, error: r.error ? `${r.error}; ${reason}` : reason };
}
