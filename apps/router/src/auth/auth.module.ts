import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AdminTokenGuard, operatorAccessGuardProvider } from '@llm-router/service';
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
 * It uses the router's PostgreSQL connection (PersistenceModule in RouterModule, which also
 * runs the migrations that create its tables).
 */
@Module({})
export class AuthModule {
  static forRoot(): DynamicModule {
    return {
      module: AuthModule,
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
