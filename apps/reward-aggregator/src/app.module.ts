import { DynamicModule, Module } from '@nestjs/common';
import { KafkaModule } from '@llm-router/kafka';
import { PersistenceModule } from '@llm-router/persistence';
import { kafkaConnectionOf, operatorAccessGuardProvider, ServiceCoreModule } from '@llm-router/service';
import { AggregatorConfig } from './config';
import { LedgerService } from './ledger/ledger.service';
import { RewardStreamService } from './streams/reward-stream.service';
import { AggregatorController } from './api/aggregator.controller';
import { DashboardModule } from './dashboard/dashboard.module';
import { WarmStartController } from './warm-start/warm-start.controller';
import { PolicySwitchController } from './admin/policy-switch.controller';
import { PolicySwitchService } from './admin/policy-switch.service';
import { RetentionModule } from './retention/retention.module';
import { FeedbackReleaseService } from './feedback-selection/feedback-release.service';

@Module({})
export class AggregatorModule {
  static forRoot(config: AggregatorConfig): DynamicModule {
    return {
      module: AggregatorModule,
      imports: [
        ServiceCoreModule.forRoot('reward-aggregator', config),
        KafkaModule.forRoot(kafkaConnectionOf(config)),
        PersistenceModule.forRootAsync({ useFactory: () => ({ databaseUrl: config.DATABASE_URL }) }),
        DashboardModule,
        RetentionModule,
      ],
      controllers: [AggregatorController, WarmStartController, PolicySwitchController],
      providers: [
        LedgerService,
        RewardStreamService,
        PolicySwitchService,
        FeedbackReleaseService,
        operatorAccessGuardProvider,
      ],
    };
  }
}
