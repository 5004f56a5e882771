import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { Logger as RootLogger } from 'pino';
import { MicroserviceOptions } from '@nestjs/microservices';
import { ConfigError } from './config';
import { logRequestLines } from './request-line';
import { ROOT_LOGGER } from './service-core.module';

export interface StartOptions {
  name: string;
  description: string;
  httpPort: number;
  /**
   * The Kafka side of the hybrid app: options for @nestjs/microservices, given the root
   * logger so that kafkajs logs as structured JSON too.
   */
  microservice?: (log: RootLogger) => MicroserviceOptions;
}

/** Starts a service: pino logs, OpenAPI at /docs, shutdown hooks, HTTP on the configured port. */
export async function startService(
  module: Type<unknown> | DynamicModule,
  opts: StartOptions,
): Promise<INestApplication> {
  const app = await NestFactory.create(module, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  const root = app.get<RootLogger>(ROOT_LOGGER);
  logRequestLines(app.getHttpServer(), root);
  app.enableShutdownHooks();
  const doc = new DocumentBuilder()
    .setTitle(opts.name)
    .setDescription(opts.description)
    .setVersion('1.0')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc));
  if (opts.microservice) {
    app.connectMicroservice(opts.microservice(root), { inheritAppConfig: true });
    await app.startAllMicroservices();
  }
  await app.listen(opts.httpPort, '0.0.0.0');
  app.get(Logger).log(`${opts.name} listening on :${opts.httpPort} (OpenAPI at /docs, metrics at /metrics)`);
  return app;
}

/** main.ts entry: a configuration error prints one clear message and exits 1, without a stack. */
export function runMain(start: () => Promise<unknown>): void {
  start().catch((e: unknown) => {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
    } else {
      process.stderr.write(`fatal: ${(e as Error)?.stack ?? String(e)}\n`);
    }
    process.exit(1);
  });
}
