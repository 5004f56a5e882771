import { runMain, startService } from '@llm-router/service';
import { loadRouterConfig } from './config';
import { RouterModule } from './app.module';

runMain(async () => {
  const config = loadRouterConfig();
  // Nest's shutdown hooks close the app on these signals; if Kafka or PostgreSQL does not
  // answer, closing could wait on them indefinitely, so the process exits at the bound anyway.
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      setTimeout(() => {
        process.stderr.write(`router: not stopped ${config.SHUTDOWN_TIMEOUT_MS} ms after ${signal}, exiting\n`);
        process.exit(1);
      }, config.SHUTDOWN_TIMEOUT_MS).unref();
    });
  // llm.queries is consumed by QueryBatchConsumer (kafkajs eachBatch), not Nest's Kafka transport.
  await startService(RouterModule.forRoot(config), {
    name: 'router',
    description: 'Routes each query to one of k LLMs and learns online from feedback (OpenAI-compatible API)',
    httpPort: config.HTTP_PORT,
  });
});
