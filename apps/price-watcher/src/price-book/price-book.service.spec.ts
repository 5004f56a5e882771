import { Topic } from '@llm-router/contracts';
import { MetricsService } from '@llm-router/service';
import { counterValue, FakeProducer, fakeLog, MemoryPriceStore } from '../testing/fakes';
import type { SelfHostedModel } from '../config';
import { PriceBookChange, PriceBookService } from './price-book.service';

async function book(o: { store?: MemoryPriceStore; selfHosted?: SelfHostedModel[] } = {}) {
  const store = o.store ?? new MemoryPriceStore();
  const producer = new FakeProducer();
  const metrics = new MetricsService();
  const log = fakeLog();
  const b = new PriceBookService(store, producer, log as never, metrics, { MAX_PRICE_JUMP: 10, selfHosted: o.selfHosted ?? [] });
  const changes: PriceBookChange[] = [];
  b.onChange(async (c) => void changes.push(c));
  await b.onModuleInit();
  return { b, store, producer, metrics, log, changes };
}

describe('PriceBookService', () => {
  it('publishes a new model once: price, catalog "added", history row, one change set', async () => {
    const { b, store, producer, changes } = await book();
    const out = await b.proposeMany('file', [
      { model: 'a', inputPerM: 0.1, outputPerM: 0.1 },
      { model: 'b', inputPerM: 0.5, outputPerM: 1.5 },
    ]);
    expect(out.map((o) => o.status)).toEqual(['accepted', 'accepted']);
    expect(producer.on(Topic.Prices).map((p) => p.model)).toEqual(['a', 'b']);
    expect(producer.on(Topic.Catalog).map((c) => [c.model, c.action])).toEqual([['a', 'added'], ['b', 'added']]);
    expect(producer.sent.filter((s) => s.topic === Topic.Prices).map((s) => s.key)).toEqual(['a', 'b']);
    expect(store.rows).toHaveLength(2);
    expect([...store.models.values()].map((m) => m.status)).toEqual(['enabled', 'enabled']);
    expect(changes).toHaveLength(1);
    expect(changes[0].models).toEqual(['a', 'b']);

    producer.clear();
    const again = await b.propose('url', { model: 'a', inputPerM: 0.1, outputPerM: 0.1 });
    expect(again.status).toBe('unchanged');
    expect(producer.sent).toEqual([]);
    expect(store.rows).toHaveLength(2);
    expect(changes).toHaveLength(1);

    const moved = await b.propose('url', { model: 'a', inputPerM: 0.2, outputPerM: 0.1 });
    expect(moved.status).toBe('accepted');
    expect(producer.on(Topic.Prices)).toHaveLength(1);
    expect(producer.on(Topic.Catalog)).toHaveLength(0);
    expect(store.rows).toHaveLength(3);
  });

  it('does not republish after a restart what Postgres already holds', async () => {
    const first = await book();
    await first.b.propose('file', { model: 'a', inputPerM: 0.1, outputPerM: 0.2 });
    const second = await book({ store: first.store });
    expect(second.b.current().map((p) => [p.model, p.inputPerM, p.outputPerM])).toEqual([['a', 0.1, 0.2]]);
    expect((await second.b.propose('file', { model: 'a', inputPerM: 0.1, outputPerM: 0.2 })).status).toBe('unchanged');
    expect(second.producer.sent).toEqual([]);
  });

  it('refuses a file jump without publishing, logs the reason at warn and counts it', async () => {
    const { b, producer, metrics, log } = await book();
    await b.propose('file', { model: 'a', inputPerM: 1, outputPerM: 1 });
    producer.clear();
    const r = await b.propose('file', { model: 'a', inputPerM: 25, outputPerM: 1 });
    expect(r).toMatchObject({ status: 'rejected', reason: 'jump' });
    expect(producer.sent).toEqual([]);
    expect(b.price('a')?.inputPerM).toBe(1);
    expect(await counterValue(metrics, 'price_rejected_total', { source: 'file', reason: 'jump' })).toBe(1);
    expect(log.lines.some((l) => l.level === 'warn' && /jump/.test(l.msg ?? ''))).toBe(true);

    const neg = await b.propose('url', { model: 'a', inputPerM: -1, outputPerM: 1 });
    expect(neg).toMatchObject({ status: 'rejected', reason: 'negative' });
    expect(await counterValue(metrics, 'price_rejected_total', { source: 'url', reason: 'negative' })).toBe(1);
  });

  it('takes a confirmed jump from the admin', async () => {
    const { b, producer } = await book();
    await b.propose('file', { model: 'a', inputPerM: 1, outputPerM: 1 });
    expect(await b.propose('admin', { model: 'a', inputPerM: 25, outputPerM: 1 })).toMatchObject({ status: 'rejected', reason: 'jump' });
    expect(await b.propose('admin', { model: 'a', inputPerM: 25, outputPerM: 1 }, { confirm: true })).toMatchObject({ status: 'accepted' });
    expect(producer.on(Topic.Prices).at(-1)).toMatchObject({ model: 'a', inputPerM: 25, source: 'admin' });
  });

  it('removes a model: catalog "removed", feeds ignored, back only through addModel', async () => {
    const { b, producer, store, changes } = await book();
    await b.propose('file', { model: 'a', inputPerM: 1, outputPerM: 1 });
    producer.clear();
    expect(await b.removeModel('a')).toBe(true);
    expect(await b.removeModel('a')).toBe(false);
    expect(await b.removeModel('nope')).toBe(false);
    expect(producer.on(Topic.Catalog)).toMatchObject([{ model: 'a', action: 'removed' }]);
    expect(store.models.get('a')?.status).toBe('removed');
    expect(b.current()).toEqual([]);
    expect(changes.at(-1)?.reason).toMatch(/removed/);

    expect(await b.propose('file', { model: 'a', inputPerM: 1, outputPerM: 1 })).toMatchObject({ status: 'rejected', reason: 'removed' });
    const back = await b.propose('admin', { model: 'a', inputPerM: 1, outputPerM: 1 }, { addModel: { endpoint: 'http://gpu:8000/v1' } });
    expect(back).toMatchObject({ status: 'accepted', catalog: 'added' });
    expect(producer.on(Topic.Catalog).at(-1)).toMatchObject({ model: 'a', action: 'added', endpoint: 'http://gpu:8000/v1' });

    // A restart remembers the removal.
    await b.removeModel('a');
    const restarted = await book({ store });
    expect(restarted.b.current()).toEqual([]);
    expect(await restarted.b.propose('file', { model: 'a', inputPerM: 1, outputPerM: 1 })).toMatchObject({ status: 'rejected', reason: 'removed' });
  });

  it('publishes self-hosted models at their constant price and keeps feeds off them', async () => {
    const { b, producer, metrics } = await book({ selfHosted: [{ model: 'llama-70b', concurrency: 8, inputPerM: 0, outputPerM: 0 }] });
    expect(producer.on(Topic.Prices)).toMatchObject([{ model: 'llama-70b', selfHosted: true, concurrency: 8, inputPerM: 0, outputPerM: 0 }]);
    expect(producer.on(Topic.Catalog)).toMatchObject([{ model: 'llama-70b', action: 'added', selfHosted: true, concurrency: 8 }]);
    expect(await b.propose('url', { model: 'llama-70b', inputPerM: 0.2, outputPerM: 0.2 })).toMatchObject({ status: 'rejected', reason: 'self_hosted' });
    expect(await counterValue(metrics, 'price_rejected_total', { source: 'url', reason: 'self_hosted' })).toBe(1);
  });

  it('keeps self-hosted terms a feed does not mention, and refuses self-hosting without a concurrency', async () => {
    const { b } = await book();
    await b.propose('file', { model: 'g', inputPerM: 0.1, outputPerM: 0.1, selfHosted: true, concurrency: 2 });
    await b.propose('url', { model: 'g', inputPerM: 0.2, outputPerM: 0.2 });
    expect(b.price('g')).toMatchObject({ selfHosted: true, concurrency: 2, inputPerM: 0.2 });
    expect(await b.propose('file', { model: 'h', inputPerM: 0.1, outputPerM: 0.1, selfHosted: true })).toMatchObject({ status: 'rejected', reason: 'invalid' });
  });

  it('changes nothing when Kafka refuses, so the next attempt retries', async () => {
    const { b, producer, store } = await book();
    producer.failNext = 1;
    expect(await b.propose('file', { model: 'a', inputPerM: 1, outputPerM: 1 })).toMatchObject({ status: 'failed' });
    expect(b.current()).toEqual([]);
    expect(store.rows).toEqual([]);
    expect(await b.propose('file', { model: 'a', inputPerM: 1, outputPerM: 1 })).toMatchObject({ status: 'accepted', catalog: 'added' });
  });

  it('reverts to the previous price', async () => {
    const { b } = await book();
    expect(await b.revert('a')).toBeUndefined();
    await b.propose('file', { model: 'a', inputPerM: 1, outputPerM: 1 });
    expect(await b.revert('a')).toBeUndefined();
    await b.propose('admin', { model: 'a', inputPerM: 50, outputPerM: 1 }, { confirm: true });
    expect(await b.revert('a')).toMatchObject({ status: 'accepted', price: { inputPerM: 1, source: 'admin:revert' } });
  });
});
