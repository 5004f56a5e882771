import { runMain, startService } from '@llm-router/service';
import { loadAggregatorConfig } from './config';
import { AggregatorModule } from './app.module';

// The aggregator's Kafka consumption is transactional (offsets stored in Postgres with the
// state), which the @nestjs/microservices transport cannot do; see docs/decisions/0002.
runMain(async () => {
  const config = loadAggregatorConfig();
  await startService(AggregatorModule.forRoot(config), {
    name: 'reward-aggregator',
    description: 'Joins decisions and feedback, applies rewards to the policy state exactly once, streams rewards',
    httpPort: config.HTTP_PORT,
  });
});
