import { QueryRequest } from '@llm-router/contracts';

export interface Window {
  scope: string;
  queries: QueryRequest[];
  openedAt: number;
}

/**
 * Queries that may wait, grouped per scope until a window is full or its oldest query has
 * waited long enough (or its deadline is near). Pure: time is passed in.
 */
export class WindowBuffer {
  private readonly open = new Map<string, Window>();

  constructor(
    private readonly size: number,
    private readonly maxWaitMs: number,
  ) {}

  /** Adds a query; returns the window if this closed it. */
  add(q: QueryRequest, now: number): Window | null {
    let w = this.open.get(q.scope);
    if (!w) this.open.set(q.scope, (w = { scope: q.scope, queries: [], openedAt: now }));
    w.queries.push(q);
    if (w.queries.length >= this.size) {
      this.open.delete(q.scope);
      return w;
    }
    return null;
  }

  /**
   * Puts queries back ahead of their scope's open window: deferred by the solver, or from a
   * window that failed. They never close a window here, only by time, so a persistent failure
   * retries once per window wait instead of in a tight loop; the next add() closes it if full.
   */
  requeue(qs: readonly QueryRequest[], now: number): void {
    for (let i = qs.length - 1; i >= 0; i--) {
      const q = qs[i];
      let w = this.open.get(q.scope);
      if (!w) this.open.set(q.scope, (w = { scope: q.scope, queries: [], openedAt: now }));
      w.queries.unshift(q);
    }
  }

  /** Windows whose wait (or a query's deadline) is up. */
  due(now: number): Window[] {
    const out: Window[] = [];
    for (const [scope, w] of this.open) {
      const deadline = Math.min(
        w.openedAt + this.maxWaitMs,
        ...w.queries.map((q) =>
          q.constraints.deadline ? Date.parse(q.constraints.deadline) - this.maxWaitMs / 4 : Infinity,
        ),
      );
      if (now >= deadline) {
        out.push(w);
        this.open.delete(scope);
      }
    }
    return out;
  }

  summary(): { scope: string; queued: number; ageMs: number }[] {
    const now = Date.now();
    return [...this.open.values()].map((w) => ({ scope: w.scope, queued: w.queries.length, ageMs: now - w.openedAt }));
  }
}
