// Run: npm run -s infra -- run -- env SWC_NODE_PROJECT=tsconfig.typecheck.json node -r @swc-node/register libs/io/replica/examples/basic.ts
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Topic, validate } from '@llm-router/contracts';
import { KafkaModule, MessageProducer } from '@llm-router/kafka';
import {
  ServiceCoreModule,
  baseEnvSchema,
  kafkaConnectionOf,
  loadConfig,
  policyEnvShape,
  policyOptionsFromEnv,
} from '@llm-router/service';
import { ReplicaModule, ReplicaService } from '../src'; // in your code: '@llm-router/replica'

// A service that decides, as the router and the batch planner do: its replica follows the compacted
// model.prices, model.catalog and policy.updates topics. Nest resolves providers by their
// constructor types, so it runs as the services run (SWC emits the decorators' metadata; tsx does not).
const config = loadConfig('replica-example', baseEnvSchema('replica-example', 0).extend(policyEnvShape), {
  LOG_LEVEL: 'warn',
  ...process.env,
});

@Module({
  imports: [
    ServiceCoreModule.forRoot('replica-example', config),
    KafkaModule.forRoot(kafkaConnectionOf(config)),
    ReplicaModule.forRoot({ service: 'router', ...policyOptionsFromEnv(config) }),
  ],
})
class ExampleModule {}

async function main() {
  const app = await NestFactory.createApplicationContext(ExampleModule, { logger: false, abortOnError: false });
  await app.init();
  try {
    // What the price-watcher publishes: every replica applies it without a restart.
    const producer = app.get(MessageProducer);
    for (const [model, perM] of [
      ['example/small', 0.1],
      ['example/large', 10],
    ] as const) {
      await producer.send(Topic.Prices, {
        model,
        inputPerM: perM,
        outputPerM: perM,
        effectiveFrom: new Date().toISOString(),
        source: 'example',
      });
    }
    const replica = app.get(ReplicaService);
    const deadline = Date.now() + 60_000;
    while (!['example/large', 'example/small'].every((m) => replica.engines.models().includes(m))) {
      if (Date.now() > deadline) throw new Error('the prices did not reach the replica within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(
      'models in the replica:',
      replica.engines.models().filter((m) => m.startsWith('example/')),
    );

    const query = validate(Topic.Queries, {
      id: 'example-q1',
      scope: 'replica-example',
      messages: [{ role: 'user', content: 'Prove that sqrt(2) is irrational.' }],
    });
    if (!query.ok) throw query.error;
    const { event } = replica.engines.get('replica-example').decide(query.value);
    console.log('decided: %s (propensity %s)', event.arm, event.propensity.toFixed(3));
  } finally {
    await app.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
