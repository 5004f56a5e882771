import { INestApplication } from '@nestjs/common';
import { kafkaMicroserviceOptions } from '@llm-router/kafka';
import { startService } from '@llm-router/service';
import { RouterModule } from '../../apps/router/src/app.module';
import { loadRouterConfig } from '../../apps/router/src/config';
import { AggregatorModule } from '../../apps/reward-aggregator/src/app.module';
import { loadAggregatorConfig } from '../../apps/reward-aggregator/src/config';
import { PlannerModule } from '../../apps/batch-planner/src/app.module';
import { loadPlannerConfig } from '../../apps/batch-planner/src/config';
import { PriceWatcherModule } from '../../apps/price-watcher/src/app.module';
import { loadPriceWatcherConfig } from '../../apps/price-watcher/src/config';

export interface StackOptions {
  databaseUrl: string;
  dataPath: string;
  modelsPath: string;
  routers?: number;
  aggregators?: number;
  planner?: boolean;
  env?: Record<string, string>;
}

export interface Stack {
  routers: INestApplication[];
  aggregators: INestApplication[];
  priceWatcher: INestApplication;
  planner?: INestApplication;
  url(app: INestApplication): Promise<string>;
  /** Closes the batch planner and starts a new one on the same configuration (what a restart does). */
  restartPlanner(): Promise<INestApplication>;
  stop(): Promise<void>;
}

/**
 * The four services in this process, each a real Nest hybrid app on the real broker and
 * database (the NestJS integration-test style: same modules as main.ts, ephemeral ports).
 */
export async function startStack(o: StackOptions): Promise<Stack> {
  const env = {
    KAFKA_BROKERS: process.env['KAFKA_BROKERS']!,
    DATABASE_URL: o.databaseUrl,
    HTTP_PORT: '0',
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'error',
    ROUTER_POLICY: 'random',
    PROVIDER: 'replay',
    REPLAY_DATASET: o.dataPath,
    PRICES_FILE: o.modelsPath,
    ADMIN_TOKEN: 'test-admin-token',
    // Tests that check access control override it; the others exercise routing, not keys.
    ALLOW_NO_AUTH: 'true',
    SNAPSHOT_DEBOUNCE_MS: '100',
    SNAPSHOT_APPLY_MS: '200',
    BATCH_WINDOW_MS: '500',
    ...o.env,
  };
  const apps: INestApplication[] = [];
  const start = async (name: string, module: Parameters<typeof startService>[0], groupId?: string) => {
    const app = await startService(module, {
      name,
      description: name,
      httpPort: 0,
      microservice: groupId
        ? (log) => kafkaMicroserviceOptions({ brokers: env.KAFKA_BROKERS.split(','), clientId: name }, groupId, log)
        : undefined,
    });
    apps.push(app);
    return app;
  };
  const pwConfig = loadPriceWatcherConfig(env);
  const priceWatcher = await start('price-watcher', PriceWatcherModule.forRoot(pwConfig), 'price-watcher');
  const aggregators: INestApplication[] = [];
  for (let i = 0; i < (o.aggregators ?? 1); i++) {
    aggregators.push(
      await start(
        `reward-aggregator-${i}`,
        AggregatorModule.forRoot(loadAggregatorConfig({ ...env, KAFKA_CLIENT_ID: `reward-aggregator-${i}` })),
      ),
    );
  }
  const routers: INestApplication[] = [];
  for (let i = 0; i < (o.routers ?? 1); i++) {
    const c = loadRouterConfig({ ...env, KAFKA_CLIENT_ID: `router-${i}` });
    // The router consumes llm.queries itself (QueryBatchConsumer): no Nest Kafka transport, whose
    // idle member in the same group would be assigned partitions it never reads.
    routers.push(await start(`router-${i}`, RouterModule.forRoot(c)));
  }
  const startPlanner = () => {
    const c = loadPlannerConfig(env);
    return start('batch-planner', PlannerModule.forRoot(c), c.PLANNER_GROUP_ID);
  };
  const stack: Stack = {
    routers,
    aggregators,
    priceWatcher,
    planner: o.planner ? await startPlanner() : undefined,
    url: async (app) => (await app.getUrl()).replace('[::1]', '127.0.0.1'),
    restartPlanner: async () => {
      const old = stack.planner;
      if (old) {
        await old.close();
        apps.splice(apps.indexOf(old), 1);
      }
      return (stack.planner = await startPlanner());
    },
    stop: async () => {
      for (const app of apps.reverse()) await app.close().catch(() => undefined);
    },
  };
  return stack;
}
