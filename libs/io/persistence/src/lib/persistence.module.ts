import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrations } from './data-source';

export interface PersistenceModuleOptions {
  /** Resolved from the app's validated config. */
  useFactory: (...args: any[]) => { databaseUrl: string } | Promise<{ databaseUrl: string }>;
  inject?: any[];
  imports?: any[];
}

/** TypeORM on PostgreSQL for a Nest app: connects, runs pending migrations (under a lock), exposes repositories. */
@Module({})
export class PersistenceModule {
  static forRootAsync(options: PersistenceModuleOptions): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          imports: options.imports,
          inject: options.inject,
          useFactory: async (...args: unknown[]) => {
            const { databaseUrl } = await options.useFactory(...args);
            return { ...dataSourceOptions(databaseUrl, { migrationsRun: false }), retryAttempts: 5, retryDelay: 1000 };
          },
          dataSourceFactory: async (opts) => {
            const ds = new DataSource(opts!);
            await ds.initialize();
            await runMigrations(ds);
            return ds;
          },
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
