import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { PersistenceModule } from '@llm-router/persistence';
import { AdminTokenGuard, operatorAccessGuardProvider } from '@llm-router/service';
import type { RouterConfig } from '../config';
import { Admission } from './admission';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysController } from './api-keys.controller';
import { BodyLimit } from './body-limit';
import { BudgetCap } from './budget-cap';
import { accessDbProvider } from './database';
import { DecisionOwners } from './decision-owners';
import { KeyStore } from './key-store';
import { AccessMaintenance } from './maintenance';
import { OpenAiErrorFilter } from './openai-errors';
import { RateLimiter } from './rate-limiter';

/**
 * The router's access control: API keys, rate limits, budget caps, decision owners (all in
 * PostgreSQL, shared by the replicas), the body limit, OpenAI-format errors under /v1, and the
 * operator guard on /metrics. apps/router/README.md, "Security", says what each one does.
 */
@Module({})
export class AuthModule {
  static forRoot(config: RouterConfig): DynamicModule {
    return {
      module: AuthModule,
      imports: [PersistenceModule.forRootAsync({ useFactory: () => ({ databaseUrl: config.DATABASE_URL }) })],
      controllers: [ApiKeysController],
      providers: [
        accessDbProvider,
        BodyLimit,
        KeyStore,
        RateLimiter,
        BudgetCap,
        DecisionOwners,
        Admission,
        ApiKeyGuard,
        AdminTokenGuard,
        AccessMaintenance,
        operatorAccessGuardProvider,
        { provide: APP_FILTER, useClass: OpenAiErrorFilter },
      ],
      exports: [KeyStore, ApiKeyGuard, Admission, BudgetCap],
    };
  }
}
