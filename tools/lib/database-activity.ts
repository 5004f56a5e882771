import type { Client } from 'pg';

/** Transactions (commits and rollbacks) and rows so far in the database the client is connected to. */
export async function databaseActivity(
  db: Client,
): Promise<Record<'transactions' | 'inserted' | 'updated' | 'deleted' | 'fetched', number>> {
  const { rows } = await db.query(
    `SELECT xact_commit + xact_rollback AS transactions, tup_inserted AS inserted, tup_updated AS updated,
            tup_deleted AS deleted, tup_fetched AS fetched
       FROM pg_stat_database WHERE datname = current_database()`,
  );
  const r = rows[0];
  return {
    transactions: Number(r.transactions),
    inserted: Number(r.inserted),
    updated: Number(r.updated),
    deleted: Number(r.deleted),
    fetched: Number(r.fetched),
  };
}
