import { DynamicModule, Module } from '@nestjs/common';
import { REPLICA_OPTIONS, ReplicaOptions, ReplicaService } from './replica.service';

/** Gives a service (router, batch-planner) a live replica of prices, catalog and policies. */
@Module({})
export class ReplicaModule {
  static forRoot(options: ReplicaOptions): DynamicModule {
    return {
      module: ReplicaModule,
      providers: [{ provide: REPLICA_OPTIONS, useValue: options }, ReplicaService],
      exports: [ReplicaService],
    };
  }
}
