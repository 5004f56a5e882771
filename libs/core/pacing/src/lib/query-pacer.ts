import { requireAtLeast, requireFinite, requireNonNegative, requirePositive } from '@llm-router/numerics';
import { BudgetPacer } from './budget-pacer';

/**
 * The pacer that routes: the replay and every router replica run this one class, so a budget
 * figure measured offline is the figure the services hold (docs/decisions/0013-pacing-in-the-loop.md).
 *
 * It wraps the dual descent of `BudgetPacer` with three things a live stream needs:
 * - re-aiming: the per-query target is moved so that the debt (spent minus what the budget
 *   allowed so far) is paid back over the next `payback` queries, or over what is left of a
 *   known horizon. Dual descent alone holds the mean only up to its O(1 / (eta T)) drift;
 * - a clip: one query's cost counts for at most `clip` targets in the dual step, because a
 *   single flagship call can cost a hundred targets and would throw lambda orders of
 *   magnitude past its equilibrium. What the clip holds back is carried into the next steps
 *   (`carry`), not dropped: dropped, a steady share of calls dearer than `clip` targets looked
 *   on target to the dual step while the period spent several times its budget (a fifth of
 *   the calls on a model at 20 targets, with the re-aimed target at its floor: three times
 *   the budget; docs/decisions/0060). The carry is kept in targets of the moment the cost
 *   was counted: kept in dollars, a debt that lowered the target made every carried dollar
 *   weigh up to `band` times more, and one call at 35 targets moved a live router's lambda
 *   56-fold where an unclipped step moves it 5.5-fold (docs/decisions/0062);
 * - a band: the re-aimed target stays within [budget / band, budget * band], so a debt is
 *   paid back gradually, never by starving every query at once;
 * - a floor: lambda stays at or above `lambdaMin`, so that models the policy cannot tell apart
 *   go to the cheaper one. At lambda 0 a router that had not learnt a reward yet (its first
 *   snapshot comes a second or more after its first decisions) broke a three-way tie among
 *   models 600 times apart in price at random, and a cold demo spent 2.15 times its budget
 *   (docs/decisions/0039).
 *
 * It learns from realised costs only, at the moment a call is answered: the router knows
 * them then, with no delay, so this loop has none of the latency of feedback or snapshots.
 * `record(expected)` at decide time followed by `settle(expected, realised)` when the answer
 * comes keeps the in-flight calls counted while they run.
 */
export interface QueryPacerOptions {
  /** Target mean cost per query in USD (> 0). */
  budget: number;
  /** Starting lambda; default `0.01 / budget` (one target's worth of money buys a hundredth of a quality point). */
  lambda0?: number;
  /** Dual step size (default 0.05). */
  eta?: number;
  /** One query's cost counts for at most this many targets in the dual step (default 5). */
  clip?: number;
  /** The re-aimed target stays within [budget / band, budget * band] (default 3). */
  band?: number;
  /**
   * Queries of the period when known (the replay, a batch): the debt is then paid back over
   * what is left of it. Otherwise (a live stream) over the next `payback` queries.
   */
  horizon?: number;
  /** Queries over which a debt is paid back on an open-ended stream (default 1000). */
  payback?: number;
  /** Re-aim at all (default true). */
  track?: boolean;
  /**
   * Lambda never goes below this (default `1e-4 / budget`: a target's worth of money weighs a
   * ten-thousandth of a quality point, which breaks a tie and little else).
   */
  lambdaMin?: number;
}

export interface QueryPacerState {
  version: 1;
  budget: number;
  eta: number;
  clip: number;
  band: number;
  horizon: number | null;
  payback: number;
  track: boolean;
  /** Debt carried over from before the last budget change. */
  debtBefore: number;
  /**
   * What the clip has held back from the dual step, still to be fed, in targets of the moment
   * each cost was counted (negative: bills that came in under what was fed).
   */
  carryTargets?: number;
  /** The same in USD, as states saved before carryTargets wrote it (read only); neither: 0. */
  carry?: number;
  spentSince: number;
  doneSince: number;
  done: number;
  spent: number;
  dual: ReturnType<BudgetPacer['toState']>;
}

