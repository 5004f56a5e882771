import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { ModelEvent, PriceEvent, Topic } from '@llm-router/contracts';
import { MessageProducer } from '@llm-router/kafka';
import { APP_CONFIG, MetricsService } from '@llm-router/service';
import type { PriceWatcherConfig, SelfHostedModel } from '../config';
import { CatalogEntry, PRICE_STORE, PriceHistoryRow, PriceStore } from './price-store';
import { CALL_FIELDS, checkPrice, PriceProposal, RejectReason, samePrice, SourceKind } from './validation';

export type ProposalOutcome =
  | { status: 'accepted'; model: string; price: PriceEvent; catalog?: ModelEvent['action'] }
  | { status: 'unchanged'; model: string; price: PriceEvent }
  | { status: 'rejected'; model: string; reason: RejectReason; message: string }
  /** Validated, but publishing or storing failed: nothing changed, the next attempt retries it. */
  | { status: 'failed'; model: string; message: string };

export interface ProposeOptions {
  /** Accept a jump beyond MAX_PRICE_JUMP (admin API only). */
  confirm?: boolean;
  /** Recorded as the PriceEvent's source, e.g. "file:/etc/prices.json" (defaults to the kind). */
  label?: string;
  /** Admin POST /admin/models: brings back a removed model and sets its endpoint. */
  addModel?: { endpoint?: string };
  /** Revert: the proposal is a whole earlier price, so a costFactor it lacks is cleared rather than kept from the price in force. */
  whole?: boolean;
}

/** What changed, for the frontier: it recomputes every scope once per change set. */
export interface PriceBookChange {
  models: string[];
  reason: string;
}

type Log = Pick<PinoLogger, 'info' | 'warn' | 'error' | 'debug'>;

export interface PriceBookOptions {
  maxJump: number;
  selfHosted: SelfHostedModel[];
}

/** The producer methods the price book needs. */
export type PricePublisher = Pick<MessageProducer, 'send'>;

/**
 * The single place where prices change. Every source (file, URL, admin, config) proposes
 * prices here; a proposal is validated, compared with the price in force, and only a real
 * change is published and recorded. Changes are applied one at a time, so two sources
 * can never interleave a check with another's write.
 */
@Injectable()
export class PriceBookService implements OnModuleInit {
  private readonly prices = new Map<string, PriceEvent>();
  private readonly catalog = new Map<string, CatalogEntry>();
  private readonly pinned: Map<string, SelfHostedModel>;
  private readonly opts: PriceBookOptions;
  private readonly listeners: ((c: PriceBookChange) => Promise<void>)[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private loaded = false;
  private lastChangeAt: string | null = null;

  constructor(
    @Inject(PRICE_STORE) private readonly store: PriceStore,
    @Inject(MessageProducer) private readonly producer: PricePublisher,
    @Inject(PinoLogger) private readonly log: Log,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) config: Pick<PriceWatcherConfig, 'MAX_PRICE_JUMP' | 'selfHosted'>,
  ) {
    this.opts = { maxJump: config.MAX_PRICE_JUMP, selfHosted: config.selfHosted };
    this.pinned = new Map(config.selfHosted.map((s) => [s.model, s]));
  }

  /** Prices in force before any source is read, so a restart republishes nothing that did not change. */
  async onModuleInit(): Promise<void> {
    const { prices, catalog } = await this.store.load();
    for (const c of catalog) this.catalog.set(c.model, c);
    for (const p of prices) if (this.catalog.get(p.model)?.status !== 'removed') this.prices.set(p.model, p);
    this.loaded = true;
    this.log.info(
      { models: this.prices.size, removed: [...this.catalog.values()].filter((c) => c.status === 'removed').length },
      'current prices loaded from Postgres',
    );
    if (this.pinned.size > 0) {
      // The configuration is deliberate: a changed self-hosted price is taken without confirmation.
      const out = await this.proposeMany(
        'config',
        [...this.pinned.values()].map((s) => ({
          model: s.model,
          inputPerM: s.inputPerM,
          outputPerM: s.outputPerM,
          selfHosted: true,
          concurrency: s.concurrency,
        })),
        { confirm: true, label: 'config:SELF_HOSTED_MODELS' },
      );
      // Nothing retries a configuration later, so a failed publication must stop the start.
      const failed = out.filter((o) => o.status === 'failed');
      if (failed.length > 0)
        throw new Error(
          `self-hosted models could not be published: ${failed.map((o) => (o as { message: string }).message).join('; ')}`,
        );
    }
  }

  onChange(listener: (c: PriceBookChange) => Promise<void>): void {
    this.listeners.push(listener);
  }

  /** Current prices, by model id. */
  current(): PriceEvent[] {
    return [...this.prices.values()].sort((a, b) => (a.model < b.model ? -1 : 1));
  }

  price(model: string): PriceEvent | undefined {
    return this.prices.get(model);
  }

