import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { DataSource, EntityManager } from 'typeorm';
import { readFileSync } from 'node:fs';
import {
  DecisionEvent,
  DEFAULT_SCOPE,
  FeedbackEvent,
  isPairwise,
  parseDataset,
  RewardEvent,
  Topic,
} from '@llm-router/contracts';
import { EngineRegistry, ScopeEngine, warmStartEngine, WarmStartRow } from '@llm-router/engine';
import { QueryFeaturizer } from '@llm-router/features';
import { BatchOf, KafkaService, MessageProducer, TopicConsumer } from '@llm-router/kafka';
import { DecisionEntity, OffsetStore, PolicyStateEntity } from '@llm-router/persistence';
import { APP_CONFIG, HealthRegistry, MetricsService, policyOptionsFromEnv } from '@llm-router/service';
import { AggregatorConfig } from '../config';
import type { PolicyState } from '@llm-router/bandits';
import { ScopePacingOptions, ScopeStats } from './scope-stats';
import { admitScore, learnPairwise } from '../feedback-selection/feedback-selection';

/**
 * policy_state moved on since this instance loaded it: another aggregator owned the scope in
 * between (a rebalance). Transient: the batch is tried again after the scope is reloaded.
 */
export class StaleWriterError extends Error {
  readonly transient = true;
  constructor(
    readonly scope: string,
    readonly expectedVersion: number | null,
  ) {
    super(`policy_state of ${scope} is no longer at version ${expectedVersion ?? '(none)'}: reloading`);
    this.name = 'StaleWriterError';
  }
}

/**
 * The single writer of policy state. Decisions and feedback of a scope share a partition
 * index (both keyed by scope, co-partitioned assignment), so exactly one instance owns a
 * scope. Each Kafka batch takes effect in ONE Postgres transaction together with its
 * offsets: after a crash the consumer resumes from the stored offsets, and the reward
 * ledger's primary key (decision id) refuses a second reward for the same decision.
 *
 * A scope can move away and come back (rebalance): its policy_state row is written only if
 * it is still at the version this instance loaded, so a stale copy in memory is refused,
 * dropped and reloaded instead of overwriting another instance's work.
 */
