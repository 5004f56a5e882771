import { DynamicModule, Module } from '@nestjs/common';
import { KafkaModule } from '@llm-router/kafka';
import { PersistenceModule } from '@llm-router/persistence';
import { kafkaConnectionOf, HealthRegistry, operatorAccessGuardProvider, ServiceCoreModule } from '@llm-router/service';
import { PriceWatcherConfig } from './config';
import { PriceBookService } from './price-book/price-book.service';
import { PRICE_STORE, TypeOrmPriceStore } from './price-book/price-store';
import { PricesController } from './price-book/prices.controller';
import { FileSource } from './sources/file-source';
import { OpenRouterSource } from './sources/openrouter-source';
import { AdminController } from './sources/admin.controller';
import { AdminTokenGuard } from './sources/admin.guard';
import {
  FRONTIER_OPTIONS,
  FrontierService,
  POLICY_SOURCE,
  policyQualities,
  QUALITY_ESTIMATOR,
} from './frontier/frontier.service';
import { StoredPolicySource } from './frontier/policy-store';
import { PolicyUpdatesController } from './frontier/policy-updates.controller';
import { FrontierController } from './frontier/frontier.controller';

@Module({})
export class PriceWatcherModule {
  static forRoot(config: PriceWatcherConfig): DynamicModule {
    return {
      module: PriceWatcherModule,
      imports: [
        ServiceCoreModule.forRoot('price-watcher', config),
        KafkaModule.forRoot(kafkaConnectionOf(config)),
        PersistenceModule.forRootAsync({ useFactory: () => ({ databaseUrl: config.DATABASE_URL }) }),
      ],
      controllers: [PricesController, AdminController, FrontierController, PolicyUpdatesController],
      providers: [
        { provide: PRICE_STORE, useClass: TypeOrmPriceStore },
        { provide: POLICY_SOURCE, useClass: StoredPolicySource },
        { provide: QUALITY_ESTIMATOR, useValue: policyQualities },
        { provide: FRONTIER_OPTIONS, useValue: { tokensPerCall: config.FRONTIER_TOKENS_PER_CALL } },
        PriceBookService,
        FrontierService,
        AdminTokenGuard,
        operatorAccessGuardProvider,
        // Sources after the price book: their first read happens at bootstrap, once Postgres' prices are loaded.
        FileSource,
        OpenRouterSource,
        {
          provide: 'PRICE_BOOK_HEALTH',
          inject: [HealthRegistry, PriceBookService],
          useFactory: (health: HealthRegistry, book: PriceBookService) => {
            health.register('price-book', () => ({ ok: book.status().loaded, ...book.status() }));
            return true;
          },
        },
      ],
    };
  }
}
