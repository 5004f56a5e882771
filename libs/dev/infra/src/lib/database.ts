import { Client } from 'pg';

/**
 * Creates a database with a unique name on the server of `serverUrl` and returns its URL:
 * each test file or e2e run gets state of its own on a shared server.
 */
export async function createDatabase(serverUrl: string, prefix: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix))
    throw new Error(`database prefix must be a lower-case identifier, got "${prefix}"`);
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