@Injectable()
export class LedgerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly engines: EngineRegistry;
  private readonly stats = new Map<string, ScopeStats>();
  /** Version of each loaded scope's policy_state row as this instance last read or wrote it (null: no row). */
  private readonly persistedVersions = new Map<string, number | null>();
  private consumer?: TopicConsumer;
  private readonly dirty = new Set<string>();
  private flushTimer?: NodeJS.Timeout;
  private expiryTimer?: NodeJS.Timeout;
  private readonly pendingEvents: RewardEvent[] = [];
  private readonly pacing: ScopePacingOptions;
  /** WARM_START_FILE's rows: they prime a scope once, when it has no policy_state yet. */
  private readonly warmRows: WarmStartRow[];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AggregatorConfig,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly kafka: KafkaService,
    private readonly producer: MessageProducer,
    private readonly log: PinoLogger,
    private readonly metrics: MetricsService,
    health: HealthRegistry,
  ) {
    this.engines = new EngineRegistry(policyOptionsFromEnv(config), new QueryFeaturizer({ dim: config.FEATURE_DIM }));
    this.pacing = {
      perQueryUsd: config.BUDGET_PER_QUERY_USD ?? null,
      periodBudgetUsd: config.BUDGET_USD ?? null,
      period: config.BUDGET_PERIOD,
      expectedQueriesPerDay: config.EXPECTED_QUERIES_PER_DAY,
      payback: config.PACER_PAYBACK_QUERIES,
    };
    this.warmRows = config.WARM_START_FILE ? parseDataset(readFileSync(config.WARM_START_FILE, 'utf8')) : [];
    health.register('ledger', () => ({ ok: this.consumer?.hasJoined ?? false, scopes: this.engines.scopes() }));
    health.register('database', async () => {
      await this.ds.query('SELECT 1');
      return { ok: true };
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = this.kafka.consumer({
      groupId: this.config.AGGREGATOR_GROUP_ID,
      topics: [Topic.Decisions, Topic.Feedback],
      fromBeginning: true,
      coPartitioned: true,
    });
    await this.consumer.runTransactional(
      () => OffsetStore.load(this.ds.manager, this.config.AGGREGATOR_GROUP_ID),
      (batch) => this.applyBatch(batch),
    );
    this.flushTimer = setInterval(
      () => void this.flush().catch((e) => this.log.error({ err: e.message }, 'flush failed')),
      this.config.SNAPSHOT_DEBOUNCE_MS,
    );
    this.expiryTimer = setInterval(
      () => void this.expireFeedback().catch((e) => this.log.error({ err: e.message }, 'expiry failed')),
      5000,
    );
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.expiryTimer);
    await this.flush().catch(() => undefined);
  }

  /** Figures for /stats and the dashboard. */
  scopeStats(): Record<string, ReturnType<ScopeStats['summary']>> {
    return Object.fromEntries([...this.stats].map(([s, st]) => [s, st.summary()]));
  }

  engine(scope: string): ScopeEngine | undefined {
    return this.engines.has(scope) ? this.engines.get(scope) : undefined;
  }

  async applyBatch(batch: BatchOf): Promise<void> {
    const touched = new Set<string>();
    const loaded = new Set<string>();
    const events: RewardEvent[] = [];
    try {
      await this.ds.transaction(async (em) => {
        for (const m of batch.messages) {
          if (m.topic === Topic.Decisions)
            await this.onDecision(em, m.value as DecisionEvent, { touched, loaded, events });
          else await this.onFeedback(em, m.value as FeedbackEvent, { touched, loaded, events });
        }
        for (const scope of touched) await this.persistScope(em, scope);
        await OffsetStore.save(em, this.config.AGGREGATOR_GROUP_ID, batch.topic, batch.partition, batch.nextOffset);
      });
    } catch (e) {
      // The transaction rolled back: in-memory state of every scope it used may be ahead of
      // the database (a policy may have learned before a later statement failed), or behind
      // it (a stale writer), so drop it and reload from Postgres on next use.
      for (const s of loaded) this.forget(s);
      if (e instanceof StaleWriterError) {
        this.metrics
          .counter('aggregator_stale_writes_total', 'Batches refused because policy_state moved on (scope reloaded)')
          .inc();
        this.log.warn({ scope: e.scope, expected: e.expectedVersion }, 'stale policy state refused, reloading');
      }
      throw e;
    }
    for (const s of touched) this.dirty.add(s);
    this.pendingEvents.push(...events);
    this.metrics.counter('aggregator_rewards_applied_total', 'Rewards applied to policy state').inc(events.length);
  }

  private async onDecision(em: EntityManager, d: DecisionEvent, tx: BatchEffects): Promise<void> {
    const inserted = await em.query(
      `INSERT INTO decisions (decision_id, request_id, scope, policy, policy_version, arm, propensity, scores, features, price_snapshot, lambda, mode, batch_id, decided_at,
         text_features, realised_cost_usd, usage, fallback_from)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18) ON CONFLICT (decision_id) DO NOTHING RETURNING decision_id`,
      [
        d.decisionId,
        d.requestId,
        d.scope,
        d.policy,
        d.policyVersion,
        d.arm,
        d.propensity,
        d.scores,
        d.features ?? null,
        d.priceSnapshot,
        d.lambda,
        d.mode,
        d.batchId ?? null,
        d.ts,
        d.textFeatures ?? null,
        d.realisedCostUsd ?? null,
        d.usage ?? null,
        d.fallbackFrom ?? null,
      ],
    );
    if (inserted.length === 0) return;
    const engine = await this.load(em, d.scope, tx.loaded);
    const st = this.stats.get(d.scope)!;
    // Spend counts when a decision is answered, rewarded or not, at what the call really cost.
    engine.lambda = st.onDecision(d.realisedCostUsd ?? d.priceSnapshot[d.arm] ?? 0, Date.parse(d.ts), engine.lambda);
    tx.touched.add(d.scope);
    // Feedback that arrived before its decision waits in pending_feedback.
    // TypeORM answers DELETE ... RETURNING with [rows, affected].
    const [pending] = await em.query(
      `DELETE FROM pending_feedback WHERE match_key = ANY($1) RETURNING quality, cost_usd, source`,
      [[`d:${d.decisionId}`, `r:${d.requestId}`]],
    );
    if (pending.length > 0) {
      const p = pending[0];
      await this.reward(em, d, { quality: p.quality, costUsd: p.cost_usd ?? undefined, source: p.source }, tx);
    }
  }

  private async onFeedback(em: EntityManager, f: FeedbackEvent, tx: BatchEffects): Promise<void> {
    // Every source is logged; only the one that takes precedence goes on (feedback-selection/).
    if (isPairwise(f))
      return learnPairwise(em, f, this.config.FEATURE_DIM, (s) => this.load(em, s, tx.loaded), tx.touched);
    // A judge's call is spend whichever score becomes the reward; its release carries no cost.
    if (f.evaluationCostUsd && !f.graceElapsed) {
      const scope = f.scope ?? DEFAULT_SCOPE;
      const engine = await this.load(em, scope, tx.loaded);
      engine.lambda = this.stats.get(scope)!.onEvaluation(f.evaluationCostUsd, Date.parse(f.ts), engine.lambda);
      tx.touched.add(scope);
    }
    if (!(await admitScore(em, f, this.config.FEEDBACK_GRACE_S))) return;
    const rows: DecisionEntity[] = f.decisionId
      ? await em.find(DecisionEntity, { where: { decisionId: f.decisionId } })
      : await em.find(DecisionEntity, { where: { requestId: f.requestId! }, order: { decidedAt: 'ASC' }, take: 1 });
    if (rows.length === 0) {
      const key = f.decisionId ? `d:${f.decisionId}` : `r:${f.requestId}`;
      await em.query(
        `INSERT INTO pending_feedback (match_key, scope, quality, cost_usd, source, expires_at)
         VALUES ($1,$2,$3,$4,$5, now() + make_interval(secs => $6)) ON CONFLICT (match_key) DO NOTHING`,
        [key, f.scope ?? null, f.quality, f.costUsd ?? null, f.source, this.config.FEEDBACK_TTL_S],
      );
      this.metrics.counter('aggregator_feedback_pending_total', 'Feedback received before its decision').inc();
      return;
    }
    const d = rows[0];
    const applied = await this.reward(em, toEvent(d), { quality: f.quality, costUsd: f.costUsd, source: f.source }, tx);
    if (applied) tx.touched.add(d.scope);
    else this.metrics.counter('aggregator_feedback_duplicate_total', 'Feedback for an already rewarded decision').inc();
  }

  /** Applies one reward once: the ledger insert decides, the policy learns only if it succeeded. */
  private async reward(
    em: EntityManager,
    d: LoggedDecision,
    f: { quality: number; costUsd?: number; source: string },
    tx: BatchEffects,
  ): Promise<boolean> {
    const engine = await this.load(em, d.scope, tx.loaded);
    const cost = f.costUsd ?? d.realisedCostUsd ?? d.priceSnapshot[d.arm] ?? 0;
    const reward = f.quality - d.lambda * cost;
    const inserted = await em.query(
      `INSERT INTO rewards (decision_id, scope, arm, quality, cost_usd, lambda, reward, source, applied_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8, now()) ON CONFLICT (decision_id) DO NOTHING RETURNING decision_id`,
      [d.decisionId, d.scope, d.arm, f.quality, cost, d.lambda, reward, f.source],
    );
    if (inserted.length === 0) return false;
    engine.learn(d, f.quality, cost);
    await em.query(
      `INSERT INTO arm_stats (scope, arm, pulls, sum_quality, sum_cost, sum_reward) VALUES ($1,$2,1,$3,$4,$5)
       ON CONFLICT (scope, arm) DO UPDATE SET pulls = arm_stats.pulls + 1, sum_quality = arm_stats.sum_quality + $3,
       sum_cost = arm_stats.sum_cost + $4, sum_reward = arm_stats.sum_reward + $5`,
      [d.scope, d.arm, f.quality, cost, reward],
    );
    const st = this.stats.get(d.scope)!;
    st.onReward(d.arm, f.quality, cost, reward);
    tx.events.push(st.event(d.decisionId, d.arm, f.quality, cost, d.lambda, reward));
    return true;
  }

  /** The scope's engine, loaded from Postgres the first time this instance touches it. */
  private async load(em: EntityManager, scope: string, loaded: Set<string>): Promise<ScopeEngine> {
    loaded.add(scope);
    if (this.engines.has(scope) && this.stats.has(scope)) return this.engines.get(scope);
    const engine = this.engines.get(scope);
    const row = await em.findOne(PolicyStateEntity, { where: { scope } });
    const st = row ? await ScopeStats.load(em, scope, row, this.pacing) : ScopeStats.empty(scope, this.pacing);
    if (row)
      engine.applySnapshot({ version: row.version, algorithm: row.algorithm, state: row.state, lambda: row.lambda });
    else if (this.warmRows.length > 0) {
      // Primed once: the scope has no stored state yet, and from its first persist on it has.
      warmStartEngine(engine, this.warmRows);
      this.log.info({ scope, rows: this.warmRows.length }, 'scope warm-started from WARM_START_FILE');
    }
    this.stats.set(scope, st);
    this.persistedVersions.set(scope, row ? row.version : null);
    return engine;
  }

  private forget(scope: string): void {
    this.stats.delete(scope);
    this.persistedVersions.delete(scope);
    this.engines.drop(scope);
  }

  /**
   * Writes the scope's state only over the version this instance loaded (or last wrote): if
   * another aggregator wrote the scope meanwhile, nothing is written and StaleWriterError
   * rolls the batch back.
   */
  private async persistScope(em: EntityManager, scope: string): Promise<void> {
    const engine = this.engines.get(scope);
    const st = this.stats.get(scope)!;
    const expected = this.persistedVersions.get(scope) ?? null;
    engine.version = Math.max(engine.version, expected ?? 0) + 1;
    const values = [
      scope,
      engine.policy.algorithm,
      engine.version,
      JSON.stringify(engine.snapshotState()),
      engine.lambda,
      JSON.stringify(st.pacerState()),
      st.rewardsApplied,
      st.cumulativeReward,
      st.cumulativeCost,
      st.rewardSumSq,
    ];
    // TypeORM answers INSERT ... RETURNING with the rows, UPDATE ... RETURNING with [rows, affected].
    const written: unknown[] =
      expected === null
        ? await em.query(
            `INSERT INTO policy_state (scope, algorithm, version, state, lambda, pacer, rewards_applied, cumulative_reward, cumulative_cost_usd, reward_sum_sq, updated_at)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10, now()) ON CONFLICT (scope) DO NOTHING RETURNING scope`,
            values,
          )
        : (
            await em.query(
              `UPDATE policy_state SET algorithm = $2, version = $3, state = $4, lambda = $5, pacer = $6, rewards_applied = $7,
               cumulative_reward = $8, cumulative_cost_usd = $9, reward_sum_sq = $10, updated_at = now()
               WHERE scope = $1 AND version = $11 RETURNING scope`,
              [...values, expected],
            )
          )[0];
    if (written.length === 0) throw new StaleWriterError(scope, expected);
    this.persistedVersions.set(scope, engine.version);
  }

  /** Publishes the latest snapshot of every changed scope (compacted: replicas only need the last) and the reward stream. */
  async flush(): Promise<void> {
    const events = this.pendingEvents.splice(0);
    if (events.length > 0) await this.producer.sendMany(Topic.RewardStream, events);
    const scopes = [...this.dirty];
    this.dirty.clear();
    for (const scope of scopes) {
      const engine = this.engines.get(scope);
      const st = this.stats.get(scope);
      if (!st) continue;
      await this.producer.send(Topic.PolicyUpdates, {
        scope,
        version: engine.version,
        algorithm: engine.policy.algorithm,
        state: engine.snapshotState(),
        lambda: engine.lambda,
        pacer: st.pacerState(),
        budgetPerQueryUsd: st.budgetPerQueryUsd(Date.now()),
        rewardsApplied: st.rewardsApplied,
        ts: new Date().toISOString(),
      });
    }
  }

  /** Feedback that never met its decision is dropped after the TTL, and counted. */
  async expireFeedback(): Promise<number> {
    const [rows]: [{ scope: string | null }[], number] = await this.ds.query(
      `DELETE FROM pending_feedback WHERE expires_at < now() RETURNING scope`,
    );
    if (rows.length > 0) {
      this.metrics
        .counter('aggregator_feedback_expired_total', 'Feedback dropped after FEEDBACK_TTL_S without its decision')
        .inc(rows.length);
      this.log.warn({ expired: rows.length }, 'unmatched feedback expired');
    }
    return rows.length;
  }

  /**
   * Replaces a scope's policy (the admin switch, docs/decisions/0016): writes `state` as the
   * next version of policy_state with the row locked, runs `record` in the same transaction,
   * and publishes the snapshot so that routers adopt it. Any aggregator's in-memory copy of the
   * scope (this one's included) is now behind the stored version: its next write is refused as
   * stale and the scope reloaded with the new policy (StaleWriterError), and this instance's
   * not yet published older snapshot is dropped so that it cannot follow this one.
   */
  async replaceScopePolicy(
    scope: string,
    state: PolicyState,
    record: (em: EntityManager, version: number) => Promise<void>,
  ): Promise<{ version: number; algorithm: string }> {
    const snapshot = await this.ds.transaction(async (em) => {
      const row = await em.findOne(PolicyStateEntity, { where: { scope }, lock: { mode: 'pessimistic_write' } });
      if (!row) throw new Error(`scope ${scope} has no policy state to replace`);
      const version = row.version + 1;
      await em.query(
        `UPDATE policy_state SET algorithm = $2, version = $3, state = $4, updated_at = now() WHERE scope = $1`,
        [scope, state.algorithm, version, JSON.stringify(state)],
      );
      await record(em, version);
      const st = this.stats.get(scope) ?? (await ScopeStats.load(em, scope, row, this.pacing));
      return {
        scope,
        version,
        algorithm: state.algorithm,
        state,
        lambda: row.lambda,
        pacer: st.pacerState(),
        budgetPerQueryUsd: st.budgetPerQueryUsd(Date.now()),
        rewardsApplied: row.rewardsApplied,
        ts: new Date().toISOString(),
      };
    });
    this.dirty.delete(scope);
    await this.producer.send(Topic.PolicyUpdates, snapshot);
    return snapshot;
  }
}

/** What learning needs of a logged decision: the context it decided on, its prices and its bill. */
type LoggedDecision = Pick<
  DecisionEvent,
  'decisionId' | 'scope' | 'arm' | 'features' | 'textFeatures' | 'priceSnapshot' | 'lambda' | 'realisedCostUsd'
>;

function toEvent(d: DecisionEntity): LoggedDecision {
  return {
    decisionId: d.decisionId,
    scope: d.scope,
    arm: d.arm,
    features: d.features ?? undefined,
    textFeatures: d.textFeatures ?? undefined,
    priceSnapshot: d.priceSnapshot,
    lambda: d.lambda,
    realisedCostUsd: d.realisedCostUsd ?? undefined,
  };
}

/** What one batch's transaction has done so far, for its commit (or its rollback). */
interface BatchEffects {
  /** Scopes whose state changed: persisted at the end of the transaction. */
  touched: Set<string>;
  /** Scopes read into memory: forgotten if the transaction fails. */
  loaded: Set<string>;
  events: RewardEvent[];
}
