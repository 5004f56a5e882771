import { kafkaMicroserviceOptions } from '@llm-router/kafka';
import { kafkaConnectionOf, runMain, startService } from '@llm-router/service';
import { loadPriceWatcherConfig } from './config';
import { PriceWatcherModule } from './app.module';

runMain(async () => {
  const config = loadPriceWatcherConfig();
  await startService(PriceWatcherModule.forRoot(config), {
    name: 'price-watcher',
    description:
      'Model prices from a watched file, an OpenRouter-format feed and an admin API: validated, kept in Postgres, ' +
      'published to model.prices / model.catalog, with the Pareto frontier per scope on pareto.frontier',
    httpPort: config.HTTP_PORT,
    // policy.updates feeds the frontier's quality axis; a single consumer group, because
    // price-watcher runs as one instance (it is the only writer of the price history).
    microservice: (log) => kafkaMicroserviceOptions(kafkaConnectionOf(config), config.POLICY_GROUP_ID, log),
  });
});
