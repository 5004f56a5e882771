import { QueryPacer } from '@llm-router/pacing';

/**
 * What the replay needs from a budget pacer: the lambda to use for the next decision, and
 * the realised cost of each decision. Kept as an interface so that the engine stays
 * independent of the pacer's implementation (libs/core/pacing provides the real one).
 */
export interface LambdaPacer {
  lambda(): number;
  record(costUsd: number): void;
}

export interface PacerInit {
  /** Target mean cost per query in USD. */
  budget: number;
  /** Number of queries in the period (the replay knows it; a live router estimates it). */
  horizon: number;
  /** Starting lambda (the CLI's --lambda). */
  initialLambda: number;
}

export type PacerFactory = (init: PacerInit) => LambdaPacer;

export interface BudgetPacingOptions {
  /** Dual step size (libs/core/pacing's eta). */
  eta?: number;
  /**
   * Re-aim the per-query target at what is left of the period (remaining budget / remaining
   * queries) after every query, as a SpendLedger does for a daily budget. Without it the pacer
   * holds the mean only up to its O(1 / (eta T)) drift.
   */
  track?: boolean;
  /** The re-aimed target stays within [budget / band, budget * band]. */
  band?: number;
  /**
   * One query's cost counts for at most this many targets in the dual step: a single call
   * to a flagship model can cost 100 targets, and one such step would throw lambda orders of
   * magnitude past its equilibrium. The budget itself still sees the full cost (re-aiming).
   */
  clip?: number;
}

/**
 * The replay's default pacer: libs/core/pacing's QueryPacer, the same class every router replica
 * paces with, its target re-aimed at the remaining budget per remaining query of the replay.
 * Spending early is then paid back by a lower target later, so the period's mean cost lands on
 * the budget rather than near it.
 */
export function budgetPacing(opts: BudgetPacingOptions = {}): PacerFactory {
  return ({ budget, horizon, initialLambda }) => {
    const pacer = new QueryPacer({
      budget,
      horizon,
      lambda0: initialLambda,
      eta: opts.eta,
      clip: opts.clip,
      band: opts.band,
      track: opts.track,
    });
    return { lambda: () => pacer.lambda, record: (cost: number) => void pacer.record(cost) };
  };
}
