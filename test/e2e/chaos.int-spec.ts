/**
 * A short chaos run as a user starts it (`npm run -s chaos -- --json`, here through tsx): its
 * own 3-broker KRaft cluster and PostgreSQL (it ignores KAFKA_BROKERS / DATABASE_URL: it
 * restarts them), the four services from sources, and a few of the faults: the router and the
 * aggregator (mid-batch) SIGKILLed, one broker SIGKILLed, PostgreSQL restarted. The invariants
 * come from the run's JSON line, which counts them from the PostgreSQL ledger.
 */
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { runTool } from '../support/run-tool';

const RUN_DEADLINE_MS = 600_000;

jest.setTimeout(RUN_DEADLINE_MS + 60_000);

const runChaos = (args: string[]) => runTool('tools/chaos/main.ts', args, RUN_DEADLINE_MS);

describe('npm run chaos', () => {
  it('prints its options with --help', async () => {
    const r = await runChaos(['--help']);
    expect(r.code).toBe(0);
    for (const option of ['--seed', '--duration', '--json', '--faults']) expect(r.stdout).toContain(option);
  });

  it('loses nothing and counts no reward twice through service kills, a broker kill and a PostgreSQL restart', async () => {
    const data = writeSyntheticDataset(300);
    const faults = ['router', 'mid-batch', 'kill-broker', 'restart-postgres'];
    const r = await runChaos([
      '--json',
      '--seed',
      '3',
      '--duration',
      '40',
      '--kills-per-service',
      '1',
      '--faults',
      faults.join(','),
      '--data',
      data.dataPath,
      '--models',
      data.modelsPath,
    ]);
    const last = r.stdout.trim().split('\n').pop() ?? '';
    if (!last.startsWith('{')) throw new Error(`no JSON line (exit ${r.code}); stderr:\n${r.stderr.slice(-4000)}`);
    const result = JSON.parse(last);

    expect(result.sent).toBeGreaterThan(100);
    expect(result.lost).toBe(0);
    expect(result.answered).toBeGreaterThanOrEqual(result.sent);
    expect(result.rewardsDoubleCounted).toBe(0);
    expect(result.feedbackSent).toBeGreaterThan(0);
    expect(result.rewardsApplied).toBe(result.feedbackSent);
    // The load's feedback comes from the dataset: labelled replay in the ledger.
    expect(result.rewardSources).toEqual({ replay: result.rewardsApplied });
    expect(result.policyRewardsApplied).toBe(result.rewardsApplied);
    expect(result.ok).toBe(true);
    expect(r.code).toBe(0);

    // Every asked fault happened, and the system worked end to end again after each.
    expect(result.faults).toHaveLength(faults.length);
    for (const f of result.faults) {
      expect(f.error).toBeUndefined();
      expect(f.recoverySeconds).not.toBeNull();
    }
    expect(result.skippedFaults).toEqual([]);
    expect(result.maxRecoverySeconds).toBe(Math.max(...result.faults.map((f: any) => f.recoverySeconds)));
    const midBatch = result.faults.find((f: any) => f.fault === 'kill reward-aggregator mid-batch');
    expect(midBatch.burst).toBeGreaterThan(0);
    expect(result.serviceRestarts['router']).toBeGreaterThanOrEqual(1);
    expect(result.serviceRestarts['reward-aggregator']).toBeGreaterThanOrEqual(1);
    expect(result).toMatchObject({ brokers: 3, replicationFactor: 3, minInsyncReplicas: 2 });
  });
});
