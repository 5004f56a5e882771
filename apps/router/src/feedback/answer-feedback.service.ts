import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { readFileSync } from 'node:fs';
import { FeedbackEvent, Topic } from '@llm-router/contracts';
import { MessageProducer } from '@llm-router/kafka';
import { ModelProviders } from '@llm-router/providers';
import { ReplicaService } from '@llm-router/replica';
import { APP_CONFIG, MetricsService } from '@llm-router/service';
import { RouterConfig } from '../config';
import { BudgetCap } from '../auth/budget-cap';
import { worstCaseCostUsd } from '../auth/worst-case-cost';
import type { Answer } from '../routing/routing.service';
import { checkAnswer } from './heuristics';
import { judgeMessages, parseJudgeScore } from './judge-prompt';

/** The judge answers with one line of JSON: this bounds its bill and its reservation. */
const JUDGE_MAX_TOKENS = 128;

type FeedbackConfig = Pick<
  RouterConfig,
  'HEURISTIC_FEEDBACK' | 'JUDGE_MODEL' | 'JUDGE_SAMPLE' | 'JUDGE_PROMPT_FILE' | 'PROVIDER_TIMEOUT_MS'
>;

/**
 * Feedback the router can give itself, since it sees the prompt and the answer: cheap
 * heuristics on every answer (source 'heuristic') and, on a sample of JUDGE_SAMPLE, an
 * LLM-as-judge (source 'judge'). Both run after the answer is published and never hold it
 * up or fail it. The aggregator uses them only when the client gives no score in time.
 *
 * The judge's calls are spend: each is reserved against the scope's budget cap before it is
 * made (skipped when the cap is reached) and settled at its cost, billed to this router's
 * pacer for the scope, counted in router_judge_cost_usd_total, and carried on the feedback
 * (evaluationCostUsd) into the aggregator's feedback_log.
 */
@Injectable()
export class AnswerFeedback implements OnModuleDestroy {
  private readonly judgeTemplate?: string;
  private readonly inFlight = new Set<Promise<void>>();
  /** Decides which answers are judged: a draw below JUDGE_SAMPLE. */
  draw: () => number = Math.random;

  constructor(
    @Inject(APP_CONFIG) private readonly config: FeedbackConfig,
    private readonly producer: MessageProducer,
    private readonly providers: ModelProviders,
    private readonly replica: ReplicaService,
    private readonly budget: BudgetCap,
    private readonly metrics: MetricsService,
    private readonly log: PinoLogger,
  ) {
    if (config.JUDGE_MODEL) this.judgeTemplate = readFileSync(config.JUDGE_PROMPT_FILE, 'utf8');
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /** Called once the answers and their decisions are published; returns at once, the work goes on in the background. */
  observe(answers: readonly Partial<Answer>[]): void {
    const answered = answers.filter((a): a is Answer => !!(a.decision && a.query && a.response));
    if (answered.length === 0) return;
    this.track(this.heuristics(answered));
    if (this.judgeTemplate)
      for (const a of answered)
        if (this.draw() < this.config.JUDGE_SAMPLE) this.track(this.judge(a, this.judgeTemplate));
  }

  /** Settles once every background check started so far has published (or failed): for tests and shutdown. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((e) => {
        this.metrics.counter('router_feedback_errors_total', 'Heuristic or judge feedback that failed').inc();
        this.log.warn({ err: (e as Error).message }, 'self-feedback failed');
      })
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async heuristics(answers: Answer[]): Promise<void> {
    if (!this.config.HEURISTIC_FEEDBACK) return;
    const events: FeedbackEvent[] = [];
    for (const a of answers) {
      const v = checkAnswer({
        output: a.response.output,
        finishReason: a.result?.finishReason,
        message: a.result?.message,
      });
      if (!v) continue;
      this.metrics
        .counter('router_heuristic_feedback_total', 'Answers flagged by a heuristic', ['reason'])
        .inc({ reason: v.reason });
      events.push(this.feedbackOf(a, 'heuristic', v.quality));
    }
    if (events.length > 0) await this.producer.sendMany(Topic.Feedback, events);
  }

  private async judge(a: Answer, template: string): Promise<void> {
    const model = this.config.JUDGE_MODEL!;
    const scope = a.query.scope;
    const skipped = (reason: string) =>
      this.metrics.counter('router_judge_skipped_total', 'Sampled answers not judged', ['reason']).inc({ reason });
    const price = this.replica.engines.price(model);
    if (!price) return skipped('unknown_model');
    const messages = judgeMessages(template, a.query.messages.map((m) => m.content).join('\n'), a.response.output);
    const promptText = messages[0].content;
    const worstUsd = Math.max(
      worstCaseCostUsd([price], Buffer.byteLength(promptText, 'utf8'), JUDGE_MAX_TOKENS),
      price.perCallUsd ?? 0,
    );
    const reserved = await this.budget.reserve(scope, undefined, worstUsd);
    if (!reserved.ok) return skipped('budget');
    let costUsd = 0;
    try {
      const call = await this.providers.call(
        price,
        { model, messages, maxTokens: JUDGE_MAX_TOKENS },
        promptText,
        AbortSignal.timeout(this.config.PROVIDER_TIMEOUT_MS),
      );
      costUsd = call.costUsd ?? 0;
      const score = parseJudgeScore(call.result.output);
      if (score === null) return skipped('unparsable');
      this.metrics.counter('router_judge_feedback_total', 'Answers scored by the judge').inc();
      await this.producer.send(Topic.Feedback, this.feedbackOf(a, 'judge', score, costUsd));
    } finally {
      await this.budget.settle(reserved.hold, costUsd);
      this.replica.pacing.billed(scope, 0, costUsd);
      this.metrics
        .counter('router_judge_cost_usd_total', 'What the judge cost, per scope (also in its budget cap)', ['scope'])
        .inc({ scope }, costUsd);
    }
  }

  private feedbackOf(
    a: Answer,
    source: 'heuristic' | 'judge',
    quality: number,
    evaluationCostUsd?: number,
  ): FeedbackEvent {
    return {
      kind: 'score',
      decisionId: a.response.decisionId,
      requestId: a.query.id,
      scope: a.query.scope,
      quality,
      source,
      ...(evaluationCostUsd !== undefined ? { evaluationCostUsd } : {}),
      ts: new Date().toISOString(),
    };
  }
}
