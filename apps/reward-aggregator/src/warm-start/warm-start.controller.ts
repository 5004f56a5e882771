import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  HttpCode,
  Inject,
  Param,
  Post,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { existsSync, readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { DatasetRow, parseDataset, Topic } from '@llm-router/contracts';
import { EngineRegistry, warmStartEngine } from '@llm-router/engine';
import { QueryFeaturizer } from '@llm-router/features';
import { MessageProducer } from '@llm-router/kafka';
import {
  AdminTokenGuard,
  APP_CONFIG,
  OwnAccessControl,
  policyOptionsFromEnv,
  ScopeParamPipe,
} from '@llm-router/service';
import { AggregatorConfig } from '../config';

const WarmStartBody = z
  .object({
    /** A reward file (the replay's JSONL) readable by this aggregator. */
    path: z.string().min(1).optional(),
    /** Or the rows themselves. */
    rows: z.array(z.unknown()).min(1).optional(),
  })
  .refine((b) => (b.path === undefined) !== (b.rows === undefined), 'give either path or rows');

/**
 * Primes a scope from offline rows, as WARM_START_FILE does at a scope's first use and as
 * `replay --warm-start` primes the replay: once. A scope that already has stored state (it
 * has learned, or was primed) answers 409: priming again would count the offline rows twice.
 * The primed state is written as the scope's first policy_state row (INSERT ... ON CONFLICT DO
 * NOTHING decides the race with the ledger, whose own first write then finds it and reloads)
 * and published to the routers.
 */
@ApiTags('admin')
@ApiBearerAuth()
@OwnAccessControl()
@UseGuards(AdminTokenGuard)
@Controller('admin/scopes')
export class WarmStartController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AggregatorConfig,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly producer: MessageProducer,
  ) {}

  @Post(':scope/warm-start')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Prime a scope that has no state yet from a reward file (path) or rows; 409 if it has state',
  })
  @ApiBody({ schema: { example: { path: '/data/warm.jsonl' } } })
  async warmStart(@Param('scope', ScopeParamPipe) scope: string, @Body() body: unknown) {
    const b = WarmStartBody.safeParse(body);
    if (!b.success) throw new BadRequestException(b.error.issues.map((i) => i.message).join('; '));
    const rows = this.rows(b.data);
    const engine = new EngineRegistry(
      policyOptionsFromEnv(this.config),
      new QueryFeaturizer({ dim: this.config.FEATURE_DIM }),
    ).get(scope);
    warmStartEngine(engine, rows);
    engine.version = 1;
    const state = engine.snapshotState();
    const inserted: unknown[] = await this.ds.query(
      `INSERT INTO policy_state (scope, algorithm, version, state, lambda, pacer, rewards_applied, cumulative_reward, cumulative_cost_usd, reward_sum_sq, updated_at)
       VALUES ($1,$2,1,$3,$4,NULL,0,0,0,0, now()) ON CONFLICT (scope) DO NOTHING RETURNING scope`,
      [scope, engine.policy.algorithm, JSON.stringify(state), engine.lambda],
    );
    if (inserted.length === 0)
      throw new ConflictException(`scope ${scope} already has learned state: it is not primed again`);
    await this.producer.send(Topic.PolicyUpdates, {
      scope,
      version: 1,
      algorithm: engine.policy.algorithm,
      state,
      lambda: engine.lambda,
      rewardsApplied: 0,
      ts: new Date().toISOString(),
    });
    return { scope, algorithm: engine.policy.algorithm, rows: rows.length, arms: engine.policy.arms(), version: 1 };
  }

  private rows(b: { path?: string; rows?: unknown[] }): DatasetRow[] {
    try {
      if (b.path !== undefined) {
        if (!existsSync(b.path)) throw new Error(`${b.path} not found`);
        return parseDataset(readFileSync(b.path, 'utf8'));
      }
      return parseDataset((b.rows ?? []).map((r) => JSON.stringify(r)).join('\n'));
    } catch (e) {
      throw new BadRequestException(`warm-start rows: ${(e as Error).message}`);
    }
  }
}
