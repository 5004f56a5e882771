import { Inject, Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { QueryRequest, RoutedResponse, Topic } from '@llm-router/contracts';
import { MessageProducer } from '@llm-router/kafka';
import { ChatProvider, ProviderError } from '@llm-router/providers';
import { MetricsService } from '@llm-router/service';
import { ReplicaService } from '@llm-router/replica';

export const CHAT_PROVIDER = Symbol('CHAT_PROVIDER');

/** Thrown for a query the router cannot serve as asked (unknown model, no arm): the caller's fault. */
export class RoutingRejected extends Error {}

/**
 * decide -> call the model -> publish the answer and the decision. A failed call falls back
 * to the next arm in score order; the decision logged is the arm that answered.
 */
@Injectable()
export class RoutingService {
  constructor(
    private readonly replica: ReplicaService,
    private readonly producer: MessageProducer,
    @Inject(CHAT_PROVIDER) private readonly provider: ChatProvider,
    private readonly metrics: MetricsService,
    private readonly log: PinoLogger,
  ) {}

  async route(query: QueryRequest): Promise<RoutedResponse> {
    await this.replica.waitForModels();
    const engine = this.replica.engines.get(query.scope);
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
      routed = engine.decide(query);
      stop();
    } catch (e) {
      throw new RoutingRejected((e as Error).message);
    }
    const { event, ranking } = routed;
    let lastError = '';
    for (const model of ranking) {
      try {
        const result = await this.provider.complete({ model, messages: query.messages, datasetRow: query.datasetRow });
        const costUsd = result.costUsd ?? event.priceSnapshot[model] ?? 0;
        engine.costs.observe(model, costUsd);
        const fellBack = model !== event.arm;
        // A fallback keeps the propensity of the policy's own choice: the fallback arm was not
        // sampled, it followed from that choice failing.
        const decision = { ...event, arm: model, ts: new Date().toISOString() };
        const response: RoutedResponse = {
          id: query.id,
          decisionId: event.decisionId,
          scope: query.scope,
          model,
          output: result.output,
          usage: result.usage,
          costUsd,
          latencyMs: result.latencyMs,
          error: fellBack ? `fell back from ${event.arm}: ${lastError}` : undefined,
          ts: decision.ts,
        };
        await Promise.all([this.producer.send(Topic.Decisions, decision), this.reply(query, response)]);
        this.metrics
          .counter('router_decisions_total', 'Routing decisions per scope and arm', ['scope', 'arm'])
          .inc({ scope: query.scope, arm: model });
        return response;
      } catch (e) {
        lastError = (e as Error).message;
        this.metrics.counter('router_provider_errors_total', 'Failed model calls', ['model']).inc({ model });
        this.log.warn({ model, requestId: query.id, err: lastError }, 'model call failed, trying the next arm');
        if (e instanceof ProviderError && !e.retryable && e.status === 400) break;
      }
    }
    const failed: RoutedResponse = {
      id: query.id,
      decisionId: event.decisionId,
      scope: query.scope,
      model: event.arm,
      output: '',
      costUsd: 0,
      latencyMs: 0,
      error: `every model failed: ${lastError}`,
      ts: new Date().toISOString(),
    };
    await this.reply(query, failed);
    return failed;
  }

  private async reply(query: QueryRequest, response: RoutedResponse): Promise<void> {
    if (query.replyTo && query.replyTo !== Topic.Responses) {
      await this.producer.sendRaw(query.replyTo, query.id, JSON.stringify(response));
    } else {
      await this.producer.send(Topic.Responses, response);
    }
  }
}
