import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import {
  MIX_SAMPLE_MAX,
  promptKind,
  type SingleProbeCall,
  explorationHead,
  explorationSize,
  strideSample,
} from '@llm-router/batch';
import { Rng } from '@llm-router/numerics';
import { BillTotals } from '@llm-router/pricing';
import { BatchAssignmentEvent, BatchRound, QueryRequest, Topic } from '@llm-router/contracts';
import { decisionIdFor } from '@llm-router/engine';
import { MessageProducer } from '@llm-router/kafka';
import { ReplicaService } from '@llm-router/replica';
import { APP_CONFIG, HealthRegistry, MetricsService } from '@llm-router/service';
import { PlannerConfig } from '../config';
import { Window, WindowBuffer } from '../windows/window-buffer';
import { FeedbackWait } from './feedback-wait';
import { PendingQueries } from './pending-queries.service';
import { PeriodBooks, PeriodBooksReader } from './period-books.service';
import { ResidualCorrection } from './residual-correction.service';
import { SpendStore } from './spend-store';
import { DispatchedPart, WindowAssignment, WindowDispatch } from './window-dispatch';
import { RoutedMix } from './routed-mix';
import { WindowResiduals } from './window-residuals';
import {
  billingError,
  ContextualQueries,
  KindCostInput,
  windowProbe,
  windowProbeTopUp,
  type ProbeInput,
  periodKey,
  planWindowDispatch,
  queryText,
  reconciledSpend,
  offersUnknownModel,
  NO_QUERIES,
  WindowEngine,
  windowContexts,
} from './window-problem';

/** What /health tells about the last window assigned. */
export interface LastWindow {
  batchId: string;
  scope: string;
  at: string;
  queries: number;
  deferred: number;
  /**
   * Which round of its window this was: the whole `window`, its `exploration` sub-round (the
   * queries at its head, planned and learnt from first), or the `rest` planned after it.
   */
  round: WindowRound;
  /** Parts the round was sent in (WindowDispatch), the bills of each awaited before the next. */
  parts: number;
  solver: string;
  objectiveKind: string;
  objective: number;
  bound: number | null;
  gapPct: number | null;
  solveMs: number;
  feasible: boolean;
  expectedCostUsd: number;
  budgetUsd: number | null;
  /** Quality points a dollar was worth in this window (0: the budget was only a cap). */
  dualPrice: number;
  /** Realised minus expected cost of this period's rewarded batch decisions when the window was planned. */
  billingErrorUsd: number;
  /** Rewards the scope's policy had learned from (fleet-wide) when the window was planned. */
  rewardsLearned: number;
  /** Per model: its recent mean residual over every kind of prompt, shrunk (null: BATCH_RECENT_CORRECTION off). */
  residualCorrection: Record<string, number> | null;
  warnings: string[];
}

/**
 * Holds batch-mode queries in windows and assigns each window at once as one optimisation
 * (libs/core/batch) under the window's share of the budget, then hands every query to the router
 * path (llm.queries with the assigned model) so that answers, decisions and rewards flow
 * exactly like per-query traffic.
 *
 * Durability: a query is written to batch_pending before enqueue() returns, so the transport
 * commits its batch.requests offset only once it is durable; its row is deleted after its
 * window has been dispatched to llm.queries, and at start the rows left are reloaded (oldest
 * first) into the windows. A crash between the dispatch and the delete dispatches those
 * queries again after the restart (at least once). That is accepted: the router derives the
 * decision id from (scope, request id), so the re-sent query logs the same decision id and the
 * aggregator's ledger (rewards keyed by decision id) counts it once. What is repeated is the
 * model call and the window's expected bill in spend_ledger (counted twice: conservative), as
 * for a window retried after a failure. With several planner instances on one database, each
 * reloads every row at start, so queries held by a live instance may be dispatched twice too.
 * A window still waiting for the first prices when the planner stops is not planned: its rows
 * stay, and the next start plans them.
 */
