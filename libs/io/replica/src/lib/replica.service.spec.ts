import { PinoLogger } from 'nestjs-pino';
import { createPolicy } from '@llm-router/bandits';
import { PriceEvent, Topic } from '@llm-router/contracts';
import { KafkaService } from '@llm-router/kafka';
import { HealthRegistry, MetricsService } from '@llm-router/service';
import { appliesAtOnce, ReplicaService } from './replica.service';

const log = { info: jest.fn(), error: jest.fn() } as unknown as PinoLogger;
const price: PriceEvent = {
  model: 'm1',
  inputPerM: 1,
  outputPerM: 2,
  effectiveFrom: '2026-01-01T00:00:00.000Z',
  source: 'test',
  selfHosted: false,
  discountTiers: [],
};

/** Nothing is consumed: the constructor alone, with no prices read yet. */
const replica = () =>
  new ReplicaService(
    { service: 'test', algorithm: 'linucb', featureDim: 32, seed: 1, defaultLambda: 0 },
    {} as KafkaService,
    log,
    {} as MetricsService,
    new HealthRegistry(),
  );

const priced = (r: ReplicaService) =>
  r.apply({ topic: Topic.Prices, partition: 0, offset: '0', key: 'm1', value: price });

describe('ReplicaService.waitForModelsOrStop', () => {
  it('resolves true once a model is priced', async () => {
    const r = replica();
    const waiting = r.waitForModelsOrStop(new AbortController().signal);
    setTimeout(() => priced(r), 150);
    await expect(waiting).resolves.toBe(true);
  });

  it('resolves true after the timeout, as waitForModels does, when no stop came', async () => {
    await expect(replica().waitForModelsOrStop(new AbortController().signal, 150)).resolves.toBe(true);
  });

  it('resolves false as soon as the stop comes, instead of rejecting as waitForModels does', async () => {
    const r = replica();
    const stop = new AbortController();
    const waiting = r.waitForModelsOrStop(stop.signal);
    const rejected = r.waitForModels(undefined, stop.signal);
    await new Promise((done) => setTimeout(done, 150));
    const stoppedAt = Date.now();
    stop.abort();
    await expect(waiting).resolves.toBe(false);
    await expect(rejected).rejects.toThrow();
    expect(Date.now() - stoppedAt).toBeLessThan(1000);
  });

  it('does not wait at all once stopped, and not when a model is known even if stopped', async () => {
    const stop = new AbortController();
    stop.abort();
    const r = replica();
    await expect(r.waitForModelsOrStop(stop.signal)).resolves.toBe(false);
    priced(r);
    await expect(r.waitForModelsOrStop(stop.signal)).resolves.toBe(true);
  });
});

/**
 * A replica whose SNAPSHOT_APPLY_MS tick never comes within a test, with model m1 priced, and
 * `offer`: a ucb1 snapshot of scope s as policy.updates delivers it, published `msAgo` before now
 * (the epoch when not given).
 */
function tickingReplica() {
  const metrics = new MetricsService();
  const r = new ReplicaService(
    { service: 'test', algorithm: 'ucb1', featureDim: 32, seed: 1, defaultLambda: 0, applyIntervalMs: 60_000 },
    {} as KafkaService,
    log,
    metrics,
    new HealthRegistry(),
  );
  priced(r);
  const state = createPolicy('ucb1', { arms: ['m1'], seed: 1, d: 32 }).toState();
  const offer = (version: number, rewardsApplied: number, msAgo?: number) =>
    r.apply({
      topic: Topic.PolicyUpdates,
      partition: 0,
      offset: String(version),
      key: 's',
      value: {
        scope: 's',
        version,
        algorithm: 'ucb1',
        state,
        lambda: 0,
        rewardsApplied,
        ts: new Date(msAgo === undefined ? 0 : Date.now() - msAgo).toISOString(),
      },
    });
  return { r, metrics, engine: r.engines.get('s'), offer };
}

describe('when a snapshot replaces the policy in use', () => {
  it('applies at once without an interval, for a scope not routed yet, and when the rewards more than double', () => {
    expect(appliesAtOnce(0, true, 1000, 1001)).toBe(true);
    expect(appliesAtOnce(1000, false, 0, 0)).toBe(true);
    expect(appliesAtOnce(1000, true, 0, 0)).toBe(false);
    expect(appliesAtOnce(1000, true, 0, 1)).toBe(true);
    expect(appliesAtOnce(1000, true, 10, 20)).toBe(false);
    expect(appliesAtOnce(1000, true, 10, 21)).toBe(true);
  });

  it('routes a cold scope on each doubling of its rewards and leaves the rest to the tick', () => {
    const { r, metrics, engine, offer } = tickingReplica();
    const versions = [
      [1, 0],
      [2, 3],
      [3, 5],
      [4, 6],
      [5, 7],
    ].map(([version, rewards]) => {
      offer(version, rewards);
      return engine.version;
    });
    expect(versions).toEqual([0, 2, 2, 2, 5]);
    expect(r.rewardsApplied('s')).toBe(7);
    // A planner waiting for 12 rewards gets a pending snapshot that has them at once, not one short of them.
    offer(6, 11);
    expect(r.rewardsAppliedReaching('s', 12)).toBe(7);
    offer(7, 12);
    expect(r.rewardsAppliedReaching('s', 12)).toBe(12);
    expect(engine.version).toBe(7);
    metrics.onModuleDestroy();
  });

  it('records how long after its publication each snapshot is put in use, and how old the one in use is', async () => {
    const { r, metrics, engine, offer } = tickingReplica();
    // Before any snapshot the clock runs from this replica's first decision on the scope.
    expect(r.policyAgeAtDecision('s')).toBeLessThan(1);
    await new Promise((done) => setTimeout(done, 120));
    expect(r.policyAgeAtDecision('s')).toBeGreaterThanOrEqual(0.1);
    offer(1, 1, 2000);
    // Pending until the tick: not in use, not measured.
    offer(2, 2, 500);
    expect(engine.version).toBe(1);
    // A decision now is made on the snapshot in use: published 2 s ago, not the pending one's 0.5 s.
    expect(r.policyAgeAtDecision('s')).toBeGreaterThanOrEqual(2);
    expect(r.policyAgeAtDecision('s')).toBeLessThan(60);
    expect(r.policyAgeAtDecision('other')).toBeLessThan(1);
    const text = await metrics.registry.getSingleMetricAsString('replica_snapshot_apply_delay_seconds');
    expect(Number(/_count (\d+)/.exec(text)?.[1])).toBe(1);
    const seconds = Number(/_sum ([0-9.eE+-]+)/.exec(text)?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(2);
    expect(seconds).toBeLessThan(60);
    metrics.onModuleDestroy();
  });
});
