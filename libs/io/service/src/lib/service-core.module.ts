import { DynamicModule, Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG, BaseConfig } from './config';
import { HealthController, HealthRegistry } from './health';
import { MetricsController, MetricsService } from './metrics';

/** What every service has: validated config, structured logs, /health and /metrics. */
@Global()
@Module({})
export class ServiceCoreModule {
  static forRoot<C extends BaseConfig>(service: string, config: C): DynamicModule {
    return {
      module: ServiceCoreModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            name: service,
            level: config.LOG_LEVEL,
            autoLogging: false,
            // Request-bound log lines carry the headers: never the admin token or a client's API key.
            redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'],
            transport: process.stdout.isTTY ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
          },
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [{ provide: APP_CONFIG, useValue: config }, HealthRegistry, MetricsService],
      exports: [APP_CONFIG, HealthRegistry, MetricsService],
    };
  }
}
