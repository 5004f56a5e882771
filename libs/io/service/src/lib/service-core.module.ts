import { DynamicModule, Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { pino } from 'pino';
import { APP_CONFIG, BaseConfig } from './config';
import { HealthController, HealthRegistry } from './health';
import { MetricsController, MetricsService } from './metrics';

/** Paths of a logged request's secrets: never the admin token or a client's API key. */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'];

/** The service's root pino logger (the one PinoLogger writes to). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** What every service has: validated config, structured logs, /health and /metrics. */
@Global()
@Module({})
export class ServiceCoreModule {
  static forRoot<C extends BaseConfig>(service: string, config: C): DynamicModule {
    // One root logger, no per-request child logger: pino-http's middleware and its
    // AsyncLocalStorage context cost about a tenth of the router's CPU per request
    // (docs/decisions/0029). A line about a request names the request itself (requestLine).
    const logger = pino({
      name: service,
      level: config.LOG_LEVEL,
      redact: REDACTED_PATHS,
      transport: process.stdout.isTTY ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
    });
    return {
      module: ServiceCoreModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger }, forRoutes: [] })],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
        HealthRegistry,
        MetricsService,
      ],
      exports: [APP_CONFIG, ROOT_LOGGER, HealthRegistry, MetricsService],
    };
  }
}
