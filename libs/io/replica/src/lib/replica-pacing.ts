import { QueryPacer } from '@llm-router/pacing';

/** Fleet decisions between two share measurements: fewer say little about the split. */
const SHARE_SAMPLE = 20;
/** Weight of a new measurement in the smoothed share. */
const SHARE_SMOOTHING = 0.3;
/** A share is never taken below this (a replica that just joined, a skewed window). */
const MIN_SHARE = 0.05;
/** PACER_PAYBACK_QUERIES' own lower bound. */
const MIN_PAYBACK = 10;

export interface ReplicaPacingOptions {
  /** BUDGET_PER_QUERY_USD: the per-query target; null = no pacing (lambda is the policy's own). */
  budgetPerQuery: number | null;
  /** Queries over which a debt is paid back (PACER_PAYBACK_QUERIES). */
  payback: number;
}

/**
 * This replica's own budget pacing, one QueryPacer per scope (docs/decisions/0013): the fast
 * inner loop that sees each call's realised cost the moment it is answered. The aggregator's
 * snapshot contributes only a starting lambda (for a scope this replica has not paced yet)
 * and the fleet's per-query budget when a period budget tightens it.
 */
export class ReplicaPacing {
  private readonly pacers = new Map<string, QueryPacer>();
  private readonly shares = new Map<string, { fleet: number; own: number; share: number }>();

  constructor(private readonly opts: ReplicaPacingOptions) {}

  get binding(): boolean {
    return this.opts.budgetPerQuery !== null;
  }

  /** The lambda to decide with in `scope`, or null when nothing is paced. */
  lambda(scope: string, fleetLambda: number): number | null {
    return this.pacer(scope, fleetLambda)?.lambda ?? null;
  }

  /**
   * A decision was made expecting to cost `expectedUsd` (counted while its call runs). Returns
   * the target it was recorded against, for `billed` (null when nothing is paced).
   */
  decided(scope: string, expectedUsd: number, fleetLambda: number): number | null {
    const p = this.pacer(scope, fleetLambda);
    if (!p) return null;
    const recordedAt = p.target;
    p.record(expectedUsd);
    return recordedAt;
  }

  /**
   * The bill of that decision (0 when no model answered); `recordedAt`: what `decided` returned
   * for it (QueryPacer.settle), absent for a bill no decision recorded (a judge's call).
   */
  billed(scope: string, expectedUsd: number, realisedUsd: number, recordedAt?: number | null): void {
    this.pacers.get(scope)?.settle(expectedUsd, realisedUsd, recordedAt ?? undefined);
  }

  /**
   * What the aggregator's snapshot says of the fleet: its per-query budget (a period budget's
   * share, never above ours) and how many of the scope's decisions it has recorded, from which
   * this replica's share of the traffic, and so its payback horizon, follows.
   */
  applyFleetBudget(
    scope: string,
    perQuery: number | null | undefined,
    fleetLambda: number,
    fleetDecisions?: number,
  ): void {
    const p = this.pacer(scope, fleetLambda);
    if (!p) return;
    if (fleetDecisions !== undefined) this.observeShare(scope, p, fleetDecisions);
    if (!perQuery || !(perQuery > 0)) return;
    p.setBudget(Math.min(perQuery, this.opts.budgetPerQuery as number));
  }

  /** This replica's smoothed share of the scope's decisions (1 until measured). */
  share(scope: string): number {
    return this.shares.get(scope)?.share ?? 1;
  }

  /**
   * With n routers each sees about 1/n of a scope's queries, so a debt paid back over
   * PACER_PAYBACK_QUERIES of a router's own queries would take n times as long as with one
   * router, and a stream that ends (a day, a run) would leave n times as much unpaid. The
   * horizon is scaled by the share so that every router pays back over the same stretch of the
   * fleet's stream as a lone router does; with one router the share is 1 and nothing changes.
   */
  private observeShare(scope: string, p: QueryPacer, fleet: number): void {
    const last = this.shares.get(scope);
    const own = p.count;
    // First sight, or the aggregator restarted (its count is in memory): a new baseline.
    if (!last || fleet < last.fleet) {
      this.shares.set(scope, { fleet, own, share: last?.share ?? 1 });
      return;
    }
    const fleetDelta = fleet - last.fleet;
    if (fleetDelta < SHARE_SAMPLE) return;
    // Our own count runs ahead of the aggregator's by the decisions in transit: clipped to 1.
    const measured = Math.min(1, Math.max(MIN_SHARE, (own - last.own) / fleetDelta));
    const share = last.share + SHARE_SMOOTHING * (measured - last.share);
    this.shares.set(scope, { fleet, own, share });
    p.setPayback(Math.max(MIN_PAYBACK, Math.round(this.opts.payback * share)));
  }

  /** Figures for /health and metrics. */
  summary(): Record<
    string,
    { lambda: number; budget: number; target: number; debtUsd: number; count: number; payback: number; share: number }
  > {
    return Object.fromEntries(
      [...this.pacers].map(([scope, p]) => [
        scope,
        {
          lambda: p.lambda,
          budget: p.budget,
          target: p.target,
          debtUsd: p.debt,
          count: p.count,
          payback: p.payback,
          share: this.share(scope),
        },
      ]),
    );
  }

  private pacer(scope: string, fleetLambda: number): QueryPacer | null {
    if (this.opts.budgetPerQuery === null) return null;
    let p = this.pacers.get(scope);
    if (!p) {
      // A new replica starts where the fleet is (the aggregator's lambda), not from scratch.
      p = new QueryPacer({ budget: this.opts.budgetPerQuery, payback: this.opts.payback, lambda0: fleetLambda });
      this.pacers.set(scope, p);
    }
    return p;
  }
}
