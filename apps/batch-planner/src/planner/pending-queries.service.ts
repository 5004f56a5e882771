import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { QueryRequest, Topic, validate } from '@llm-router/contracts';
import { MetricsService } from '@llm-router/service';
import { PendingStore } from './pending-store';

/** A query reloaded from batch_pending, with the time its window opened for it. */
export interface ReloadedQuery {
  query: QueryRequest;
  receivedAt: Date;
}

/**
 * The batch queries this process holds, from their receipt to their dispatch: stored in
 * batch_pending (PendingStore) so that a restart finds them, held once each (a re-delivery, or a
 * row the reload finds that a consumer already took, is not queued twice), counted per failed
 * window, and let go, rows and all, once dispatched.
 */
@Injectable()
export class PendingQueries {
  /** By scope and request id: the queries buffered or in a window being solved. */
  private readonly held = new Set<string>();
  /** Failed windows per held query (PlannerService.planAgainOrRoute). */
  private readonly failures = new Map<string, number>();
  private restored = 0;

  constructor(
    private readonly store: PendingStore,
    private readonly log: PinoLogger,
    private readonly metrics: MetricsService,
  ) {}

  /** Writes a received query to batch_pending: once this resolves, its offset may be committed. */
  async persist(q: QueryRequest): Promise<void> {
    await this.store.add(q, new Date());
  }

  /** Marks a query as held by this process; false if it already was. */
  hold(q: QueryRequest): boolean {
    const k = heldKey(q);
    if (this.held.has(k)) return false;
    this.held.add(k);
    return true;
  }

  /**
   * The queries a previous process left in batch_pending that this one does not hold yet, oldest
   * first, each now held. A row that no longer validates stays in the table, logged.
   */
  async reload(): Promise<ReloadedQuery[]> {
    const rows = await this.store.load();
    const out: ReloadedQuery[] = [];
    for (const row of rows) {
      const d = validate(Topic.BatchRequests, row.query);
      if (!d.ok) {
        this.log.error(
          { scope: row.scope, requestId: row.requestId, err: d.error.message },
          'pending batch query no longer valid: left in batch_pending',
        );
        continue;
      }
      if (!this.hold(d.value)) continue;
      this.restored += 1;
      out.push({ query: d.value, receivedAt: row.receivedAt });
    }
    if (rows.length > 0)
      this.log.info({ pending: rows.length, restored: this.restored }, 'pending batch queries reloaded');
    return out;
  }

  /** Counts one more failed window of `q`; returns how many it has had. */
  failed(q: QueryRequest): number {
    const k = heldKey(q);
    const n = (this.failures.get(k) ?? 0) + 1;
    this.failures.set(k, n);
    return n;
  }

  /**
   * Dispatched: their rows go, and this process holds them no more. A failed delete only leaves
   * rows that the next start dispatches again (at least once, see PlannerService), so it is
   * counted and logged, not thrown.
   */
  async release(qs: readonly QueryRequest[]): Promise<void> {
    try {
      await this.store.remove(qs);
    } catch (e) {
      this.metrics
        .counter(
          'planner_pending_delete_failures_total',
          'Dispatched windows whose batch_pending rows could not be deleted',
        )
        .inc();
      this.log.error(
        { queries: qs.length, err: (e as Error).message },
        'could not delete dispatched queries from batch_pending',
      );
    } finally {
      for (const q of qs) {
        const k = heldKey(q);
        this.held.delete(k);
        this.failures.delete(k);
      }
    }
  }

  /** For /health: the queries held now, and those the reload put back. */
  summary(): { held: number; restored: number } {
    return { held: this.held.size, restored: this.restored };
  }
}

const heldKey = (q: QueryRequest): string => `${q.scope}\u0000${q.id}`;