export class QueryPacer {
  private budgetUsd: number;
  private readonly eta: number;
  private readonly clip: number;
  private readonly band: number;
  private readonly horizon: number | null;
  private paybackQueries: number;
  private readonly track: boolean;
  private dual: BudgetPacer;
  /** Debt is kept as (carried) + (spent - budget * count) since the last budget change: exact while the budget is constant. */
  private debtBefore = 0;
  private spentSince = 0;
  private doneSince = 0;
  private doneTotal = 0;
  private spentTotal = 0;
  /** What the clip has held back from the dual step, in targets (see QueryPacerState.carryTargets). */
  private carry = 0;

  constructor(opts: QueryPacerOptions) {
    this.budgetUsd = requirePositive('budget', opts.budget);
    this.eta = requirePositive('eta', opts.eta ?? 0.05);
    this.clip = requirePositive('clip', opts.clip ?? 5);
    this.band = requireAtLeast('band', opts.band ?? 3, 1);
    this.horizon = opts.horizon === undefined ? null : requirePositive('horizon', opts.horizon);
    this.paybackQueries = requirePositive('payback', opts.payback ?? 1000);
    this.track = opts.track ?? true;
    // The lambda scale is pinned to the first budget: if it followed the moving target, the
    // step size would change with every re-aim.
    const scale = 0.01 / this.budgetUsd;
    // Starting at lambda = 0 would let the first queries go to the most expensive model, and
    // at a tight budget a handful of those spend the whole period's money.
    const lambda0 = opts.lambda0 !== undefined && opts.lambda0 > 0 ? opts.lambda0 : scale;
    const lambdaMin = opts.lambdaMin ?? defaultLambdaMin(scale);
    this.dual = new BudgetPacer({ target: this.budgetUsd, lambda0, eta: this.eta, scale, lambdaMin });
  }

  /** The cost weight for the next decision. */
  get lambda(): number {
    return this.dual.lambda;
  }

  /** Target mean cost per query (the budget the debt is measured against). */
  get budget(): number {
    return this.budgetUsd;
  }

  /** Per-query target after re-aiming (what the dual step currently aims at). */
  get target(): number {
    return this.dual.target ?? this.budgetUsd;
  }

  /** Spent minus what the budget allowed, over every query recorded (USD; negative = surplus). */
  get debt(): number {
    return this.debtBefore + this.spentSince - this.budgetUsd * this.doneSince;
  }

  get count(): number {
    return this.doneTotal;
  }

  get spent(): number {
    return this.spentTotal;
  }

  /** One query's cost (realised, or expected until `settle`). Returns the new lambda. */
  record(costUsd: number): number {
    requireNonNegative('cost', costUsd);
    const t = this.target;
    const owed = costUsd / t + this.carry;
    const fed = Math.max(0, Math.min(owed, this.clip));
    this.carry = owed - fed;
    this.dual.update(fed * t);
    this.spentSince += costUsd;
    this.spentTotal += costUsd;
    this.doneSince++;
    this.doneTotal++;
    this.reaim();
    return this.lambda;
  }

  /**
   * Corrects a cost recorded as `expectedUsd` once the bill is known: the debt takes the
   * difference, and lambda takes one dual step on it (no query is counted twice).
   *
   * `recordedAt` is the target `record` measured the expectation against (`target` read just
   * before it); the correction is measured against the same, so that record(expected) + settle
   * leaves lambda, the carry and the debt exactly as record(realised) would. Measured against the
   * target of the moment instead, which the expectation's own debt had re-aimed lower, a call
   * expected above its bill took back more than it had added: live routers, whose cost model
   * expected the dear model at 1.9 times its bills, held a standing debt of about six targets each
   * and ended two-router runs at up to 1.022 of the budget (docs/decisions/0066). Without it (a
   * bill for a call never recorded, such as the judge's) the target of the moment.
   */
  settle(expectedUsd: number, realisedUsd: number, recordedAt: number = this.target): number {
    requireNonNegative('expected cost', expectedUsd);
    requireNonNegative('realised cost', realisedUsd);
    requirePositive('recordedAt', recordedAt);
    const delta = realisedUsd - expectedUsd;
    if (delta === 0) return this.lambda;
    this.spentSince += delta;
    this.spentTotal += delta;
    // The step the bill would have taken minus the one the expectation took, both clipped as
    // record() clips, and what the clip holds back of the difference joins the carry: so
    // record(expected) + settle(expected, realised) moves lambda and the carry as
    // record(realised) does. An unclipped difference would pull lambda down every time a call
    // the clip had capped came in cheaper than expected (seen live: lambda 660 -> 0 in one batch).
    const t = recordedAt;
    const cap = this.clip * t;
    const step = Math.min(realisedUsd, cap) - Math.min(expectedUsd, cap);
    this.carry += (delta - step) / t;
    this.dual.nudge(step / t);
    this.reaim();
    return this.lambda;
  }

