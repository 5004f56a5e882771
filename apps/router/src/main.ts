import { kafkaMicroserviceOptions } from '@llm-router/kafka';
import { runMain, startService } from '@llm-router/service';
import { loadRouterConfig } from './config';
import { RouterModule } from './app.module';

runMain(async () => {
  const config = loadRouterConfig();
  await startService(RouterModule.forRoot(config), {
    name: 'router',
    description: 'Routes each query to one of k LLMs and learns online from feedback (OpenAI-compatible API)',
    httpPort: config.HTTP_PORT,
    microservice: (log) =>
      kafkaMicroserviceOptions(
        { brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID },
        config.QUERIES_GROUP_ID,
        log,
      ),
  });
});
