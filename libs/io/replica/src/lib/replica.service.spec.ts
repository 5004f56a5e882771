import { PinoLogger } from 'nestjs-pino';
import { PriceEvent, Topic } from '@llm-router/contracts';
import { KafkaService } from '@llm-router/kafka';
import { HealthRegistry, MetricsService } from '@llm-router/service';
import { ReplicaService } from './replica.service';

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
