/**
 * `npm run -s e2e -- --json` as a user runs it (here through tsx), on its own local Kafka and
 * PostgreSQL (it ignores the suite's KAFKA_BROKERS / DATABASE_URL so that it can start the
 * broker with SASL): the measurement conditions of issue 11 (authenticated Kafka, one principal
 * per service, a hard budget cap on the scope) and the invariants of ../shared/EVAL.md, read
 * from the JSON line it prints.
 */
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { runTool } from '../support/run-tool';

const RUN_DEADLINE_MS = 420_000;

jest.setTimeout(2 * RUN_DEADLINE_MS + 60_000);

// INFRA_MODE=local and no KAFKA_SECURITY: the run starts its own broker, with SASL by default.
const runE2e = (args: string[]) =>
  runTool('tools/e2e/main.ts', args, RUN_DEADLINE_MS, { KAFKA_SECURITY: '', INFRA_MODE: 'local' });

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop() ?? '{}');

/** A run that exited 0 and delivered its `n` queries once each (nothing lost, doubled or dead-lettered), and its JSON line. */
function delivered(r: { code: number | null; stdout: string; stderr: string }, n: number, more: object) {
  expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr.slice(-3000) }).toEqual({ code: 0, stderr: '' });
  const out = lastJson(r.stdout);
  expect(out).toMatchObject({ sent: n, answered: n, lost: 0, duplicated: 0, dlq: 0, ...more });
  return out;
}

describe('npm run e2e', () => {
  const data = writeSyntheticDataset(200);

  it('prints its options with --help', async () => {
    const r = await runE2e(['--help']);
    expect(r.code).toBe(0);
    for (const option of [
      '--queries',
      '--rate',
      '--budget',
      '--warm-start',
      '--kafka-security',
      '--scope-cap',
      '--profile',
      '--mode',
      '--batch-size',
      '--order',
      '--json',
    ])
      expect(r.stdout).toContain(option);
  });

  it('runs the stack with SASL principals and a scope cap: nothing lost or doubled, every reward applied, replay beside it', async () => {
    // `--budget none` as written: no pacer, and no BUDGET_PER_QUERY_USD for the services to refuse.
    const r = await runE2e([
      '--json',
      '--queries',
      '300',
      '--budget',
      'none',
      '--data',
      data.dataPath,
      '--models',
      data.modelsPath,
    ]);
    const out = delivered(r, 300, {
      kafkaSecurity: 'sasl',
      scopeCapUsd: 1000,
      budgetCapped: 0,
      policy: 'auto',
    });
    expect(out.rewardsApplied).toBe(out.feedbackSent);
    expect(out.feedbackSent).toBe(300);
    expect(out.meanQuality).toBeGreaterThan(0);
    expect(out.replayMeanQuality).toBeGreaterThan(0);
    expect(out.budgetRatio).toBeNull();
    // The router's pacer at the end of the run (its /health): none without a budget.
    expect(out.routerPacing).toEqual([null]);
    // How old the rewards are that the router decides on, from the aggregator's and the router's /metrics.
    const delay = out.learningDelay as Record<string, number>;
    for (const part of [
      'rewardPublishP50Ms',
      'rewardPublishP99Ms',
      'snapshotApplyP50Ms',
      'snapshotApplyP99Ms',
      'policyAgeP50Ms',
      'policyAgeP99Ms',
    ])
      expect({ part, ms: delay[part] }).toEqual({ part, ms: expect.any(Number) });
    expect(delay.rewardPublishP50Ms).toBeGreaterThan(0);
    expect(delay.rewardPublishP99Ms).toBeGreaterThanOrEqual(delay.rewardPublishP50Ms);
    expect(delay.p50Ms).toBeCloseTo(delay.rewardPublishP50Ms + delay.policyAgeP50Ms, 2);
    // The replay again with that delay, in decisions at the run's rate.
    expect(out.replayDelayed).toEqual({
      feedbackDelay: expect.any(Number),
      meanQuality: expect.any(Number),
      pctOfOracle: expect.any(Number),
      budgetRatio: null,
    });
    expect(out.replayDelayed.meanQuality).toBeGreaterThan(0);
    // Within one of the figures as printed (delay and rate are rounded there).
    const expected = (delay.p50Ms / 1000) * out.throughputPerSec;
    expect(Math.abs(out.replayDelayed.feedbackDelay - Math.max(1, expected))).toBeLessThanOrEqual(1);
    // Where the CPU went, per query, from /proc: every part this run started did some work.
    const cpu = out.cpuMsPerQuery as Record<string, number>;
    for (const part of ['router', 'aggregator', 'broker', 'postgres', 'loadGenerator'])
      expect({ part, ms: cpu[part] }).toEqual({ part, ms: expect.any(Number) });
    expect(cpu.router).toBeGreaterThan(0);
    expect(cpu.postgres).toBeGreaterThan(0);
    expect(cpu.stack).toBeCloseTo(
      ['router', 'aggregator', 'otherServices', 'broker', 'postgres', 'loadGenerator'].reduce((t, k) => t + cpu[k], 0),
      2,
    );
  });

  it('routes through the batch-planner in --mode batch and compares with the batch replay of the same rows', async () => {
    const r = await runE2e([
      '--json',
      '--mode',
      'batch',
      '--batch-size',
      '50',
      '--order',
      'by-difficulty',
      '--queries',
      '200',
      '--budget',
      '0.0005',
      '--data',
      data.dataPath,
      '--models',
      data.modelsPath,
    ]);
    const out = delivered(r, 200, { routing: 'batch', batchSize: 50, order: 'by-difficulty' });
    expect(out.rewardsApplied).toBe(200);
    // The replay ran in batch mode beside it: its per-query side and its gain are reported.
    expect(out.replayPerQueryMeanQuality).toBeGreaterThan(0);
    expect(typeof out.replayGainPct).toBe('number');
    expect(out.gainPct).toBeCloseTo(100 * (out.meanQuality / out.replayPerQueryMeanQuality - 1), 1);
    // And on the rows in the order the planner received them, read back from batch.assignments.
    expect(out.replayPlannerOrderMeanQuality).toBeGreaterThan(0);
    expect(out.replayPlannerOrderMeanQuality).toBeLessThanOrEqual(1);
    expect(out.replayPlannerOrderBudgetRatio).toBeGreaterThan(0);
    expect(out.budgetRatio).toBeGreaterThan(0);
    // Source by source, live beside the replay: the rows all counted, the parts summing to the gains.
    const sources = out.bySource as { rows: number; gainPct: number; replayGainPct: number }[];
    expect(sources.reduce((n, s) => n + s.rows, 0)).toBe(200);
    expect(sources.reduce((g, s) => g + s.gainPct, 0)).toBeCloseTo(out.gainPct, 0);
    expect(sources.reduce((g, s) => g + s.replayGainPct, 0)).toBeCloseTo(out.replayGainPct, 0);
  });

  it('enforces the scope cap on the Kafka path: past it, queries are answered with the reason and no model call', async () => {
    // A cap below one query's worst case: every query is refused before its model call.
    const r = await runE2e([
      '--json',
      '--queries',
      '20',
      '--no-replay',
      '--scope-cap',
      '0.0000001',
      '--data',
      data.dataPath,
      '--models',
      data.modelsPath,
    ]);
    const out = lastJson(r.stdout);
    expect(out).toMatchObject({ sent: 20, answered: 20, lost: 0, budgetCapped: 20, feedbackSent: 0 });
  });
});