@Injectable()
export class PlannerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly buffer: WindowBuffer;
  private timer?: NodeJS.Timeout;
  private windowsClosed = 0;
  private windowsFailed = 0;
  private last: LastWindow | null = null;
  /** The reload of batch_pending, started by whichever comes first: bootstrap or the first query. */
  private restoring?: Promise<void>;
  /** Ledger totals per scope as of the last window, for /health without a database round trip. */
  private readonly spentByScope = new Map<string, { period: string; spentUsd: number; queries: number }>();
  /**
   * The latest queries dispatched per scope in the current period (RoutedMix, at most
   * ROUTED_MIX_MAX): the planner's picture of the mix, from which it sets the dual price of the dollar.
   */
  private readonly routedByScope = new Map<string, RoutedMix>();
  /** Per scope: the reward count at which the policy has learned from the last window dispatched. */
  private readonly feedback = new FeedbackWait();
  /** The warm-start file's prompts as queries, the forecast of every period's mix (built at first use). */
  private forecast?: ContextualQueries;
  /**
   * Windows are solved one after another: two windows of a scope solved at once would both
   * read the same budget left and together overspend it.
   */
  private chain: Promise<void> = Promise.resolve();
  /** Aborted as the planner stops, which awaits the chain: a window waiting for prices must not hold it. */
  private readonly stopping = new AbortController();
  /** Posterior draws for the policies that sample (AssignWindowOptions.draws), seeded by POLICY_SEED. */
  private readonly draws: Rng;

  constructor(
    @Inject(APP_CONFIG) private readonly config: PlannerConfig,
    private readonly replica: ReplicaService,
    private readonly producer: MessageProducer,
    private readonly spend: SpendStore,
    private readonly pending: PendingQueries,
    private readonly log: PinoLogger,
    private readonly metrics: MetricsService,
    health: HealthRegistry,
    private readonly residuals: ResidualCorrection,
    private readonly books: PeriodBooksReader,
  ) {
    this.buffer = new WindowBuffer(config.BATCH_WINDOW_SIZE, config.BATCH_WINDOW_MS);
    this.draws = new Rng(config.POLICY_SEED);
    health.register('windows', () => ({
      ok: true,
      open: this.buffer.summary(),
      closed: this.windowsClosed,
      failed: this.windowsFailed,
      ...this.pending.summary(),
      last: this.last,
      budget: this.budgetLeft(Date.now()),
    }));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.ready();
    this.timer = setInterval(() => {
      for (const w of this.buffer.due(Date.now())) void this.schedule(w);
    }, 100);
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopping.abort();
    await this.chain;
  }

  /** Resolves once the handler may return: the query is in batch_pending (and in a window). */
  async enqueue(q: QueryRequest): Promise<void> {
    await this.pending.persist(q);
    // The Kafka transport starts consuming before the bootstrap hooks run: reload first, so
    // that older pending queries stay ahead of this one.
    await this.ready();
    if (!this.pending.hold(q)) return;
    const w = this.buffer.add(q, Date.now());
    if (w) await this.schedule(w);
  }

  private ready(): Promise<void> {
    this.restoring ??= this.restore();
    return this.restoring;
  }

  /**
   * Puts the queries a previous process left in batch_pending back into windows, oldest first;
   * a window reopens at its oldest query's receipt, so one that has waited long enough closes
   * at the next tick.
   */
  private async restore(): Promise<void> {
    for (const { query, receivedAt } of await this.pending.reload()) {
      const w = this.buffer.add(query, receivedAt.getTime());
      // Not awaited: the solve waits for the replica, which may need the app to finish starting.
      if (w) void this.schedule(w);
    }
  }

  /** Every scope's engine featurises alike (one featurizer per registry), so one engine's contexts serve all. */
  private forecastFor(engine: WindowEngine): ContextualQueries {
    this.forecast ??= windowContexts(
      engine,
      strideSample(this.replica.warmStartPrompts(), MIX_SAMPLE_MAX).map((content, i) => ({
        id: `forecast-${i}`,
        scope: 'forecast',
        messages: [{ role: 'user' as const, content }],
        constraints: { mode: 'batch' as const },
      })),
    );
    return this.forecast;
  }

  /**
   * Waits, at most BATCH_FEEDBACK_WAIT_MS, until the scope's policy has learned from as many
   * rewards as the last window dispatched (`FeedbackWait`). The replay plans each window on a
   * policy that has learned from every earlier one; live, at a backlog, windows closed faster than
   * rewards came back were planned on a policy and bills many windows old (docs/decisions/0035,
   * 0037). Other traffic's rewards count towards the mark too: they teach the same policy.
   * Returns the time waited.
   */
  private async awaitFeedback(scope: string): Promise<number> {
    const started = Date.now();
    const outcome = await this.feedback.wait(scope, (mark) => this.replica.rewardsAppliedReaching(scope, mark), {
      waitMs: this.config.BATCH_FEEDBACK_WAIT_MS,
      pollMs: FEEDBACK_POLL_MS,
      signal: this.stopping.signal,
    });
    const waitedMs = Date.now() - started;
    if (outcome === 'none') return waitedMs;
    this.metrics
      .histogram('planner_feedback_wait_seconds', "Time a window waited for the previous window's rewards", ['outcome'])
      .observe({ outcome }, waitedMs / 1000);
    return waitedMs;
  }

  /**
   * Queries of a window's exploration sub-round (BATCH_EXPLORE, read as the batch replay reads
   * --explore, for the window's first query). None when windows do not wait for feedback: the
   * rest would be planned without what the sub-round taught, and the sub-round would only have
   * split the window.
   */
  private exploreSize(w: Window): number {
    const c = this.config;
    if (c.BATCH_FEEDBACK_WAIT_MS === 0) return 0;
    return explorationSize(
      this.residuals.on(),
      c.BATCH_EXPLORE,
      () => w.queries.length > 0 && offersUnknownModel(this.replica.engines.get(w.scope), w.queries[0]),
    );
  }

  /** Budget left per scope in the current period, as the ledger stood after this planner's last window. */
  budgetLeft(now: number): {
    periodBudgetUsd: number | null;
    period: string;
    scopes: Record<string, { spentUsd: number; leftUsd: number | null }>;
  } {
    const c = this.config;
    const key = periodKey(c.BATCH_BUDGET_PERIOD, now);
    // fromEntries defines own keys: a scope named __proto__ is listed, not taken as the prototype.
    const scopes = Object.fromEntries(
      [...this.spentByScope].map(([scope, s]) => {
        const spentUsd = s.period === key ? s.spentUsd : 0;
        const leftUsd = c.BATCH_BUDGET_USD == null ? null : Math.max(0, c.BATCH_BUDGET_USD - spentUsd);
        return [scope, { spentUsd, leftUsd }];
      }),
    );
    return { periodBudgetUsd: c.BATCH_BUDGET_USD ?? null, period: key, scopes };
  }

  /** close() never rejects, so one failed window does not break the chain. */
  private schedule(w: Window): Promise<void> {
    this.chain = this.chain.then(() => this.close(w));
    return this.chain;
  }

  private async close(w: Window): Promise<void> {
    const stage: WindowStage = { dispatched: new Set() };
    try {
      if (!(await this.replica.waitForModelsOrStop(this.stopping.signal))) {
        // Nothing was billed or sent, and the rows are what the next start plans (the buffer
        // goes with this process): neither a failed window nor one to requeue.
        this.log.info({ scope: w.scope, queries: w.queries.length }, 'planner stopping: window left in batch_pending');
        return;
      }
      await this.assign(w, stage);
      this.windowsClosed += 1;
    } catch (e) {
      this.windowsFailed += 1;
      this.metrics.counter('planner_window_failures_total', 'Batch windows that failed to be assigned').inc();
      // At least once: the queries of a window whose dispatch did not complete are planned again
      // (the router's decision ids are derived from the request id, so a re-sent query is still
      // counted once); those of its parts already sent are answered as planned.
      const left = w.queries.filter((q) => !stage.dispatched.has(q.id));
      if (left.length > 0) await this.planAgainOrRoute(left, e as Error);
      this.log.error(
        { scope: w.scope, queries: w.queries.length, requeued: left.length, err: (e as Error).message },
        'window assignment failed',
      );
    }
  }

  /**
   * Queries of a window that could not be planned go back to the buffer, and those whose windows
   * failed BATCH_WINDOW_ATTEMPTS times are routed one by one instead (llm.queries, mode `query`):
   * whatever keeps failing, a window planned again forever would never be answered, and its
   * queries would hold up every window of their scope behind them.
   */
  private async planAgainOrRoute(qs: readonly QueryRequest[], err: Error): Promise<void> {
    const again: QueryRequest[] = [];
    const route: QueryRequest[] = [];
    for (const q of qs) {
      (this.pending.failed(q) >= this.config.BATCH_WINDOW_ATTEMPTS ? route : again).push(q);
    }
    if (again.length > 0) this.buffer.requeue(again, Date.now());
    if (route.length === 0) return;
    try {
      await this.producer.sendMany(
        Topic.Queries,
        route.map((q) => ({ ...q, constraints: { ...q.constraints, mode: 'query' as const } })),
      );
    } catch (e) {
      // Not sent either: they stay held, and a later window tries them again.
      this.buffer.requeue(route, Date.now());
      this.log.error({ queries: route.length, err: (e as Error).message }, 'could not route failed batch queries');
      return;
    }
    this.metrics
      .counter('planner_routed_per_query_total', 'Batch queries routed one by one after their windows kept failing')
      .inc(route.length);
    this.log.warn(
      { queries: route.length, attempts: this.config.BATCH_WINDOW_ATTEMPTS, err: err.message },
      'batch queries whose windows kept failing are routed one by one',
    );
    await this.pending.release(route);
  }

  /**
   * Waits, at most BATCH_BILL_WAIT_MS, for the bills of a part just sent (the router's realised
   * costs, or the rewards' costs), and gives them to the dispatch check before the next part goes.
   * Bills still out are counted at their expected cost. Returns the time waited.
   */
  private async awaitBills(
    scope: string,
    dispatch: WindowDispatch,
    part: readonly WindowAssignment[],
  ): Promise<number> {
    const started = Date.now();
    const out = new Map(part.map((a) => [decisionIdFor(scope, a.query.id), a.index]));
    const waitMs = this.config.BATCH_BILL_WAIT_MS;
    for (;;) {
      for (const [id, usd] of await this.spend.realised([...out.keys()])) {
        dispatch.bill(out.get(id)!, usd);
        out.delete(id);
      }
      if (out.size === 0 || Date.now() - started >= waitMs || this.stopping.signal.aborted) break;
      await new Promise((r) => setTimeout(r, BILL_POLL_MS));
    }
    const waited = Date.now() - started;
    this.metrics
      .histogram('planner_bill_wait_seconds', "Time a window's part waited for the bills of the part before", [
        'outcome',
      ])
      .observe({ outcome: out.size === 0 ? 'billed' : 'timeout' }, waited / 1000);
    return waited;
  }

  /**
   * Assigns a window as the batch replay does: its exploration sub-round first (sent, and its
   * rewards awaited by the rest's feedback wait), then the rest, each planned on what the policy
   * and the bills know by then.
   */
  private async assign(w: Window, stage: WindowStage): Promise<void> {
    // The sub-round is sized on what the policy knows once the windows before are learnt from,
    // as the replay sizes it.
    const feedbackWaitMs = await this.awaitFeedback(w.scope);
    const head = explorationHead(w.queries.length, this.exploreSize(w));
    if (head === 0) {
      const { probe, read } = await this.probeOf(w);
      // The window planned whole, or its probe sent: on the books and bills the probe's choice has
      // just read (a superset of the probe's own kinds).
      if (!probe) return this.assignRound(w, stage, 'window', feedbackWaitMs, undefined, read);
      const taken = new Set(probe.rows);
      await this.assignRound(
        { ...w, queries: probe.rows.map((i) => w.queries[i]) },
        stage,
        'probe',
        feedbackWaitMs,
        probe.models,
        read,
      );
      let rest = w.queries.filter((_, i) => !taken.has(i));
      // Its second stage: the models it called once, priced now by their bills.
      const topUp = await this.probeTopUpOf({ ...w, queries: rest }, probe.single);
      if (topUp) {
        const more = new Set(topUp.rows);
        await this.assignRound(
          { ...w, queries: topUp.rows.map((i) => rest[i]) },
          stage,
          'top-up',
          topUp.waitedMs,
          topUp.models,
          topUp.read,
        );
        rest = rest.filter((_, i) => !more.has(i));
      }
      return this.assignRound({ ...w, queries: rest }, stage, 'rest');
    }
    await this.assignRound({ ...w, queries: w.queries.slice(0, head) }, stage, 'exploration', feedbackWaitMs);
    await this.assignRound({ ...w, queries: w.queries.slice(head) }, stage, 'rest');
  }

  /**
   * The probe of a window (`windowProbe`): its kinds of prompt no earlier prompt has shown, sent to
   * the models worth a call and learnt from before the rest is planned, as the batch replay does;
   * `probe` null when there is none, or when the window could not learn from it (no feedback wait, BATCH_EXPLORE
   * 0, no budget, the period's last window). `read`: the period's books and bills it read for the
   * whole window, which the window without a probe, or its probe, is planned on.
   */
  private async probeOf(
    w: Window,
  ): Promise<{ probe: { rows: number[]; models: string[]; single: SingleProbeCall[] } | null; read?: RoundBooks }> {
    const c = this.config;
    if (!c.BATCH_KIND_COSTS || c.BATCH_FEEDBACK_WAIT_MS === 0 || c.BATCH_EXPLORE === 0) return { probe: null };
    const engine = this.replica.engines.get(w.scope);
    const read = await this.roundBooks(w, engine);
    const b = read.books.state.budget;
    if (!b || b.expectedQueries - b.routedQueries - w.queries.length <= 0) return { probe: null, read };
    const probe = windowProbe(w.queries, engine, this.probeInput(read, b.perQueryUsd));
    if (probe.rows.length === 0) return { probe: null, read };
    const models = engine.arms();
    return { probe: { rows: probe.rows, models: probe.arms.map((j) => models[j]), single: probe.single }, read };
  }

  /**
   * The second stage of a window's probe (`windowProbeTopUp`) on the rest of its window, `w`, once
   * the first stage's rewards and bills are in (its feedback wait, `waitedMs`), with the books it
   * read (`read`, which the stage is planned on): null when the first stage called no model once,
   * or the bills price every such model out.
   */
  private async probeTopUpOf(
    w: Window,
    single: readonly SingleProbeCall[],
  ): Promise<{ rows: number[]; models: string[]; waitedMs: number; read: RoundBooks } | null> {
    if (single.length === 0 || w.queries.length === 0) return null;
    const waitedMs = await this.awaitFeedback(w.scope);
    const engine = this.replica.engines.get(w.scope);
    const read = await this.roundBooks(w, engine);
    const b = read.books.state.budget;
    if (!b) return null;
    // A bill still out after the feedback wait leaves the model's price a guess: no second call.
    const topUp = windowProbeTopUp(w.queries, engine, this.probeInput(read, b.perQueryUsd), single);
    if (topUp.rows.length === 0) return null;
    const models = engine.arms();
    return { rows: topUp.rows, models: topUp.arms.map((j) => models[j]), waitedMs, read };
  }

  /** The period's books and the bills per kind of prompt of `w`'s queries, read now for one round. */
  private async roundBooks(w: Window, engine: WindowEngine): Promise<RoundBooks> {
    const books = await this.books.read(w.scope, w.queries.length, Date.now());
    return { books, kindCosts: await this.kindCosts(w.scope, engine, books, w.queries) };
  }

  /** What either stage of a window's probe is priced on, from the period's books read for it. */
  private probeInput({ books, kindCosts }: RoundBooks, perQueryUsd: number): ProbeInput {
    return {
      priceOf: (m) => this.replica.engines.price(m),
      level: this.config.BATCH_CONFIDENCE,
      costLevel: books.costLevelOf,
      kindCosts,
      perQueryUsd,
      billed: books.hasBill,
    };
  }

  /**
   * The period's bills per kind of prompt for the window's prompts and those its dual price is set
   * on (routed mix, forecast): what BATCH_KIND_COSTS prices them on.
   */
  private async kindCosts(
    scope: string,
    engine: WindowEngine,
    books: { period: string; recent: KindCostInput['recent'] },
    queries: readonly QueryRequest[],
  ): Promise<KindCostInput> {
    const routed = this.routedByScope.get(scope);
    return this.books.kindCosts(scope, books, [
      ...queries.map((q) => promptKind(queryText(q))),
      ...(routed?.period === books.period ? routed.promptKinds : []),
      ...this.forecastFor(engine).promptKinds,
    ]);
  }

  /**
   * Plans and sends one round; `waitedMs`: the feedback wait already done for it, else it waits
   * here; `given`: the model of each query (a probe), else the round is planned; `read`: the
   * period's books and bills already read for this round (`probeOf`), else it reads them.
   */
  private async assignRound(
    w: Window,
    stage: WindowStage,
    round: WindowRound,
    waitedMs?: number,
    given?: readonly string[],
    read?: RoundBooks,
  ): Promise<void> {
    const c = this.config;
    const feedbackWaitMs = waitedMs ?? (await this.awaitFeedback(w.scope));
    const rewardsLearned = this.replica.rewardsApplied(w.scope);
    const residuals = await this.residuals.forRound(w.scope, round);
    const engine = this.replica.engines.get(w.scope);
    const now = Date.now();
    const { period, billed, state, recent, costLevelOf, hasBill } =
      read?.books ?? (await this.books.read(w.scope, w.queries.length, now));
    const billingErrorUsd = billingError(billed);
    this.metrics
      .gauge('planner_billing_error_usd', 'Realised minus expected cost of the rewarded batch decisions this period', [
        'scope',
      ])
      .set({ scope: w.scope }, billingErrorUsd);
    const routed = this.routedByScope.get(w.scope);
    const models = engine.arms();
    // A model added or removed since the probe was chosen: the round is planned instead.
    const givenArms =
      given && given.every((m) => models.includes(m)) ? Int32Array.from(given, (m) => models.indexOf(m)) : undefined;
    const objectiveKind = c.BATCH_ROBUST ? 'lcb' : 'mean';
    const dispatch = await planWindowDispatch(w.queries, engine, {
      priceOf: (m) => this.replica.engines.price(m),
      level: c.BATCH_CONFIDENCE,
      costLevel: costLevelOf,
      budget: state.budget,
      routed: routed?.period === period ? routed : NO_QUERIES,
      forecast: this.forecastFor(engine),
      robust: c.BATCH_ROBUST,
      solver: c.BATCH_SOLVER,
      timeLimitMs: c.BATCH_TIME_LIMIT_MS,
      billed: hasBill,
      billedCalls: (m) => recent[m]?.calls ?? 0,
      maxParts: c.BATCH_DISPATCH_PARTS,
      residuals: residuals?.residuals,
      explore: round === 'exploration',
      draws: this.draws,
      kindCosts: c.BATCH_KIND_COSTS
        ? (read?.kindCosts ?? (await this.kindCosts(w.scope, engine, { period, recent }, w.queries)))
        : undefined,
      given: givenArms,
    });
    const { plan } = dispatch;
    const { solution } = plan;
    const budgetUsd = plan.windowBudgetUsd;
    const suffix = round === 'exploration' ? '-explore' : round === 'probe' || round === 'top-up' ? '-probe' : '';
    const seq = this.windowsClosed + this.windowsFailed + 1;
    const batchId = `batch-${w.scope}-${now.toString(36)}-${seq}${suffix}`;
    const warnings = [...plan.warnings];
    if (budgetUsd === null) warnings.push('no BATCH_BUDGET_USD: the budget does not bind');

    const rewardsBefore = this.replica.rewardsApplied(w.scope);
    const sending: WindowSending = {
      scope: w.scope,
      period,
      batchId,
      window: { seq, round },
      billed,
      dispatch,
      warnings,
      stage,
      residuals,
    };
    const deferred: QueryRequest[] = [];
    let expectedCostUsd = 0;
    let assigned = 0;
    let spentAfter = 0;
    let billWaitMs = 0;
    let sent: WindowAssignment[] = [];
    for (let index = 0; !dispatch.done; index++) {
      if (sent.length > 0) {
        billWaitMs += await this.awaitBills(w.scope, dispatch, sent);
        this.log.debug({ batchId, part: index - 1, checkSpentUsd: dispatch.spentUsd }, 'window part billed');
      }
      const part = dispatch.dispatchNext();
      sent = part.assignments;
      deferred.push(...part.deferred);
      expectedCostUsd += part.expectedCostUsd;
      assigned += sent.length;
      if (sent.length === 0) continue;
      spentAfter = await this.sendPart(sending, part, index, rewardsBefore + assigned);
      // With the bills of the parts before, what a trace of a window's spend against its budget needs.
      this.log.debug(
        {
          batchId,
          part: index,
          of: dispatch.parts,
          calls: sent.length,
          expectedUsd: part.expectedCostUsd,
          checkSpentUsd: dispatch.spentUsd,
          periodSpentUsd: spentAfter,
        },
        'window part sent',
      );
    }
    if (deferred.length > 0) this.buffer.requeue(deferred, Date.now());
    if (residuals) await this.residuals.save(w.scope, residuals);

    this.recordAssigned(
      {
        batchId,
        scope: w.scope,
        at: new Date(now).toISOString(),
        queries: w.queries.length,
        deferred: deferred.length,
        round,
        parts: dispatch.parts,
        solver: solution.solver,
        objectiveKind,
        objective: solution.objective,
        bound: solution.bound,
        gapPct: solution.gapPct,
        solveMs: solution.ms,
        feasible: solution.feasible,
        expectedCostUsd,
        budgetUsd,
        dualPrice: plan.dualPrice,
        billingErrorUsd,
        rewardsLearned,
        residualCorrection: residuals
          ? Object.fromEntries(dispatch.models.map((m) => [m, residuals.residuals.correction(m)]))
          : null,
        warnings,
      },
      spentAfter,
      { feedbackWaitMs, billWaitMs },
    );
  }

  /**
   * Sends one part of a window: its expected bill goes to the ledger, its assignments to
   * batch.assignments and its queries to llm.queries, then its batch_pending rows go. Returns
   * the period's spend after it, reconciled with the bills. `feedbackMark`: the fleet's reward
   * count at which the policy has learned from the window's parts sent so far, this one included.
   */
  private async sendPart(
    sending: WindowSending,
    part: DispatchedPart,
    index: number,
    feedbackMark: number,
  ): Promise<number> {
    const { scope, period, batchId, window, billed, dispatch, warnings, stage, residuals } = sending;
    const { solution, windowBudgetUsd: budgetUsd } = dispatch.plan;
    const sent = part.assignments;
    const bills = sent.map((a) => ({
      decisionId: decisionIdFor(scope, a.query.id),
      model: a.model,
      expectedUsd: a.expectedUsd,
      baseUsd: a.baseUsd,
      kind: a.promptKind,
    }));
    const after = await this.spend.add(scope, period, part.expectedCostUsd, sent.length, bills);
    const spentAfter = reconciledSpend(after.spentUsd, billed);
    this.spentByScope.set(scope, { period, queries: after.queries, spentUsd: spentAfter });

    await this.producer.send(Topic.BatchAssignments, {
      batchId,
      scope,
      window,
      ...(dispatch.parts > 1 && { part: { index, of: dispatch.parts } }),
      // The router derives the same id from (scope, request id), so it names the decision it will log.
      assignments: bills.map((b, i) => ({ requestId: sent[i].query.id, model: b.model, decisionId: b.decisionId })),
      objective: solution.objective,
      bound: solution.bound,
      solver: solution.solver,
      solveMs: solution.ms,
      budgetUsd,
      warnings,
      ts: new Date().toISOString(),
    });
    // Dispatch through the router path: an explicit model, so the router logs and answers it.
    await this.producer.sendMany(
      Topic.Queries,
      sent.map((a) => ({
        ...a.query,
        batchId,
        constraints: { ...a.query.constraints, mode: 'batch' as const, model: a.model },
      })),
    );
    for (const [i, a] of sent.entries()) {
      stage.dispatched.add(a.query.id);
      residuals?.dispatched(bills[i].decisionId, a.model, a.estimate, a.kind);
    }
    residuals?.residuals.count(sent.map((a) => queryText(a.query)));
    this.feedback.dispatched(scope, feedbackMark);
    let mix = this.routedByScope.get(scope);
    if (mix?.period !== period) this.routedByScope.set(scope, (mix = new RoutedMix(period)));
    mix.add(
      this.replica.engines.get(scope),
      sent.map((a) => a.query),
    );
    // Only now: a crash before this point leaves the rows, and the queries are planned again.
    await this.pending.release(sent.map((a) => a.query));
    return spentAfter;
  }

  /** A window assigned: it becomes /health's last window, and goes to the metrics and the log. */
  private recordAssigned(
    last: LastWindow,
    spentAfter: number,
    waits: { feedbackWaitMs: number; billWaitMs: number },
  ): void {
    const periodBudgetUsd = this.config.BATCH_BUDGET_USD;
    this.last = last;
    this.metrics
      .counter('planner_windows_total', 'Batch windows assigned, each round of one counted', ['solver', 'round'])
      .inc({ solver: last.solver, round: last.round });
    this.metrics
      .histogram(
        'planner_solve_seconds',
        'Time the batch solver took per window',
        ['solver'],
        [0.001, 0.01, 0.05, 0.25, 1, 5],
      )
      .observe({ solver: last.solver }, last.solveMs / 1000);
    this.metrics
      .counter('planner_deferred_total', 'Queries deferred to a later window for lack of capacity')
      .inc(last.deferred);
    if (periodBudgetUsd != null) {
      this.metrics
        .gauge('planner_budget_left_usd', 'Batch budget left in the current period', ['scope'])
        .set({ scope: last.scope }, Math.max(0, periodBudgetUsd - spentAfter));
    }
    this.log.info(
      {
        batchId: last.batchId,
        scope: last.scope,
        queries: last.queries,
        deferred: last.deferred,
        round: last.round,
        parts: last.parts,
        solver: last.solver,
        objective: last.objective,
        gapPct: last.gapPct,
        costUsd: last.expectedCostUsd,
        ...waits,
        budgetUsd: last.budgetUsd,
        dualPrice: last.dualPrice,
        rewardsLearned: last.rewardsLearned,
        residualCorrection: last.residualCorrection,
        ms: last.solveMs,
      },
      'window assigned',
    );
  }
}

