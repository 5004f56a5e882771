import { Inject, Injectable } from '@nestjs/common';
import { kindCounts, type PromptKind } from '@llm-router/batch';
import { costLevel } from '@llm-router/pricing';
import { ReplicaService } from '@llm-router/replica';
import { APP_CONFIG } from '@llm-router/service';
import { PlannerConfig } from '../config';
import { ModelBills, SpendStore } from './spend-store';
import { KindCostInput, PeriodBudgetState, periodBudget, periodKey, reconciledSpend } from './window-problem';

/** What the period's books say for one round of a scope: its ledger, its bills, and the budget they leave. */
export interface PeriodBooks {
  period: string;
  billed: Record<string, ModelBills>;
  state: PeriodBudgetState;
  /** Per model: its last BATCH_COST_LEVEL_CALLS bills this period. */
  recent: Record<string, ModelBills>;
  /** Per model: realised over expected cost on its recent bills (1 without any). */
  costLevelOf: (model: string) => number;
  /** Whether `model` has a bill this period: before one, its expected cost is the price list's guess. */
  hasBill: (model: string) => boolean;
}

/**
 * Reads a scope's books for the period a round is planned in (spend_ledger, batch_bills): the
 * budget left, each model's cost level, which models are billed, and the bills per kind of prompt
 * (BATCH_KIND_COSTS). Read again for every round: another instance, or the bills of the round
 * before, may have moved them.
 */
@Injectable()
export class PeriodBooksReader {
  /** The warm-start file's prompts per kind key, counted at first use (the file is read once at start). */
  private warmKinds?: Map<string, number>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: PlannerConfig,
    private readonly spend: SpendStore,
    private readonly replica: ReplicaService,
  ) {}

  /** The books of `scope` for a round of `windowQueries` queries planned at `now`. */
  async read(scope: string, windowQueries: number, now: number): Promise<PeriodBooks> {
    const c = this.config;
    const period = periodKey(c.BATCH_BUDGET_PERIOD, now);
    const ledger = await this.spend.read(scope, period);
    const billed = await this.spend.billed(scope, period);
    const state = periodBudget({
      periodBudgetUsd: c.BATCH_BUDGET_USD,
      period: c.BATCH_BUDGET_PERIOD,
      spentUsd: reconciledSpend(ledger.spentUsd, billed),
      queries: ledger.queries,
      expectedQueriesPerPeriod: c.BATCH_EXPECTED_QUERIES,
      paceBy: c.BATCH_PACE_BY,
      windowSize: windowQueries,
      now,
    });
    // The replica's cost model does not learn usage; the bills of this period's windows do,
    // measured against the costs before the level, as the replay's calibration measures them.
    const recent = await this.spend.recentBills(scope, period, c.BATCH_COST_LEVEL_CALLS);
    const costLevelOf = (m: string) =>
      recent[m]
        ? costLevel({ realisedUsd: recent[m].realisedUsd, expectedUsd: recent[m].baseUsd, calls: recent[m].calls })
        : 1;
    return { period, billed, state, recent, costLevelOf, hasBill: (m) => (billed[m]?.calls ?? 0) > 0 };
  }

  /** The period's bills of `scope` on the kinds of prompt `kinds`: what BATCH_KIND_COSTS prices them on. */
  async kindCosts(
    scope: string,
    books: { period: string; recent: KindCostInput['recent'] },
    kinds: readonly PromptKind[],
  ): Promise<KindCostInput> {
    this.warmKinds ??= kindCounts(this.replica.warmStartPrompts());
    const [bills, promptBills] = await Promise.all([
      this.spend.kindBills(scope, books.period, kinds),
      this.spend.promptBills(
        scope,
        books.period,
        kinds.map((k) => k.prompt),
      ),
    ]);
    return { bills, promptBills, warmStart: this.warmKinds, recent: books.recent };
  }
}
