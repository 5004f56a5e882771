import { Controller, Get, Inject, MessageEvent, NotFoundException, Param, Query, Sse } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { filter, from, map, merge, Observable } from 'rxjs';
import { PolicyStateEntity } from '@llm-router/persistence';
import { APP_CONFIG, ScopeParamPipe } from '@llm-router/service';
import { AggregatorConfig } from '../config';
import { LedgerService } from '../ledger/ledger.service';
import { RewardStreamService } from '../streams/reward-stream.service';

@ApiTags('policy')
@Controller()
export class AggregatorController {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AggregatorConfig,
    private readonly ledger: LedgerService,
    private readonly stream: RewardStreamService,
  ) {}

  @Get('policy/:scope')
  @ApiOperation({
    summary: 'The stored policy of a scope: version, algorithm, lambda, serialised statistics and per-arm estimates',
  })
  async policy(@Param('scope', ScopeParamPipe) scope: string) {
    const row = await this.ds.getRepository(PolicyStateEntity).findOne({ where: { scope } });
    if (!row) throw new NotFoundException(`no policy for scope "${scope}" yet`);
    const engine = this.ledger.engine(scope);
    const estimates = engine
      ? Object.fromEntries(engine.policy.arms().map((a) => [a, engine.policy.estimate({}, a)]))
      : undefined;
    return {
      scope,
      version: row.version,
      algorithm: row.algorithm,
      lambda: row.lambda,
      rewardsApplied: row.rewardsApplied,
      estimates,
      state: row.state,
      updatedAt: row.updatedAt,
    };
  }

  @Get('stats')
  @ApiOkResponse({
    description:
      "Per scope: rewards applied, cumulative reward and cost, per-arm pulls and means, from Postgres; the per-query cost target (BUDGET_PER_QUERY_USD, null when unset); learningDelay: this instance's time from a decision to the published snapshot that learnt its reward (p50, p99 in ms over the last 10 minutes; null before a reward)",
  })
  async stats() {
    const scopes = await this.ds.query(
      `SELECT scope, version, rewards_applied AS "rewardsApplied", cumulative_reward AS "cumulativeReward",
              cumulative_cost_usd AS "cumulativeCostUsd", lambda FROM policy_state ORDER BY scope`,
    );
    const arms = await this.ds.query(
      `SELECT scope, arm, pulls, sum_quality / GREATEST(pulls,1) AS "meanQuality", sum_cost / GREATEST(pulls,1) AS "meanCost",
              sum_reward / GREATEST(pulls,1) AS "meanReward" FROM arm_stats ORDER BY scope, arm`,
    );
    const [{ pending }] = await this.ds.query(`SELECT count(*)::int AS pending FROM pending_feedback`);
    const [{ decisions }] = await this.ds.query(`SELECT count(*)::int AS decisions FROM decisions`);
    const [{ rewards }] = await this.ds.query(`SELECT count(*)::int AS rewards FROM rewards`);
    // The target lets a dashboard draw the budget line (rewardsApplied x target) next to the spend.
    const budgetPerQueryUsd = this.config.BUDGET_PER_QUERY_USD ?? null;
    return {
      decisions,
      rewards,
      pendingFeedback: pending,
      budgetPerQueryUsd,
      scopes,
      arms,
      live: this.ledger.scopeStats(),
      learningDelay: await this.ledger.learningDelay(),
    };
  }

  @Sse('streams/rewards')
  @ApiQuery({ name: 'scope', required: false })
  @ApiOperation({ summary: 'Server-Sent Events: one reward event per applied reward (recent history first)' })
  rewards(@Query('scope') scope?: string): Observable<MessageEvent> {
    return merge(
      from(this.stream.history(scope)),
      this.stream.events$.pipe(filter((e) => !scope || e.scope === scope)),
    ).pipe(map((e) => ({ type: 'reward', data: e })));
  }
}