  /**
   * A new per-query budget (a daily or monthly budget's share per query, from the fleet's
   * spend ledger). The debt so far is kept: a change of target is not an amnesty.
   */
  setBudget(budgetUsd: number): void {
    requirePositive('budget', budgetUsd);
    if (budgetUsd === this.budgetUsd) return;
    this.debtBefore = this.debt;
    this.spentSince = 0;
    this.doneSince = 0;
    this.budgetUsd = budgetUsd;
    this.reaim();
  }

  /** Queries over which a debt is paid back on an open-ended stream. */
  get payback(): number {
    return this.paybackQueries;
  }

  /**
   * A new payback horizon, in this pacer's own queries. A router that sees a share s of a
   * scope's traffic pays back over s x PACER_PAYBACK_QUERIES of its own queries: the same
   * stretch of the fleet's stream as one router would (ReplicaPacing).
   */
  setPayback(queries: number): void {
    this.paybackQueries = requirePositive('payback', queries);
  }

  /** Moves lambda (e.g. a fresh replica seeded from the fleet's lambda), keeping the debt. */
  setLambda(lambda: number): void {
    this.dual.setLambda(lambda);
  }

  toState(): QueryPacerState {
    return {
      version: 1,
      budget: this.budgetUsd,
      eta: this.eta,
      clip: this.clip,
      band: this.band,
      horizon: this.horizon,
      payback: this.paybackQueries,
      track: this.track,
      debtBefore: this.debtBefore,
      carryTargets: this.carry,
      spentSince: this.spentSince,
      doneSince: this.doneSince,
      done: this.doneTotal,
      spent: this.spentTotal,
      dual: this.dual.toState(),
    };
  }

  static fromState(s: QueryPacerState): QueryPacer {
    if (s?.version !== 1)
      throw new Error(`unsupported QueryPacer state version ${(s as { version?: unknown })?.version}`);
    const p = new QueryPacer({
      budget: s.budget,
      eta: s.eta,
      clip: s.clip,
      band: s.band,
      horizon: s.horizon ?? undefined,
      payback: s.payback,
      track: s.track,
    });
    // A state written before the floor existed gets the default one.
    p.dual = BudgetPacer.fromState({
      ...s.dual,
      lambdaMin: s.dual.lambdaMin ?? (s.dual.scale !== null ? defaultLambdaMin(s.dual.scale) : 0),
    });
    p.debtBefore = requireFinite('debtBefore', s.debtBefore);
    p.carry =
      s.carryTargets !== undefined
        ? requireFinite('carryTargets', s.carryTargets)
        : requireFinite('carry', s.carry ?? 0) / p.target;
    p.spentSince = requireFinite('spentSince', s.spentSince);
    p.doneSince = requireNonNegative('doneSince', s.doneSince);
    p.doneTotal = requireNonNegative('done', s.done);
    p.spentTotal = requireFinite('spent', s.spent);
    return p;
  }

  private reaim(): void {
    if (!this.track) return;
    const left = this.horizon !== null ? this.horizon - this.doneTotal : this.paybackQueries;
    if (left <= 0) return;
    // While the budget has not changed, the replay's original form (money left over queries
    // left): the same number up to rounding, kept bit for bit so replay figures stay comparable.
    const t =
      this.horizon !== null && this.debtBefore === 0 && this.doneSince === this.doneTotal
        ? (this.budgetUsd * this.horizon - this.spentTotal) / left
        : this.budgetUsd - this.debt / left;
    this.dual.setTarget(Math.min(this.budgetUsd * this.band, Math.max(this.budgetUsd / this.band, t)));
  }
}

/** The default floor of lambda: a hundredth of its scale (0.01 / budget), i.e. 1e-4 / budget. */
function defaultLambdaMin(scale: number): number {
  return 0.01 * scale;
}
