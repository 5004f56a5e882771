import { createDatabase } from '@llm-router/infra';

/** A fresh database on the shared server for one test file, so files never see each other's rows. */
export async function freshDatabase(prefix = 't'): Promise<string> {
  const base = process.env['DATABASE_URL'];
  if (!base) throw new Error('DATABASE_URL is not set: run integration tests through `npm test`');
  return createDatabase(base, prefix);
}