  catalogEntry(model: string): CatalogEntry | undefined {
    return this.catalog.get(model);
  }

  status(): { loaded: boolean; models: number; selfHosted: string[]; lastChangeAt: string | null } {
    return {
      loaded: this.loaded,
      models: this.prices.size,
      selfHosted: [...this.pinned.keys()],
      lastChangeAt: this.lastChangeAt,
    };
  }

  history(model: string, limit = 100): Promise<PriceHistoryRow[]> {
    return this.store.history(model, limit);
  }

  propose(kind: SourceKind, proposal: PriceProposal, opts: ProposeOptions = {}): Promise<ProposalOutcome> {
    return this.proposeMany(kind, [proposal], opts).then((r) => r[0]);
  }

  /** Several prices of one source (a file, a poll) as one change set: one frontier recomputation. */
  proposeMany(kind: SourceKind, proposals: PriceProposal[], opts: ProposeOptions = {}): Promise<ProposalOutcome[]> {
    return this.exclusive(async () => {
      const out: ProposalOutcome[] = [];
      for (const p of proposals) out.push(await this.apply(kind, p, opts));
      const changed = out.filter((o) => o.status === 'accepted').map((o) => o.model);
      if (changed.length > 0)
        await this.notify({ models: changed, reason: `price change (${opts.label ?? kind}): ${changed.join(', ')}` });
      return out;
    });
  }

  /**
   * Removes a model: model.catalog `removed`, the row in `models` marked removed, and automatic
   * sources ignore it from now on. False when the model is unknown or already removed.
   */
  removeModel(model: string): Promise<boolean> {
    return this.exclusive(async () => {
      const entry = this.catalog.get(model);
      if (!entry || entry.status === 'removed') return false;
      const removed: CatalogEntry = { ...entry, status: 'removed' };
      await this.producer.send(Topic.Catalog, {
        model,
        action: 'removed',
        selfHosted: entry.selfHosted,
        ts: new Date().toISOString(),
      });
      await this.store.record({ model: removed });
      this.catalog.set(model, removed);
      this.prices.delete(model);
      this.lastChangeAt = new Date().toISOString();
      this.log.info({ model }, 'model removed');
      await this.notify({ models: [model], reason: `model removed: ${model}` });
      return true;
    });
  }

  /**
   * Puts back the price in force before the current one (undo of a wrong admin entry). It was
   * accepted once already, so no jump check. Undefined when there is no earlier price.
   */
  async revert(model: string): Promise<ProposalOutcome | undefined> {
    const current = this.prices.get(model);
    if (!current) return undefined;
    const rows = await this.store.history(model, 50);
    const previous = rows.find(
      (r, i) =>
        i > 0 &&
        (r.inputPerM !== current.inputPerM ||
          r.outputPerM !== current.outputPerM ||
          r.selfHosted !== (current.selfHosted ?? false) ||
          (r.costFactor ?? null) !== (current.costFactor ?? null)),
    );
    if (!previous) return undefined;
    return this.propose(
      'admin',
      {
        model,
        inputPerM: previous.inputPerM,
        outputPerM: previous.outputPerM,
        selfHosted: previous.selfHosted,
        concurrency: previous.concurrency,
        discountTiers: Array.isArray(previous.discountTiers)
          ? (previous.discountTiers as PriceProposal['discountTiers'])
          : [],
        costFactor: previous.costFactor,
      },
      { confirm: true, label: 'admin:revert', whole: true },
    );
  }