/**
 * A window planned whole, or its exploration sub-round, or its probe of new kinds of prompt
 * (`windowProbe`), or the rest of it after either (the `window.round` of its assignment events).
 */
export type WindowRound = BatchRound;

/** A round's books and, with BATCH_KIND_COSTS, its bills per kind of prompt, read once (`probeOf`). */
interface RoundBooks {
  books: PeriodBooks;
  kindCosts: KindCostInput;
}

/** Request ids of a window's queries already sent to llm.queries (one scope per window). */
interface WindowStage {
  dispatched: Set<string>;
}

/** A window being sent: what each of its parts goes with (PlannerService.sendPart). */
interface WindowSending {
  scope: string;
  period: string;
  batchId: string;
  window: NonNullable<BatchAssignmentEvent['window']>;
  /** This period's bills per model, which the ledger's spend is reconciled with. */
  billed: Readonly<Record<string, BillTotals>>;
  dispatch: WindowDispatch;
  /** The plan's warnings and the planner's own. */
  warnings: string[];
  stage: WindowStage;
  /** The scope's residual correction, which learns from the calls sent (undefined: off). */
  residuals?: WindowResiduals;
}

/** How often a window waiting for feedback looks at the policy replica. */
const FEEDBACK_POLL_MS = 25;
/** How often a part waiting for its bills asks the database. */
const BILL_POLL_MS = 50;
