import { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * The pg pool under TypeORM's data source (PersistenceModule ran the migrations): the access
 * checks are a few statements each on the request path, written as SQL with plain pg results.
 */
export const ACCESS_DB = Symbol('ACCESS_DB');
export type AccessDb = Pool;

export const accessDbProvider: Provider = {
  provide: ACCESS_DB,
  inject: [getDataSourceToken()],
  useFactory: (ds: DataSource): AccessDb => (ds.driver as PostgresDriver).master as Pool,
};

/** Runs fn in a transaction; rolls back when it throws. */
export async function inTransaction<T>(db: AccessDb, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await db.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}
