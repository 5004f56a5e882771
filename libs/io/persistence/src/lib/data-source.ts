import { DataSource, DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/** TypeORM options shared by every service and tool: migrations run at start, never synchronize. */
export function dataSourceOptions(databaseUrl: string, overrides: Partial<DataSourceOptions> = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    // Several services start at once against one database: each runs pending migrations
    // in its own transaction, and the advisory lock below serialises them.
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error'],
    extra: { max: 10 },
    ...overrides,
  } as DataSourceOptions;
}

/**
 * Opens a connection and applies pending migrations under a Postgres advisory lock, so that
 * four services starting together do not race to create the same tables.
 */
export async function openDataSource(databaseUrl: string): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions(databaseUrl, { migrationsRun: false }));
  await ds.initialize();
  await runMigrations(ds);
  return ds;
}

export const MIGRATION_LOCK_KEY = 724_011;

export async function runMigrations(ds: DataSource): Promise<void> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
