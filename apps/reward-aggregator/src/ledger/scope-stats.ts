import { EntityManager } from 'typeorm';
import { RewardEvent } from '@llm-router/contracts';
import { BudgetPacer } from '@llm-router/pacing';
import { ArmStatsEntity, PolicyStateEntity } from '@llm-router/persistence';

interface ArmRunning {
  pulls: number;
  sumQuality: number;
  sumCost: number;
  sumReward: number;
}

/** Running figures of one scope (reward stream, /stats) and its budget pacer. */
export class ScopeStats {
  rewardsApplied = 0;
  cumulativeReward = 0;
  cumulativeCost = 0;
  rewardSumSq = 0;
  readonly arms = new Map<string, ArmRunning>();

  private constructor(
    readonly scope: string,
    private readonly pacer: BudgetPacer | null,
  ) {}

  static empty(scope: string, budgetPerQuery?: number, pacerState?: unknown): ScopeStats {
    let pacer: BudgetPacer | null = null;
    if (budgetPerQuery !== undefined) {
      pacer = pacerState ? BudgetPacer.fromState(pacerState as never) : new BudgetPacer({ target: budgetPerQuery });
      pacer.setTarget(budgetPerQuery);
    }
    return new ScopeStats(scope, pacer);
  }

  static async load(
    em: EntityManager,
    scope: string,
    row: PolicyStateEntity,
    budgetPerQuery?: number,
  ): Promise<ScopeStats> {
    const st = ScopeStats.empty(scope, budgetPerQuery, row.pacer ?? undefined);
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
   * Spend is known at decision time; the pacer sees it then, not when (or whether) feedback
   * comes. Returns the scope's lambda afterwards: the pacer's, or `current` without a budget.
   */
  onDecision(costUsd: number, current: number): number {
    return this.pacer ? this.pacer.update(costUsd) : current;
  }

  pacerState(): unknown {
    return this.pacer ? this.pacer.toState() : null;
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
