import { EntityManager } from 'typeorm';
import { RewardEvent } from '@llm-router/contracts';
import {
  BudgetPacer,
  BudgetPacerState,
  FleetBudget,
  FleetBudgetOptions,
  FleetBudgetState,
  QueryPacer,
  QueryPacerState,
} from '@llm-router/pacing';
import { ArmStatsEntity, PolicyStateEntity } from '@llm-router/persistence';

interface ArmRunning {
  pulls: number;
  sumQuality: number;
  sumCost: number;
  sumReward: number;
}

/** How a scope is paced (BUDGET_PER_QUERY_USD, BUDGET_USD, BUDGET_PERIOD, PACER_PAYBACK_QUERIES). */
export interface ScopePacingOptions extends FleetBudgetOptions {
  payback?: number;
}

/** What the `pacer` column of policy_state holds since pacing moved to the routers (docs/decisions/0013). */
interface StoredPacing {
  version: 2;
  pacer: QueryPacerState | null;
  fleet: FleetBudgetState;
}

/**
 * Running figures of one scope (reward stream, /stats) and its pacing: the fleet budget that
 * turns a daily or monthly budget into the per-query budget routers pace against, and a
 * QueryPacer over every router's realised costs, whose lambda seeds a router that has not
 * paced the scope yet.
 */
export class ScopeStats {
  rewardsApplied = 0;
  /** Decisions recorded since this aggregator loaded the scope (in memory: routers use its differences). */
  decisionsRecorded = 0;
  cumulativeReward = 0;
  cumulativeCost = 0;
  rewardSumSq = 0;
  readonly arms = new Map<string, ArmRunning>();

  private constructor(
    readonly scope: string,
    private readonly pacer: QueryPacer | null,
    readonly fleet: FleetBudget,
  ) {}

  static empty(scope: string, pacing: ScopePacingOptions = {}, stored?: unknown): ScopeStats {
    const fleet = new FleetBudget(pacing);
    const { pacer: pacerState, fleet: fleetState, lambda } = readStored(stored);
    fleet.restore(fleetState);
    const perQuery = pacing.perQueryUsd ?? null;
    let pacer: QueryPacer | null = null;
    if (perQuery !== null) {
      pacer = pacerState
        ? QueryPacer.fromState(pacerState)
        : new QueryPacer({ budget: perQuery, payback: pacing.payback, lambda0: lambda });
      pacer.setBudget(perQuery);
    }
    return new ScopeStats(scope, pacer, fleet);
  }

  static async load(
    em: EntityManager,
    scope: string,
    row: PolicyStateEntity,
    pacing: ScopePacingOptions = {},
  ): Promise<ScopeStats> {
    const st = ScopeStats.empty(scope, pacing, row.pacer ?? undefined);
    st.rewardsApplied = row.rewardsApplied;
    st.cumulativeReward = row.cumulativeReward;
    st.cumulativeCost = row.cumulativeCostUsd;
    st.rewardSumSq = row.rewardSumSq;
    for (const a of await em.find(ArmStatsEntity, { where: { scope } })) {
      st.arms.set(a.arm, { pulls: a.pulls, sumQuality: a.sumQuality, sumCost: a.sumCost, sumReward: a.sumReward });
    }
    return st;
  }

  /**
   * Every answered decision's realised cost (the expected one when the router did not report
   * it), when it is answered, whether or not feedback ever comes. Returns the scope's lambda
   * afterwards: the fleet pacer's, or `current` without a budget.
   */
  onDecision(costUsd: number, at: Date | number, current: number): number {
    this.decisionsRecorded += 1;
    this.fleet.record(costUsd, at);
    return this.pacer ? this.pacer.record(costUsd) : current;
  }

