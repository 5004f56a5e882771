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
  ScoreFeedback,
  Topic,
} from '@llm-router/contracts';
import { EngineRegistry, ScopeEngine, WarmStartTemplates } from '@llm-router/engine';
import { QueryFeaturizer } from '@llm-router/features';
import { BatchOf, KafkaService, MessageProducer, TopicConsumer } from '@llm-router/kafka';
import { OffsetStore, PolicyStateEntity } from '@llm-router/persistence';
import { APP_CONFIG, HealthRegistry, MetricsService, policyOptionsFromEnv } from '@llm-router/service';
import { AggregatorConfig } from '../config';
import type { PolicyState } from '@llm-router/bandits';
import { rewardCost } from './reward-cost';
import { ScopePacingOptions, ScopeStats } from './scope-stats';
import { admitScores, genuineReleases, learnPairwise } from '../feedback-selection/feedback-selection';
import { LoggedDecision, RewardRow, SetBasedLedger } from './set-based-ledger';

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
 *
 * Each batch costs a fixed handful of set-based statements (SetBasedLedger), whatever its
 * size. The policy's large state is checkpointed only every CHECKPOINT_EVERY_MS or
 * CHECKPOINT_EVERY_REWARDS (policy_state.state with state_seq, the last reward it holds);
 * the small figures, pacing and version are written with every batch. Loading a scope
 * replays the rewards after state_seq onto the checkpoint, in the order they were applied,
 * which gives the state an uninterrupted run would have (docs/decisions/0018).
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
  /** When each reward learnt since the last flush was decided (ms): how long learning took, once published. */
  private readonly pendingDecidedAt: number[] = [];
  private readonly pacing: ScopePacingOptions;
  /**
   * WARM_START_FILE's rows, fitted once per policy (null: no file): they prime a scope once,
   * when it has no policy_state yet.
   */
  private readonly warmStart: WarmStartTemplates | null;
  /** Per loaded scope: how far its engine has learned, and how far its stored checkpoint. */
  private readonly progress = new Map<string, CheckpointProgress>();
  private readonly ledger = new SetBasedLedger();

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
    this.warmStart = config.WARM_START_FILE
      ? new WarmStartTemplates(parseDataset(readFileSync(config.WARM_START_FILE, 'utf8')))
      : null;
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
    const decidedAt: number[] = [];
    try {
      await this.ds.transaction(async (em) => {
        const tx = { touched, loaded, events, decidedAt };
        const values = batch.messages.map((m) => m.value);
        if (batch.topic === Topic.Decisions) await this.onDecisions(em, values as DecisionEvent[], tx);
        else await this.onFeedbacks(em, values as FeedbackEvent[], tx);
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
    this.pendingDecidedAt.push(...decidedAt);
    this.metrics.counter('aggregator_rewards_applied_total', 'Rewards applied to policy state').inc(events.length);
  }

  /** One batch of routing.decisions: the new ones count their spend and take the feedback waiting for them. */
  private async onDecisions(em: EntityManager, decisions: DecisionEvent[], tx: BatchEffects): Promise<void> {
    const inserted = await this.ledger.insertDecisions(em, decisions);
    if (inserted.length === 0) return;
    for (const d of inserted) {
      const engine = await this.load(em, d.scope, tx.loaded);
      // Spend counts when a decision is answered, rewarded or not, at what the call really cost.
      engine.lambda = this.stats
        .get(d.scope)!
        .onDecision(d.realisedCostUsd ?? d.priceSnapshot[d.arm] ?? 0, Date.parse(d.ts), engine.lambda);
      tx.touched.add(d.scope);
    }
    // Feedback that arrived before its decision waits in pending_feedback.
    const waiting = await this.ledger.takePending(em, inserted);
    await this.reward(
      em,
      inserted.flatMap((d) => {
        const f = waiting.get(d.decisionId);
        return f ? [{ decision: d, feedback: f }] : [];
      }),
      tx,
    );
  }

  /** One batch of feedback.rewards: matched to logged decisions, or parked until the decision comes. */
  private async onFeedbacks(em: EntityManager, received: FeedbackEvent[], tx: BatchEffects): Promise<void> {
    const { batch, forged } = await genuineReleases(em, received, this.config.FEEDBACK_GRACE_S);
    if (forged > 0)
      this.metrics
        .counter(
          'aggregator_feedback_release_forged_total',
          'Feedback marked graceElapsed that names no score the aggregator held: admitted as fresh feedback',
        )
        .inc(forged);
    // Every source is logged; only the one that takes precedence goes on (feedback-selection/).
    const scores: ScoreFeedback[] = [];
    for (const f of batch) {
      if (isPairwise(f)) {
        await learnPairwise(
          em,
          f,
          this.config.FEATURE_DIM,
          (s) => this.loadForLearningOutsideLedger(em, s, tx),
          tx.touched,
        );
        continue;
      }
      // A judge's call is spend whichever score becomes the reward; its release carries no cost.
      if (f.evaluationCostUsd && !f.graceElapsed) {
        const scope = f.scope ?? DEFAULT_SCOPE;
        const engine = await this.load(em, scope, tx.loaded);
        engine.lambda = this.stats.get(scope)!.onEvaluation(f.evaluationCostUsd, Date.parse(f.ts), engine.lambda);
        tx.touched.add(scope);
      }
      scores.push(f);
    }
    const admitted = await admitScores(em, scores, this.config.FEEDBACK_GRACE_S);
    const feedback = scores.filter((_, i) => admitted[i]);
    if (feedback.length === 0) return;
    const decisions = await this.ledger.findDecisions(em, feedback);
    const matched: Candidate[] = [];
    const unmatched: ScoreFeedback[] = [];
    for (const f of feedback) {
      const d = f.decisionId ? decisions.byId.get(f.decisionId) : decisions.byRequest.get(f.requestId!);
      if (d) matched.push({ decision: d, feedback: { quality: f.quality, costUsd: f.costUsd, source: f.source } });
      else unmatched.push(f);
    }
    if (unmatched.length > 0) {
      await this.ledger.park(em, unmatched, this.config.FEEDBACK_TTL_S);
      this.metrics
        .counter('aggregator_feedback_pending_total', 'Feedback received before its decision')
        .inc(unmatched.length);
    }
    const applied = await this.reward(em, matched, tx);
    if (applied < matched.length)
      this.metrics
        .counter('aggregator_feedback_duplicate_total', 'Feedback for an already rewarded decision')
        .inc(matched.length - applied);
  }

  /**
   * Applies each reward once, in log order: the ledger insert decides (its primary key refuses
   * a second reward for a decision), and the policy learns only from the rows it inserted.
   * Returns how many were applied.
   */
  private async reward(em: EntityManager, candidates: Candidate[], tx: BatchEffects): Promise<number> {
    if (candidates.length === 0) return 0;
    let claimsIgnored = 0;
    const rows: RewardRow[] = candidates.map(({ decision: d, feedback: f }) => {
      const { costUsd: cost, claimIgnored } = rewardCost(d, f.costUsd);
      if (claimIgnored) claimsIgnored++;
      return {
        decisionId: d.decisionId,
        scope: d.scope,
        arm: d.arm,
        quality: f.quality,
        costUsd: cost,
        lambda: d.lambda,
        reward: f.quality - d.lambda * cost,
        source: f.source,
      };
    });
    if (claimsIgnored > 0)
      this.metrics
        .counter(
          'aggregator_feedback_cost_ignored_total',
          'Feedback whose costUsd (a bill) was above the bound of its call and was not charged',
        )
        .inc(claimsIgnored);
    // Loaded before the insert: a scope loaded after it would replay this batch's rewards from
    // the ledger and then learn them a second time below.
    for (const scope of new Set(rows.map((r) => r.scope))) await this.load(em, scope, tx.loaded);
    const inserted = await this.ledger.insertRewards(em, rows);
    const decisionOf = new Map(candidates.map((c) => [c.decision.decisionId, c.decision]));
    for (const r of inserted) {
      const d = decisionOf.get(r.decisionId)!;
      this.engines.get(d.scope).learn(d, r.quality, r.costUsd);
      const progress = this.progress.get(d.scope)!;
      progress.learnedSeq = r.seq;
      progress.sinceCheckpoint += 1;
      const st = this.stats.get(d.scope)!;
      st.onReward(d.arm, r.quality, r.costUsd, r.reward);
      tx.events.push(st.event(d.decisionId, d.arm, r.quality, r.costUsd, d.lambda, r.reward));
      tx.decidedAt.push(Date.parse(d.ts));
      tx.touched.add(d.scope);
    }
    await this.ledger.addArmStats(em, inserted);
    return inserted.length;
  }

  /** The scope's engine, loaded from Postgres the first time this instance touches it. */
  private async load(em: EntityManager, scope: string, loaded: Set<string>): Promise<ScopeEngine> {
    loaded.add(scope);
    if (this.engines.has(scope) && this.stats.has(scope)) return this.engines.get(scope);
    const engine = this.engines.get(scope);
    const row = await em.findOne(PolicyStateEntity, { where: { scope } });
    const st = row ? await ScopeStats.load(em, scope, row, this.pacing) : ScopeStats.empty(scope, this.pacing);
    let learnedSeq = row?.stateSeq ?? '0';
    if (row) {
      engine.applySnapshot({ version: row.version, algorithm: row.algorithm, state: row.state, lambda: row.lambda });
      // The checkpoint, then every reward applied after it, in the order it was applied.
      const replayed = await this.ledger.rewardsAfter(em, scope, learnedSeq);
      for (const r of replayed) engine.learn(r.decision, r.quality, r.costUsd);
      if (replayed.length > 0) {
        learnedSeq = replayed[replayed.length - 1].seq;
        this.log.info({ scope, rewards: replayed.length }, 'policy rebuilt from its checkpoint and the reward ledger');
      }
    } else if (this.warmStart && this.warmStart.rows.length > 0) {
      // Primed once: the scope has no stored state yet, and from its first persist on it has.
      this.warmStart.prime(engine);
      this.log.info({ scope, rows: this.warmStart.rows.length }, 'scope warm-started from WARM_START_FILE');
    }
    this.stats.set(scope, st);
    this.persistedVersions.set(scope, row ? row.version : null);
    this.progress.set(scope, {
      learnedSeq,
      checkpointSeq: row?.stateSeq ?? '0',
      checkpointAt: Date.now(),
      sinceCheckpoint: 0,
      outsideLedger: false,
    });
    return engine;
  }

  /**
   * The scope's engine, about to learn from something the reward ledger does not hold (a pairwise
   * preference): a restart could not replay it onto the checkpoint, so this batch writes one.
   */
  private async loadForLearningOutsideLedger(em: EntityManager, scope: string, tx: BatchEffects): Promise<ScopeEngine> {
    const engine = await this.load(em, scope, tx.loaded);
    this.progress.get(scope)!.outsideLedger = true;
    return engine;
  }

  private forget(scope: string): void {
    this.stats.delete(scope);
    this.progress.delete(scope);
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
    const progress = this.progress.get(scope)!;
    engine.version = Math.max(engine.version, expected ?? 0) + 1;
    // The large state only when a checkpoint is due (a new row always has one); null keeps the stored one.
    const checkpoint = expected === null || this.checkpointDue(progress);
    const values = [
      scope,
      engine.policy.algorithm,
      engine.version,
      checkpoint ? JSON.stringify(engine.snapshotState()) : null,
      engine.lambda,
      JSON.stringify(st.pacerState()),
      st.rewardsApplied,
      st.cumulativeReward,
      st.cumulativeCost,
      st.rewardSumSq,
      progress.learnedSeq,
    ];
    // TypeORM answers INSERT ... RETURNING with the rows, UPDATE ... RETURNING with [rows, affected].
    const written: unknown[] =
      expected === null
        ? await em.query(
            `INSERT INTO policy_state (scope, algorithm, version, state, lambda, pacer, rewards_applied, cumulative_reward, cumulative_cost_usd, reward_sum_sq, state_seq, updated_at)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11, now()) ON CONFLICT (scope) DO NOTHING RETURNING scope`,
            values,
          )
        : (
            await em.query(
              `UPDATE policy_state SET algorithm = $2, version = $3, state = coalesce($4, state), lambda = $5, pacer = $6,
               rewards_applied = $7, cumulative_reward = $8, cumulative_cost_usd = $9, reward_sum_sq = $10,
               state_seq = CASE WHEN $4::jsonb IS NULL THEN state_seq ELSE $11 END, updated_at = now()
               WHERE scope = $1 AND version = $12 RETURNING scope`,
              [...values, expected],
            )
          )[0];
    if (written.length === 0) throw new StaleWriterError(scope, expected);
    this.persistedVersions.set(scope, engine.version);
    // In memory only after the write: a rolled-back batch forgets the scope anyway.
    if (checkpoint)
      Object.assign(progress, {
        checkpointSeq: progress.learnedSeq,
        checkpointAt: Date.now(),
        sinceCheckpoint: 0,
        outsideLedger: false,
      });
  }

  private checkpointDue(p: CheckpointProgress): boolean {
    if (p.outsideLedger) return true;
    if (p.learnedSeq === p.checkpointSeq) return false;
    return (
      Date.now() - p.checkpointAt >= this.config.CHECKPOINT_EVERY_MS ||
      p.sinceCheckpoint >= this.config.CHECKPOINT_EVERY_REWARDS
    );
  }

  /** Publishes the latest snapshot of every changed scope (compacted: replicas only need the last) and the reward stream. */
  async flush(): Promise<void> {
    const events = this.pendingEvents.splice(0);
    const decidedAt = this.pendingDecidedAt.splice(0);
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
        ...st.snapshotPacing(Date.now()),
        rewardsApplied: st.rewardsApplied,
        ts: new Date().toISOString(),
      });
    }
    this.observeLearningDelay(decidedAt);
  }

  /**
   * From each decision to the published snapshot that has learnt its reward: the user's feedback
   * delay, the batching and the debounce together. Routers add their own part
   * (replica_snapshot_apply_delay_seconds); a policy that decides on rewards this old explores
   * as the replay's --feedback-delay does.
   */
  private observeLearningDelay(decidedAt: readonly number[]): void {
    if (decidedAt.length === 0) return;
    const delay = this.learningDelaySummary();
    const now = Date.now();
    for (const t of decidedAt) if (Number.isFinite(t)) delay.observe(Math.max(0, now - t) / 1000);
  }

  private learningDelaySummary() {
    return this.metrics.summary(
      'aggregator_reward_publish_delay_seconds',
      'From a decision to the publication of the policy snapshot that has learnt its reward',
    );
  }

  /** This instance's learning delay over the summary's window (/stats, the dashboard); null before its first reward. */
  async learningDelay(): Promise<{ p50Ms: number; p99Ms: number; rewards: number } | null> {
    const { values } = await this.learningDelaySummary().get();
    const rewards = values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    const ms = (q: number) => (values.find((v) => !v.metricName && v.labels.quantile === q)?.value ?? NaN) * 1000;
    const p50Ms = ms(0.5);
    const p99Ms = ms(0.99);
    return rewards > 0 && Number.isFinite(p50Ms) && Number.isFinite(p99Ms) ? { p50Ms, p99Ms, rewards } : null;
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
        ...st.snapshotPacing(Date.now()),
        rewardsApplied: row.rewardsApplied,
        ts: new Date().toISOString(),
      };
    });
    this.dirty.delete(scope);
    await this.producer.send(Topic.PolicyUpdates, snapshot);
    return snapshot;
  }
}

interface CheckpointProgress {
  /** The last rewards.seq learned into the engine in memory. */
  learnedSeq: string;
  /** The last rewards.seq in the stored state (policy_state.state_seq). */
  checkpointSeq: string;
  checkpointAt: number;
  sinceCheckpoint: number;
  /** Learned something the ledger cannot replay (a pairwise preference): the next write is a checkpoint. */
  outsideLedger: boolean;
}

/** A reward about to be offered to the ledger: the decision it rewards and the feedback. */
interface Candidate {
  decision: LoggedDecision;
  feedback: { quality: number; costUsd?: number; source: string };
}

/** What one batch's transaction has done so far, for its commit (or its rollback). */
interface BatchEffects {
  /** Scopes whose state changed: persisted at the end of the transaction. */
  touched: Set<string>;
  /** Scopes read into memory: forgotten if the transaction fails. */
  loaded: Set<string>;
  events: RewardEvent[];
  /** When each reward's decision was made (ms since the epoch). */
  decidedAt: number[];
}
