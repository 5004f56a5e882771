import { kafkaMicroserviceOptions } from '@llm-router/kafka';
import { kafkaConnectionOf, runMain, startService } from '@llm-router/service';
import { loadPlannerConfig } from './config';
import { PlannerModule } from './app.module';

runMain(async () => {
  const config = loadPlannerConfig();
  await startService(PlannerModule.forRoot(config), {
    name: 'batch-planner',
    description: 'Routes queries that may wait in windows, as one assignment per window under budget and concurrency',
    httpPort: config.HTTP_PORT,
    microservice: (log) => kafkaMicroserviceOptions(kafkaConnectionOf(config), config.PLANNER_GROUP_ID, log),
  });
});