  /**
   * What evaluating an answer cost (an LLM judge's call): money out of the same budget, so it
   * is filed and paced like a decision's cost, but it is not a query. Returns the lambda, as
   * onDecision does.
   */
  onEvaluation(costUsd: number, at: Date | number, current: number): number {
    this.fleet.record(costUsd, at, 0);
    return this.pacer ? this.pacer.settle(0, costUsd) : current;
  }

  /** The per-query budget to publish with the next snapshot (damped); undefined when only BUDGET_PER_QUERY_USD binds. */
  budgetPerQueryUsd(now: Date | number): number | undefined {
    const b = this.fleet.update(now);
    return b === null || this.fleet.remaining(now) === null ? undefined : b;
  }

  /** What every policy snapshot says of the scope's pacing: the fleet pacer, the per-query budget, the decision count. */
  snapshotPacing(now: Date | number) {
    return {
      pacer: this.pacerState(),
      budgetPerQueryUsd: this.budgetPerQueryUsd(now),
      decisionsRecorded: this.decisionsRecorded,
    };
  }

  pacerState(): StoredPacing {
    return { version: 2, pacer: this.pacer?.toState() ?? null, fleet: this.fleet.toState() };
  }

  onReward(arm: string, quality: number, cost: number, reward: number): void {
    this.rewardsApplied += 1;
    this.cumulativeReward += reward;
    this.cumulativeCost += cost;
    this.rewardSumSq += reward * reward;
    const a = this.arms.get(arm) ?? { pulls: 0, sumQuality: 0, sumCost: 0, sumReward: 0 };
    a.pulls += 1;
    a.sumQuality += quality;
    a.sumCost += cost;
    a.sumReward += reward;
    this.arms.set(arm, a);
  }

  variance(): number {
    const n = this.rewardsApplied;
    if (n < 2) return 0;
    const mean = this.cumulativeReward / n;
    return Math.max(0, (this.rewardSumSq - n * mean * mean) / (n - 1));
  }

  event(
    decisionId: string,
    arm: string,
    quality: number,
    costUsd: number,
    lambda: number,
    reward: number,
  ): RewardEvent {
    return {
      scope: this.scope,
      decisionId,
      arm,
      quality,
      costUsd,
      lambda,
      reward,
      rewardsApplied: this.rewardsApplied,
      cumulativeReward: this.cumulativeReward,
      cumulativeCostUsd: this.cumulativeCost,
      rewardVariance: this.variance(),
      arms: this.armSummary(),
      ts: new Date().toISOString(),
    };
  }

  armSummary(): RewardEvent['arms'] {
    const out: RewardEvent['arms'] = {};
    for (const [arm, a] of this.arms) {
      out[arm] = {
        pulls: a.pulls,
        meanReward: a.sumReward / a.pulls,
        meanQuality: a.sumQuality / a.pulls,
        meanCost: a.sumCost / a.pulls,
      };
    }
    return out;
  }

  summary() {
    return {
      rewardsApplied: this.rewardsApplied,
      cumulativeReward: this.cumulativeReward,
      cumulativeCostUsd: this.cumulativeCost,
      rewardVariance: this.variance(),
      lambda: this.pacer?.lambda ?? null,
      arms: this.armSummary(),
    };
  }
}

/**
 * The stored pacing, whatever its vintage: version 2 as written now, or a BudgetPacer state
 * from before pacing moved to the routers (its lambda carries over as the starting point).
 */
function readStored(stored: unknown): {
  pacer: QueryPacerState | null;
  fleet: FleetBudgetState | null;
  lambda?: number;
} {
  if (!stored || typeof stored !== 'object') return { pacer: null, fleet: null };
  const s = stored as Partial<StoredPacing> & Partial<BudgetPacerState>;
  if (s.version === 2) return { pacer: s.pacer ?? null, fleet: s.fleet ?? null };
  if (s.version === 1 && typeof s.lambda === 'number')
    return { pacer: null, fleet: null, lambda: BudgetPacer.fromState(s as BudgetPacerState).lambda };
  return { pacer: null, fleet: null };
}
