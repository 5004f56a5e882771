import { PinoLogger } from 'nestjs-pino';
import { QueryRequest, Topic, validate } from '@llm-router/contracts';
import { MetricsService } from '@llm-router/service';
import { PendingQueries } from './pending-queries.service';
import { PendingRow, PendingStore } from './pending-store';

// batch_pending itself, across a restart on PostgreSQL: test/e2e/batch-planner-durable.int-spec.ts.

const query = (id: string, scope = 'default'): QueryRequest => {
  const r = validate(Topic.BatchRequests, {
    id,
    scope,
    messages: [{ role: 'user', content: `prompt ${id}` }],
    constraints: { mode: 'batch' },
  });
  if (!r.ok) throw r.error;
  return r.value;
};

function pendingQueries(rows: PendingRow[] = [], remove = jest.fn().mockResolvedValue(0)) {
  const store = { add: jest.fn().mockResolvedValue(true), load: jest.fn().mockResolvedValue(rows), remove };
  const log = { info: jest.fn(), error: jest.fn() };
  const inc = jest.fn();
  const metrics = { counter: jest.fn(() => ({ inc })) };
  const p = new PendingQueries(
    store as unknown as PendingStore,
    log as unknown as PinoLogger,
    metrics as unknown as MetricsService,
  );
  return { p, store, log, inc };
}

const row = (q: unknown, scope: string, requestId: string, at: number): PendingRow => ({
  scope,
  requestId,
  query: q,
  receivedAt: new Date(at),
});

describe('PendingQueries', () => {
  it('stores a received query in batch_pending', async () => {
    const t = pendingQueries();
    await t.p.persist(query('q1'));
    expect(t.store.add).toHaveBeenCalledWith(expect.objectContaining({ id: 'q1' }), expect.any(Date));
  });

  it('holds a query once per scope and request id, and again once it is released', async () => {
    const t = pendingQueries();
    expect(t.p.hold(query('q1'))).toBe(true);
    expect(t.p.hold(query('q1'))).toBe(false);
    expect(t.p.hold(query('q1', 'other'))).toBe(true);
    expect(t.p.summary()).toEqual({ held: 2, restored: 0 });
    await t.p.release([query('q1')]);
    expect(t.store.remove).toHaveBeenCalledWith([expect.objectContaining({ id: 'q1' })]);
    expect(t.p.summary()).toEqual({ held: 1, restored: 0 });
    expect(t.p.hold(query('q1'))).toBe(true);
  });

  it('reloads the rows it does not hold yet, oldest first, and leaves a row that no longer validates', async () => {
    const t = pendingQueries([
      row(query('old'), 'default', 'old', 1000),
      row({ id: 'broken' }, 'default', 'broken', 2000),
      row(query('taken'), 'default', 'taken', 3000),
      row(query('new'), 'default', 'new', 4000),
    ]);
    // A consumer took `taken` before the reload ran.
    t.p.hold(query('taken'));
    const reloaded = await t.p.reload();
    expect(reloaded.map((r) => [r.query.id, r.receivedAt.getTime()])).toEqual([
      ['old', 1000],
      ['new', 4000],
    ]);
    expect(t.p.summary()).toEqual({ held: 3, restored: 2 });
    expect(t.log.error).toHaveBeenCalledWith(
      expect.objectContaining({ requestId: 'broken' }),
      'pending batch query no longer valid: left in batch_pending',
    );
    expect(t.store.remove).not.toHaveBeenCalled();
  });

  it('counts the failed windows of a query until it is released', async () => {
    const t = pendingQueries();
    const q = query('q1');
    t.p.hold(q);
    expect([t.p.failed(q), t.p.failed(q), t.p.failed(query('q2'))]).toEqual([1, 2, 1]);
    await t.p.release([q]);
    expect(t.p.failed(q)).toBe(1);
  });

  it('lets the queries go when their rows cannot be deleted, and counts and logs that instead of throwing', async () => {
    const t = pendingQueries([], jest.fn().mockRejectedValue(new Error('database gone')));
    const q = query('q1');
    t.p.hold(q);
    await expect(t.p.release([q])).resolves.toBeUndefined();
    expect(t.inc).toHaveBeenCalledTimes(1);
    expect(t.log.error).toHaveBeenCalledWith(
      { queries: 1, err: 'database gone' },
      'could not delete dispatched queries from batch_pending',
    );
    expect(t.p.summary().held).toBe(0);
  });
});
