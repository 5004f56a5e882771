import { DynamicModule, Module } from '@nestjs/common';
import { KafkaModule } from '@llm-router/kafka';
import { PersistenceModule } from '@llm-router/persistence';
import { ReplicaModule } from '@llm-router/replica';
import {
  kafkaConnectionOf,
  operatorAccessGuardProvider,
  policyOptionsFromEnv,
  ServiceCoreModule,
} from '@llm-router/service';
import { PlannerConfig } from './config';
import { PlannerService } from './planner/planner.service';
import { ResidualCorrection } from './planner/residual-correction.service';
import { BatchRequestsController } from './planner/batch-requests.controller';
import { OutcomeStore } from './planner/outcome-store';
import { PendingQueries } from './planner/pending-queries.service';
import { PendingStore } from './planner/pending-store';
import { PeriodBooksReader } from './planner/period-books.service';
import { ResidualStore } from './planner/residual-store';
import { SpendStore } from './planner/spend-store';

@Module({})
export class PlannerModule {
  static forRoot(config: PlannerConfig): DynamicModule {
    return {
      module: PlannerModule,
      imports: [
        ServiceCoreModule.forRoot('batch-planner', config),
        KafkaModule.forRoot(kafkaConnectionOf(config)),
        PersistenceModule.forRootAsync({ useFactory: () => ({ databaseUrl: config.DATABASE_URL }) }),
        ReplicaModule.forRoot({
          service: 'batch-planner',
          ...policyOptionsFromEnv(config),
          warmStartFile: config.WARM_START_FILE,
        }),
      ],
      controllers: [BatchRequestsController],
      providers: [
        PlannerService,
        PendingQueries,
        PeriodBooksReader,
        ResidualCorrection,
        SpendStore,
        PendingStore,
        OutcomeStore,
        ResidualStore,
        operatorAccessGuardProvider,
      ],
    };
  }
}
