import { BudgetPacer } from '@llm-router/pacing';

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
 * The replay's default pacer: libs/core/pacing's primal-dual BudgetPacer, with its target re-aimed
 * at the remaining budget per remaining query. Spending early is then paid back by a lower
 * target later, so the period's mean cost lands on the budget rather than near it.
 */
export function budgetPacing(opts: BudgetPacingOptions = {}): PacerFactory {
  const track = opts.track ?? true;
  const band = opts.band ?? 3;
  const clip = opts.clip ?? 5;
  return ({ budget, horizon, initialLambda }) => {
    // The lambda scale is pinned to the budget: if it followed the moving target, the step
    // size would change with every re-aim.
    const scale = 0.01 / budget;
    // Starting at lambda = 0 would let the first queries go to the most expensive model, and
    // at a tight budget a handful of those spend the whole period's money. The scale (the
    // lambda at which spending one target costs one quality point) is a neutral start.
    const lambda0 = initialLambda > 0 ? initialLambda : scale;
    const pacer = new BudgetPacer({ target: budget, lambda0, eta: opts.eta ?? 0.05, scale });
    let spent = 0;
    let done = 0;
    return {
      lambda: () => pacer.lambda,
      record(cost: number) {
        const target = pacer.target ?? budget;
        pacer.update(Math.min(cost, clip * target));
        spent += cost;
        done++;
        const left = horizon - done;
        if (track && left > 0) {
          const t = (budget * horizon - spent) / left;
          pacer.setTarget(Math.min(budget * band, Math.max(budget / band, t)));
        }
      },
    };
  };
}
