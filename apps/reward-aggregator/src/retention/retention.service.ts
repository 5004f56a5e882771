import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { DataSource, QueryRunner } from 'typeorm';
import { APP_CONFIG, MetricsService } from '@llm-router/service';
import { AggregatorConfig } from '../config';
import { PRUNE_RULES, PruneRule, pruneAgeS, pruneStatement, RETENTION_LOCK_KEY } from './prune-rules';

/** Rows deleted per table by one sweep. */
export type SweepResult = Record<string, number>;

/**
 * The data lifecycle's periodic job (docs/decisions/0022-data-lifecycle.md): every
 * RETENTION_SWEEP_S, the instance that gets the advisory lock deletes the rows older than
 * RETENTION_DAYS, RETENTION_BATCH_ROWS at a time. The others skip that round.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AggregatorConfig,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly log: PinoLogger,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    // First sweep at start, so that a service restarted more often than the period still sweeps.
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /**
   * Prunes every table once; null when another instance holds the lock (it is sweeping).
   * Public for tests and operators; the timer calls it too.
   */
  async sweep(): Promise<SweepResult | null> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      // A session lock, held on this connection for the whole sweep; the DELETEs run on it too.
      const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [RETENTION_LOCK_KEY]);
      if (!locked) return null;
      try {
        const result: SweepResult = {};
        for (const rule of PRUNE_RULES) {
          if (this.stopping) break;
          result[rule.table] = await this.prune(runner, rule);
        }
        return result;
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  }

  private async prune(runner: QueryRunner, rule: PruneRule): Promise<number> {
    const sql = pruneStatement(rule);
    const ageS = pruneAgeS(rule, this.config);
    const limit = this.config.RETENTION_BATCH_ROWS;
    const counter = this.metrics.counter(
      'aggregator_retention_deleted_total',
      'Rows deleted by the retention sweep (older than RETENTION_DAYS)',
      ['table'],
    );
    let total = 0;
    for (;;) {
      // TypeORM answers a DELETE with [rows, affected].
      const [, deleted]: [unknown[], number] = await runner.query(sql, [ageS, limit]);
      total += deleted;
      counter.inc({ table: rule.table }, deleted);
      if (deleted < limit || this.stopping) return total;
    }
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.sweep()
        .then((r) => {
          if (r === null) this.log.debug('retention sweep skipped: another instance holds the lock');
          else if (Object.values(r).some((n) => n > 0)) this.log.info({ deleted: r }, 'retention sweep');
        })
        .catch((e: Error) => this.log.error({ err: e.message }, 'retention sweep failed'))
        .finally(() => {
          if (!this.stopping) this.schedule(this.config.RETENTION_SWEEP_S * 1000);
        });
    }, delayMs);
    this.timer.unref();
  }
}
