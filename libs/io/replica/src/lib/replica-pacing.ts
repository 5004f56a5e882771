import { QueryPacer } from '@llm-router/pacing';

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

  constructor(private readonly opts: ReplicaPacingOptions) {}

  get binding(): boolean {
    return this.opts.budgetPerQuery !== null;
  }

  /** The lambda to decide with in `scope`, or null when nothing is paced. */
  lambda(scope: string, fleetLambda: number): number | null {
    return this.pacer(scope, fleetLambda)?.lambda ?? null;
  }

  /** A decision was made expecting to cost `expectedUsd` (counted while its call runs). */
  decided(scope: string, expectedUsd: number, fleetLambda: number): void {
    this.pacer(scope, fleetLambda)?.record(expectedUsd);
  }

  /** The bill of that decision (0 when no model answered). */
  billed(scope: string, expectedUsd: number, realisedUsd: number): void {
    this.pacers.get(scope)?.settle(expectedUsd, realisedUsd);
  }

  /** The fleet's per-query budget from the aggregator's snapshot (a period budget's share), never above ours. */
  applyFleetBudget(scope: string, perQuery: number | null | undefined, fleetLambda: number): void {
    const p = this.pacer(scope, fleetLambda);
    if (!p || !perQuery || !(perQuery > 0)) return;
    p.setBudget(Math.min(perQuery, this.opts.budgetPerQuery as number));
  }

  /** Figures for /health and metrics. */
  summary(): Record<string, { lambda: number; budget: number; target: number; debtUsd: number; count: number }> {
    return Object.fromEntries(
      [...this.pacers].map(([scope, p]) => [
        scope,
        { lambda: p.lambda, budget: p.budget, target: p.target, debtUsd: p.debt, count: p.count },
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
