import { Inject, Injectable, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { policyFromState, PolicyState } from '@llm-router/bandits';
// Registers 'preference' by name, so snapshots of that policy can be read here too.
import '@llm-router/preference';
import { ParetoFrontierEvent, PriceEvent, Topic } from '@llm-router/contracts';
import { MessageProducer } from '@llm-router/kafka';
import { FrontierTracker, ParetoPoint } from '@llm-router/pareto';
import { CostModel } from '@llm-router/pricing';
import { MetricsService } from '@llm-router/service';
import { PriceBookChange, PriceBookService } from '../price-book/price-book.service';

/** The part of a policy snapshot the frontier needs. */
export interface PolicyView {
  scope: string;
  version: number;
  algorithm: string;
  state: unknown;
}

/** Quality estimate per model of one policy snapshot; null when the snapshot cannot be read. */
export type QualityEstimator = (snapshot: PolicyView) => Map<string, number> | null;

/** Latest stored policy of every scope, to start with estimates instead of waiting for the next update. */
export interface PolicySource {
  latest(): Promise<PolicyView[]>;
}

export const QUALITY_ESTIMATOR = Symbol('QUALITY_ESTIMATOR');
export const POLICY_SOURCE = Symbol('POLICY_SOURCE');
export const FRONTIER_OPTIONS = Symbol('FRONTIER_OPTIONS');

export interface FrontierOptions {
  /** Size of the nominal call the cost axis is priced at (FRONTIER_TOKENS_PER_CALL, 1,000 by default). */
  tokensPerCall: number;
}

/**
 * The frontier's cost axis: USD of one nominal call of `tokensPerCall` tokens at the model's
 * blended list price, blended = (input + 3 x output) / 4 per million tokens (the router's
 * CostModel.blended: chat answers are mostly output), so cost = blended x tokens / 1e6,
 * times the scenario costFactor when one is set. A nominal size, not a learned one, because
 * the frontier compares models against each other and must move only when a price moves;
 * each router still prices its own decisions with the tokens it observed. Self-hosted models
 * are placed at their constant configured price.
 */
export function costPerCall(
  p: Pick<PriceEvent, 'model' | 'inputPerM' | 'outputPerM' | 'costFactor'>,
  tokensPerCall: number,
): number {
  return (CostModel.blended(p) * (p.costFactor ?? 1) * tokensPerCall) / 1e6;
}

/**
 * Mean quality of every arm the policy has observed, from its own estimate() with an empty
 * context (for contextual policies: the estimate at the zero feature vector). Arms without
 * observations are left out: their "mean" is a prior or an optimism bonus, not a quality.
 * Null when the algorithm is unknown or the state does not load.
 */
export const policyQualities: QualityEstimator = (snapshot) => {
  let policy;
  try {
    policy = policyFromState(snapshot.state as PolicyState);
  } catch {
    return null;
  }
  const out = new Map<string, number>();
  for (const arm of policy.arms()) {
    try {
      const e = policy.estimate({}, arm);
      if (Number.isFinite(e.mean) && e.n > 0) out.set(arm, e.mean);
    } catch {
      // This arm gets no estimate; the others still do.
    }
  }
  return out;
};

interface ScopeState {
  version: number;
  qualities: Map<string, number>;
  tracker: FrontierTracker;
  last?: ParetoFrontierEvent;
  /** The last publication failed: publish the next recomputation even if the tracker saw no change. */
  unpublished: boolean;
}

type Log = Pick<PinoLogger, 'info' | 'warn' | 'error' | 'debug'>;
type Publisher = Pick<MessageProducer, 'send'>;

/**
 * pareto.frontier per scope: quality from the scope's latest policy snapshot, cost from the
 * current prices. Recomputed on every price change and every policy update, published only
 * when FrontierTracker says it changed (the topic is compacted; each message should mean
 * something). A scope exists here once a policy snapshot gave it estimates: before that
 * there is no quality axis, and a made-up neutral quality would rank models by price alone.
 */
@Injectable()
export class FrontierService implements OnApplicationBootstrap {
  private readonly scopes = new Map<string, ScopeState>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly prices: PriceBookService,
    @Inject(MessageProducer) private readonly producer: Publisher,
    @Inject(PinoLogger) private readonly log: Log,
    private readonly metrics: MetricsService,
    @Inject(FRONTIER_OPTIONS) private readonly opts: FrontierOptions,
    @Inject(QUALITY_ESTIMATOR) private readonly estimate: QualityEstimator,
    @Optional() @Inject(POLICY_SOURCE) private readonly policies?: PolicySource,
  ) {
    prices.onChange((c) => this.onPrices(c).then(() => undefined));
  }

  async onApplicationBootstrap(): Promise<void> {
    let stored: PolicyView[] = [];
    try {
      stored = (await this.policies?.latest()) ?? [];
    } catch (e) {
      this.log.warn(
        { err: (e as Error).message },
        'could not read the stored policies; frontiers wait for policy.updates',
      );
    }
    for (const s of stored) {
      // policy.updates may have delivered this scope already; Kafka's snapshot is never older than the row.
      if ((this.scopes.get(s.scope)?.version ?? -1) >= s.version) continue;
      await this.onPolicySnapshot(s, 'stored policy at start');
    }
    if (this.scopes.size === 0) {
      this.log.info(
        "no quality estimates yet: no pareto.frontier is published until policy.updates brings a scope's estimates",
      );
    }
  }

  /** A policy snapshot of one scope: its estimates replace the scope's previous ones. */
  onPolicySnapshot(s: PolicyView, why = `policy update v${s.version}`): Promise<ParetoFrontierEvent | null> {
    return this.exclusive(async () => {
      const state = this.scope(s.scope);
      let qualities = this.estimate(s);
      if (qualities === null) {
        this.log.warn(
          { scope: s.scope, algorithm: s.algorithm, version: s.version },
          'cannot estimate qualities from this policy (unknown algorithm or unreadable state): the scope has no estimates',
        );
        qualities = new Map();
      }
      state.qualities = qualities;
      state.version = s.version;
      return this.recompute(s.scope, state, why);
    });
  }

  /** Prices changed: every scope with estimates is recomputed. */
  onPrices(change: PriceBookChange): Promise<ParetoFrontierEvent[]> {
    return this.exclusive(async () => {
      if (this.scopes.size === 0) {
        this.log.debug(
          { models: change.models },
          'price change: no scope has quality estimates yet, no frontier to recompute',
        );
        return [];
      }
      const out: ParetoFrontierEvent[] = [];
      for (const [scope, state] of this.scopes) {
        const e = await this.recompute(scope, state, change.reason);
        if (e) out.push(e);
      }
      return out;
    });
  }

  /** The frontier last computed for each scope (published or not). */
  frontiers(): {
    scope: string;
    policyVersion: number;
    estimates: Record<string, number>;
    frontier: ParetoFrontierEvent | null;
  }[] {
    return [...this.scopes].map(([scope, s]) => ({
      scope,
      policyVersion: s.version,
      estimates: Object.fromEntries(s.qualities),
      frontier: s.last ?? null,
    }));
  }

  private scope(scope: string): ScopeState {
    let s = this.scopes.get(scope);
    if (!s)
      this.scopes.set(
        scope,
        (s = { version: -1, qualities: new Map(), tracker: new FrontierTracker(), unpublished: false }),
      );
    return s;
  }

  private async recompute(scope: string, state: ScopeState, reason: string): Promise<ParetoFrontierEvent | null> {
    const points = new Map<string, { quality: number; cost: number }>();
    for (const p of this.prices.current()) {
      const q = state.qualities.get(p.model);
      if (q !== undefined) points.set(p.model, { quality: q, cost: costPerCall(p, this.opts.tokensPerCall) });
    }
    let changed = false;
    for (const prev of state.tracker.points()) {
      if (!points.has(prev.id)) changed = state.tracker.removeModel(prev.id).changed || changed;
    }
    const u = state.tracker.setMany([...points].map(([id, v]) => ({ id, ...v })));
    changed = u.changed || changed;
    const toPoint = (p: ParetoPoint) => ({ model: p.id, quality: p.quality, costUsd: p.cost });
    const event: ParetoFrontierEvent = {
      scope,
      frontier: u.frontier.map(toPoint),
      dominated: u.dominated.map(toPoint),
      reason,
      ts: new Date().toISOString(),
    };
    state.last = event;
    if (!changed && !state.unpublished) {
      this.log.debug({ scope, reason }, 'frontier unchanged, not published');
      return null;
    }
    try {
      await this.producer.send(Topic.ParetoFrontier, event);
      state.unpublished = false;
    } catch (e) {
      state.unpublished = true;
      this.log.error(
        { scope, err: (e as Error).message },
        'publishing the frontier failed; the next recomputation publishes it',
      );
      return null;
    }
    this.metrics
      .counter('pareto_frontier_published_total', 'pareto.frontier publications, by scope', ['scope'])
      .inc({ scope });
    this.log.info(
      { scope, reason, frontier: event.frontier.map((p) => p.model), dominated: event.dominated.map((p) => p.model) },
      'frontier published',
    );
    return event;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
