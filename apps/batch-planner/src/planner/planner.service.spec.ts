import { PinoLogger } from 'nestjs-pino';
import { QueryRequest, Topic, validate } from '@llm-router/contracts';
import { MessageProducer } from '@llm-router/kafka';
import { ReplicaService } from '@llm-router/replica';
import { HealthRegistry, MetricsService } from '@llm-router/service';
import { PlannerConfig } from '../config';
import { PendingQueries } from './pending-queries.service';
import { PendingStore } from './pending-store';
import { PeriodBooksReader } from './period-books.service';
import { ResidualCorrection } from './residual-correction.service';
import { PlannerService } from './planner.service';
import { SpendStore } from './spend-store';

const query = (id: string): QueryRequest => {
  const r = validate(Topic.Queries, {
    id,
    messages: [{ role: 'user', content: `prompt ${id}` }],
    constraints: { mode: 'batch' },
  });
  if (!r.ok) throw r.error;
  return r.value;
};

const pendingQueries = (store: object, log: object, metrics: object) =>
  new PendingQueries(store as PendingStore, log as PinoLogger, metrics as MetricsService);

/** A planner whose replica has read no price yet (the real wait, on a stand-in registry); windows of two queries. */
function planner() {
  const replica = {
    engines: { models: () => [] },
    waitForModels: ReplicaService.prototype.waitForModels,
    waitForModelsOrStop: ReplicaService.prototype.waitForModelsOrStop,
  } as unknown as ReplicaService;
  const pending = { add: jest.fn().mockResolvedValue(true), load: jest.fn().mockResolvedValue([]), remove: jest.fn() };
  const spend = { read: jest.fn(), billed: jest.fn(), add: jest.fn() };
  const producer = { send: jest.fn(), sendMany: jest.fn() };
  const metrics = { counter: jest.fn(), gauge: jest.fn(), histogram: jest.fn() };
  const health = new HealthRegistry();
  const config = { BATCH_WINDOW_SIZE: 2, BATCH_WINDOW_MS: 60000, BATCH_BUDGET_PERIOD: 'daily' } as PlannerConfig;
  const p = new PlannerService(
    config,
    replica,
    producer as unknown as MessageProducer,
    spend as unknown as SpendStore,
    pendingQueries(pending, { info: jest.fn(), error: jest.fn() }, metrics),
    { info: jest.fn(), error: jest.fn() } as unknown as PinoLogger,
    metrics as unknown as MetricsService,
    health,
    {} as unknown as ResidualCorrection,
    new PeriodBooksReader(config, spend as unknown as SpendStore, replica),
  );
  const windows = async () => (await health.run()).checks['windows'] as { closed: number; failed: number };
  return { p, pending, spend, producer, metrics, windows };
}

/** Nothing of the window was planned, billed, sent or deleted: its rows are all the next start needs. */
async function leftPending(t: ReturnType<typeof planner>) {
  expect(t.pending.add).toHaveBeenCalledTimes(2);
  expect(t.pending.remove).not.toHaveBeenCalled();
  expect(t.spend.add).not.toHaveBeenCalled();
  expect(t.producer.send).not.toHaveBeenCalled();
  expect(t.producer.sendMany).not.toHaveBeenCalled();
  expect(t.metrics.counter).not.toHaveBeenCalled();
  expect(await t.windows()).toMatchObject({ closed: 0, failed: 0 });
}

describe('PlannerService stopping before any model is known', () => {
  it('stops at once while a window waits for the first prices, and leaves its queries in batch_pending', async () => {
    const t = planner();
    await t.p.enqueue(query('q1'));
    const closing = t.p.enqueue(query('q2'));
    await new Promise((r) => setTimeout(r, 250));
    const stoppedAt = Date.now();
    await t.p.onModuleDestroy();
    expect(Date.now() - stoppedAt).toBeLessThan(1000);
    await closing;
    await leftPending(t);
  });

  it('does not wait for a window that closes once the stop began', async () => {
    const t = planner();
    await t.p.onModuleDestroy();
    const started = Date.now();
    await t.p.enqueue(query('q1'));
    await t.p.enqueue(query('q2'));
    expect(Date.now() - started).toBeLessThan(1000);
    await leftPending(t);
  });
});

describe('PlannerService when a window keeps failing', () => {
  it('plans it again, and after BATCH_WINDOW_ATTEMPTS failures routes its queries one by one', async () => {
    const replica = {
      engines: { models: () => ['m'], get: () => ({}) },
      waitForModelsOrStop: jest.fn().mockResolvedValue(true),
      rewardsApplied: () => 0,
      warmStartPrompts: () => [],
    } as unknown as ReplicaService;
    const pending = {
      add: jest.fn().mockResolvedValue(true),
      load: jest.fn().mockResolvedValue([]),
      remove: jest.fn(),
    };
    // The database refuses every read of the ledger: no window can be planned.
    const spend = {
      read: jest.fn().mockRejectedValue(new Error('ledger unavailable')),
      billed: jest.fn(),
      add: jest.fn(),
    };
    const producer = { send: jest.fn(), sendMany: jest.fn().mockResolvedValue(undefined) };
    const inc = jest.fn();
    const metrics = { counter: jest.fn(() => ({ inc })), gauge: jest.fn(), histogram: jest.fn() };
    const health = new HealthRegistry();
    const config = {
      BATCH_WINDOW_SIZE: 2,
      BATCH_WINDOW_MS: 20,
      BATCH_BUDGET_PERIOD: 'daily',
      BATCH_WINDOW_ATTEMPTS: 3,
      BATCH_FEEDBACK_WAIT_MS: 0,
    } as PlannerConfig;
    const p = new PlannerService(
      config,
      replica,
      producer as unknown as MessageProducer,
      spend as unknown as SpendStore,
      pendingQueries(pending, { info: jest.fn(), error: jest.fn() }, metrics),
      { info: jest.fn(), warn: jest.fn(), error: jest.fn() } as unknown as PinoLogger,
      metrics as unknown as MetricsService,
      health,
      // The correction off, as BATCH_RECENT_CORRECTION `auto` leaves it without a warm start.
      { on: () => false, forRound: async () => undefined } as unknown as ResidualCorrection,
      new PeriodBooksReader(config, spend as unknown as SpendStore, replica),
    );
    await p.onApplicationBootstrap();
    try {
      await p.enqueue(query('q1'));
      await p.enqueue(query('q2'));
      const deadline = Date.now() + 10_000;
      while (producer.sendMany.mock.calls.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
    } finally {
      await p.onModuleDestroy();
    }
    expect(spend.read).toHaveBeenCalledTimes(3);
    expect(producer.sendMany).toHaveBeenCalledTimes(1);
    const [topic, sent] = producer.sendMany.mock.calls[0];
    expect(topic).toBe(Topic.Queries);
    expect(sent.map((q: QueryRequest) => [q.id, q.constraints.mode, q.constraints.model])).toEqual([
      ['q1', 'query', undefined],
      ['q2', 'query', undefined],
    ]);
    // Sent: their rows go, and nothing was billed.
    expect(pending.remove).toHaveBeenCalledWith(sent.map((q: QueryRequest) => expect.objectContaining({ id: q.id })));
    expect(spend.add).not.toHaveBeenCalled();
    expect(((await health.run()).checks['windows'] as { failed: number }).failed).toBe(3);
  });
});
