import { INestApplication } from '@nestjs/common';
import { startService } from '@llm-router/service';
import { AggregatorModule } from '../../apps/reward-aggregator/src/app.module';
import { loadAggregatorConfig } from '../../apps/reward-aggregator/src/config';
import { brokers } from './kafka-test-kit';

/**
 * One reward-aggregator in this process on the test broker and `databaseUrl`, with the
 * settings the aggregator tests share (thompson, quiet logs, /metrics open) and theirs on top.
 */
export async function startAggregator(
  databaseUrl: string,
  groupId: string,
  env: Record<string, string> = {},
  name = 'reward-aggregator',
): Promise<INestApplication> {
  const config = loadAggregatorConfig({
    KAFKA_BROKERS: brokers().join(','),
    DATABASE_URL: databaseUrl,
    HTTP_PORT: '0',
    LOG_LEVEL: 'error',
    ROUTER_POLICY: 'thompson',
    // The tests read /metrics, an operator endpoint: open without a token only in development mode.
    ALLOW_NO_AUTH: 'true',
    AGGREGATOR_GROUP_ID: groupId,
    ...env,
  });
  return startService(AggregatorModule.forRoot(config), { name, description: 'test', httpPort: 0 });
}
