import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerAvailable, freePort, Infrastructure, startInfrastructure } from '@llm-router/infra';
import { RunningService, startServiceProcess } from '../../tools/lib/services';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';

/** How long the test waits for the process to end: generous, it checks that it ends, not how fast. */
const EXIT_WAIT_MS = 180000;

/**
 * SIGTERM must end the router even when its broker is gone with a send pending. The file
 * starts its own Kafka and PostgreSQL (not the shared ones) so that it can stop them.
 */
describe('router shutdown with the broker unreachable', () => {
  let infra: Infrastructure | undefined;
  let router: RunningService | undefined;

  afterAll(async () => {
    if (router && router.proc.exitCode === null && router.proc.signalCode === null) router.proc.kill('SIGKILL');
    await infra?.stop();
  });

  it('ends the process on SIGTERM while a Kafka send cannot be acknowledged', async () => {
    infra = await startInfrastructure({ mode: (await dockerAvailable()) ? 'docker' : 'local', partitionsCap: 3 });
    const data = writeSyntheticDataset(20);
    router = await startServiceProcess(
      {
        app: 'router',
        name: 'router-shutdown',
        env: {
          KAFKA_BROKERS: infra.kafkaBrokers.join(','),
          DATABASE_URL: infra.databaseUrl,
          REPLAY_DATASET: data.dataPath,
          ALLOW_NO_AUTH: 'true',
          LOG_LEVEL: 'warn',
        },
      },
      await freePort(),
      mkdtempSync(join(tmpdir(), 'llm-router-shutdown-')),
    );
    await infra.stop();
    // Feedback goes straight to the producer: a send that the dead broker never acknowledges.
    void fetch(`${router.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ decisionId: 'dec_0123456789abcdef', quality: 0.5 }),
    }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1000));

    const proc = router.proc;
    const exited = new Promise<string>((resolve) => proc.once('exit', (code, signal) => resolve(`${code}/${signal}`)));
    proc.kill('SIGTERM');
    const outcome = await Promise.race([
      exited,
      new Promise<string>((r) => setTimeout(() => r('still running'), EXIT_WAIT_MS).unref()),
    ]);
    expect(outcome).not.toBe('still running');
  }, 600000);
});
