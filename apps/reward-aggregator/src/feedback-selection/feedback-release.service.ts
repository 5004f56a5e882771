import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { Topic } from '@llm-router/contracts';
import { MessageProducer } from '@llm-router/kafka';
import { APP_CONFIG, MetricsService } from '@llm-router/service';
import { AggregatorConfig } from '../config';
import { chooseHeld, DueFeedback } from './feedback-selection';

/** Held scores looked at per run: a backlog drains over several runs. */
const RELEASE_BATCH = 500;

/**
 * Releases held judge and heuristic scores once FEEDBACK_GRACE_S has passed since their
 * decision: the best one per decision is re-published on feedback.rewards (graceElapsed) and
 * the scope's owner applies it in its batch transaction, like any feedback. So only the
 * ledger's Kafka-driven transaction ever changes a policy, and a crash cannot lose or double
 * a reward: rows are marked in the same transaction that publishes (publish first, commit
 * after); a crash between the two re-publishes, and the rewards key refuses the second.
 * Rows are locked with SKIP LOCKED, so several aggregators share the job without doubling it.
 */
@Injectable()
export class FeedbackReleaseService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AggregatorConfig,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly producer: MessageProducer,
    private readonly metrics: MetricsService,
    private readonly log: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.releaseDue()
        .catch((e) => this.log.error({ err: (e as Error).message }, 'feedback release failed'))
        .finally(() => (this.running = undefined));
    }, this.config.FEEDBACK_RELEASE_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One run: releases or supersedes what is due, expires what never met its decision. Returns the scores released. */
  async releaseDue(): Promise<number> {
    return this.ds.transaction(async (em) => {
      const due: DueFeedback[] = await em.query(
        `SELECT fl.id, fl.source, fl.quality, fl.cost_usd, d.decision_id, d.scope
         FROM feedback_log fl
         JOIN decisions d ON d.decision_id = COALESCE(fl.decision_id,
           (SELECT x.decision_id FROM decisions x WHERE x.request_id = fl.request_id ORDER BY x.decided_at LIMIT 1))
         WHERE fl.state = 'held' AND d.decided_at < now() - make_interval(secs => $1)
         ORDER BY fl.id LIMIT $2 FOR UPDATE OF fl SKIP LOCKED`,
        [this.config.FEEDBACK_GRACE_S, RELEASE_BATCH],
      );
      const byDecision = new Map<string, DueFeedback[]>();
      for (const f of due) byDecision.set(f.decision_id, [...(byDecision.get(f.decision_id) ?? []), f]);
      const rewarded = new Set(
        (
          (await em.query(`SELECT decision_id FROM rewards WHERE decision_id = ANY($1)`, [[...byDecision.keys()]])) as {
            decision_id: string;
          }[]
        ).map((r) => r.decision_id),
      );
      const released = [...byDecision].filter(([id]) => !rewarded.has(id)).map(([, held]) => chooseHeld(held));
      if (released.length > 0)
        await this.producer.sendMany(
          Topic.Feedback,
          released.map((f) => ({
            decisionId: f.decision_id,
            scope: f.scope,
            quality: f.quality,
            costUsd: f.cost_usd ?? undefined,
            source: f.source,
            graceElapsed: true as const,
            ts: new Date().toISOString(),
          })),
        );
      const releasedIds = released.map((f) => f.id);
      await em.query(`UPDATE feedback_log SET state = 'released' WHERE id = ANY($1::bigint[])`, [releasedIds]);
      await em.query(
        `UPDATE feedback_log SET state = 'superseded' WHERE id = ANY($1::bigint[]) AND NOT (id = ANY($2::bigint[]))`,
        [due.map((f) => f.id), releasedIds],
      );
      const [expired]: [unknown[], number] = await em.query(
        `UPDATE feedback_log fl SET state = 'expired' WHERE state = 'held' AND received_at < now() - make_interval(secs => $1)
         AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.decision_id = fl.decision_id OR d.request_id = fl.request_id)
         RETURNING id`,
        [this.config.FEEDBACK_TTL_S],
      );
      this.metrics
        .counter('aggregator_feedback_released_total', 'Held judge/heuristic scores applied after FEEDBACK_GRACE_S')
        .inc(released.length);
      this.metrics
        .counter('aggregator_feedback_superseded_total', 'Held scores not used: another source was applied')
        .inc(due.length - released.length);
      this.metrics
        .counter('aggregator_feedback_held_expired_total', 'Held scores whose decision never arrived')
        .inc(expired.length);
      return released.length;
    });
  }
}