  private async apply(kind: SourceKind, proposal: PriceProposal, opts: ProposeOptions): Promise<ProposalOutcome> {
    const model = proposal.model;
    const entry = this.catalog.get(model);
    const automatic = kind === 'file' || kind === 'url';
    if (entry?.status === 'removed' && !opts.addModel) {
      return this.reject(
        kind,
        model,
        'removed',
        `${model} was removed through the admin API; POST /admin/models to add it back`,
      );
    }
    const pin = this.pinned.get(model);
    if (pin && automatic) {
      return this.reject(
        kind,
        model,
        'self_hosted',
        `${model} is self-hosted (SELF_HOSTED_MODELS): its price is constant and ${kind} prices do not apply`,
      );
    }
    const current = this.prices.get(model);
    const merged: PriceProposal = {
      ...proposal,
      // A source that says nothing about these keeps what is in force (a price feed knows
      // nothing of GPUs or discount tiers).
      selfHosted: proposal.selfHosted ?? current?.selfHosted,
      concurrency: proposal.concurrency ?? current?.concurrency,
      discountTiers: proposal.discountTiers ?? current?.discountTiers,
      costFactor: opts.whole ? proposal.costFactor : (proposal.costFactor ?? current?.costFactor),
      // How a model is called comes from the models file; an admin or feed price keeps it.
      ...Object.fromEntries(CALL_FIELDS.map((f) => [f, proposal[f] ?? current?.[f]])),
      ...(pin ? { selfHosted: true, concurrency: proposal.concurrency ?? pin.concurrency } : {}),
    };
    if (merged.selfHosted && merged.concurrency === undefined) {
      return this.reject(kind, model, 'invalid', `concurrency: a self-hosted model needs its concurrency limit`);
    }
    // SELF_HOSTED_MODELS keeps its documented price-0 default; the models file must price every call.
    if (
      kind === 'file' &&
      merged.selfHosted &&
      merged.perCallUsd === undefined &&
      merged.inputPerM === 0 &&
      merged.outputPerM === 0
    ) {
      return this.reject(
        kind,
        model,
        'invalid',
        'perCallUsd: a self-hosted model with no token price needs its price per call (its calls are never free)',
      );
    }
    const check = checkPrice(merged, current, {
      source: opts.label ?? kind,
      maxJump: this.opts.maxJump,
      confirm: opts.confirm,
    });
    if (!check.ok) return this.reject(kind, model, check.reason, check.message);
    const price = check.price;

    const wasActive = entry !== undefined && entry.status !== 'removed';
    let action: ModelEvent['action'] | undefined;
    if (!wasActive) action = 'added';
    else if (entry.status === 'disabled' && opts.addModel) action = 'enabled';
    else if (opts.addModel?.endpoint !== undefined && opts.addModel.endpoint !== entry.endpoint) action = 'enabled';
    const priceChanged = !samePrice(current, price);
    const callChanged = !!current && CALL_FIELDS.some((f) => (current[f] ?? null) !== (price[f] ?? null));
    const selfHostedChanged =
      callChanged ||
      (entry !== undefined &&
        (entry.selfHosted !== (price.selfHosted ?? false) || (entry.concurrency ?? undefined) !== price.concurrency));
    if (!priceChanged && !action && !selfHostedChanged) return { status: 'unchanged', model, price: current! };

    const nextEntry: CatalogEntry = {
      model,
      status: 'enabled',
      endpoint: opts.addModel?.endpoint ?? price.endpoint ?? (wasActive ? entry.endpoint : undefined),
      concurrency: price.concurrency,
      selfHosted: price.selfHosted ?? false,
    };
    try {
      // Kafka first, Postgres second: if the write fails after the publication, the next
      // attempt publishes the same price again (harmless on a compacted topic); the other
      // order could record a price that no consumer ever saw, and a restart would not resend it.
      if (priceChanged) await this.producer.send(Topic.Prices, price);
      if (action || selfHostedChanged) {
        await this.producer.send(Topic.Catalog, {
          model,
          action: action ?? 'enabled',
          ...(nextEntry.endpoint ? { endpoint: nextEntry.endpoint } : {}),
          ...(price.protocol ? { protocol: price.protocol } : {}),
          ...(price.keyEnv ? { keyEnv: price.keyEnv } : {}),
          ...(price.timeoutMs ? { timeoutMs: price.timeoutMs } : {}),
          ...(nextEntry.concurrency ? { concurrency: nextEntry.concurrency } : {}),
          selfHosted: nextEntry.selfHosted,
          ts: new Date().toISOString(),
        });
      }
      await this.store.record({ price: priceChanged ? price : undefined, model: nextEntry });
    } catch (e) {
      const message = `could not publish or record the price of ${model}: ${(e as Error).message}`;
      this.log.error(
        { model, source: kind, err: (e as Error).message },
        'price change failed; it will be retried on the next attempt',
      );
      return { status: 'failed', model, message };
    }
    this.prices.set(model, price);
    this.catalog.set(model, nextEntry);
    this.lastChangeAt = new Date().toISOString();
    this.metrics.counter('price_accepted_total', 'Accepted price changes, by source', ['source']).inc({ source: kind });
    this.log.info(
      {
        model,
        source: price.source,
        inputPerM: price.inputPerM,
        outputPerM: price.outputPerM,
        selfHosted: price.selfHosted,
        catalog: action,
        previous: current ? { inputPerM: current.inputPerM, outputPerM: current.outputPerM } : null,
      },
      'price accepted',
    );
    return { status: 'accepted', model, price, ...(action ? { catalog: action } : {}) };
  }

  private reject(kind: SourceKind, model: string, reason: RejectReason, message: string): ProposalOutcome {
    this.metrics
      .counter('price_rejected_total', 'Prices refused by validation, by source and reason', ['source', 'reason'])
      .inc({ source: kind, reason });
    // The admin caller reads the reason in the response; a file or feed has nobody to tell but the log.
    if (kind === 'admin') this.log.info({ model, source: kind, reason }, message);
    else this.log.warn({ model, source: kind, reason }, `price rejected: ${message}`);
    return { status: 'rejected', model, reason, message };
  }

  private async notify(change: PriceBookChange): Promise<void> {
    for (const l of this.listeners) {
      try {
        await l(change);
      } catch (e) {
        // The price itself is already out: a frontier failure must not undo or fail it.
        this.log.error({ err: (e as Error).message }, 'price change listener failed');
      }
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
