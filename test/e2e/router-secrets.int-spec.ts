import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { RunningService, startServiceProcess, stopServices } from '../../tools/lib/services';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { freshDatabase } from '../support/database';

const KEY = 'sk-test-secret-never-logged-0123456789';
const BAD_KEY = 'sk-test-guessed-never-logged-987654321';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** The router as a process (main.ts), as an operator runs it. */
describe('router process: secure by default, no secret in its logs', () => {
  const logDir = mkdtempSync(join(tmpdir(), 'router-secrets-'));
  const running: RunningService[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    const { dataPath } = writeSyntheticDataset(20);
    env = {
      KAFKA_BROKERS: process.env['KAFKA_BROKERS']!,
      DATABASE_URL: await freshDatabase('secrets'),
      REPLAY_DATASET: dataPath,
      LOG_LEVEL: 'debug',
      QUERIES_GROUP_ID: `router-secrets-${Date.now()}`,
    };
  });
  afterAll(() => stopServices(running));

  it('refuses to start without API keys, naming the variables', async () => {
    const start = startServiceProcess(
      { app: 'router', name: 'router-no-keys', env: { ...env, ALLOW_NO_AUTH: 'false' } },
      await freePort(),
      logDir,
    );
    await expect(start).rejects.toThrow(/exited with code 1/);
    const out = readFileSync(join(logDir, 'router-no-keys.log'), 'utf8');
    expect(out).toMatch(/router: invalid configuration/);
    expect(out).toMatch(/ROUTER_API_KEYS: no API key/);
    expect(out).toContain('ALLOW_NO_AUTH=true');
  });

  it("never writes a request's key to its log, accepted or refused", async () => {
    const router = await startServiceProcess(
      {
        app: 'router',
        name: 'router-keys',
        env: { ...env, ALLOW_NO_AUTH: 'false', ROUTER_API_KEYS: `${KEY}=default` },
      },
      await freePort(),
      logDir,
    );
    running.push(router);
    for (const key of [KEY, BAD_KEY]) {
      const res = await fetch(`${router.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(key === KEY ? 200 : 401);
    }
    await stopServices(running.splice(0));
    const log = readFileSync(router.logFile, 'utf8');
    // The lines of both requests are there, with their headers redacted: the check below is not vacuous.
    expect(log).toContain('API key accepted');
    expect(log).toContain('unknown or revoked API key');
    expect(log).toContain('[Redacted]');
    expect(log).not.toContain(KEY);
    expect(log).not.toContain(BAD_KEY);
  });
});
