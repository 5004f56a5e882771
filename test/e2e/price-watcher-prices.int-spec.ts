import { Client } from 'pg';
import { PriceEvent, Topic } from '@llm-router/contracts';
import { MessageProducer } from '@llm-router/kafka';
import { PriceBookChange, PriceBookService } from '../../apps/price-watcher/src/price-book/price-book.service';
import { collect, resetTopics } from '../support/kafka-test-kit';
import { freshDatabase } from '../support/database';
import {
  ADMIN_TOKEN,
  captureLogs,
  LogLine,
  PriceWatcher,
  published,
  received,
  since,
  Sink,
  startPriceWatcher,
} from '../support/price-watcher';

const ENV = { SELF_HOSTED_MODELS: 'llama-70b=8', ADMIN_TOKEN };

/**
 * The price book in the running price-watcher: every source's proposals go through it, and
 * only real changes reach model.prices / model.catalog and price_history. Proposals are made
 * on the app's own PriceBookService, as the sources make them.
 */
describe('price-watcher price book', () => {
  let sink: Sink;
  let databaseUrl: string;
  let db: Client;
  let logs: LogLine[];
  let pw: PriceWatcher;
  let book: PriceBookService;
  let changes: PriceBookChange[];
  /** What the first start published. */
  let atStart: { prices: Sink['received']; catalog: Sink['received'] };

  const start = async () => {
    pw = await startPriceWatcher({ databaseUrl, env: ENV });
    book = pw.app.get(PriceBookService);
    changes = [];
    book.onChange(async (c) => void changes.push(c));
  };
  const mark = async () => ({
    prices: (await received(sink, Topic.Prices)).length,
    catalog: (await received(sink, Topic.Catalog)).length,
  });
  const historyRows = async (...models: string[]) =>
    (await db.query('SELECT count(*)::int AS n FROM price_history WHERE model = ANY($1)', [models])).rows[0].n;
  const models = (ps: PriceEvent[]) => ps.map((p) => p.model);
  const costFactors = async (model: string) =>
    (await db.query('SELECT cost_factor FROM price_history WHERE model = $1 ORDER BY id', [model])).rows.map(
      (r) => r.cost_factor,
    );

  beforeAll(async () => {
    // One partition per topic: the sink then sees messages in the order they were published.
    process.env['KAFKA_PARTITIONS_CAP'] = '1';
    await resetTopics();
    databaseUrl = await freshDatabase('pw_prices');
    sink = await collect([Topic.Prices, Topic.Catalog]);
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
    logs = captureLogs();
    await start();
    atStart = {
      prices: [...(await received(sink, Topic.Prices))],
      catalog: [...(await received(sink, Topic.Catalog))],
    };
  });

  afterAll(async () => {
    await pw?.close();
    await sink?.stop();
    await db?.end();
  });

  describe('first start', () => {
    it('publishes self-hosted models at their constant price and keeps feeds off them', async () => {
      expect(atStart.prices.map((m) => m.value)).toMatchObject([
        { model: 'llama-70b', selfHosted: true, concurrency: 8, inputPerM: 0, outputPerM: 0 },
      ]);
      expect(atStart.catalog.map((m) => m.value)).toMatchObject([
        { model: 'llama-70b', action: 'added', selfHosted: true, concurrency: 8 },
      ]);
      expect(await book.propose('url', { model: 'llama-70b', inputPerM: 0.2, outputPerM: 0.2 })).toMatchObject({
        status: 'rejected',
        reason: 'self_hosted',
      });
      expect(await pw.counter('price_rejected_total', { source: 'url', reason: 'self_hosted' })).toBe(1);
      expect((await db.query(`SELECT self_hosted, concurrency FROM models WHERE model = 'llama-70b'`)).rows).toEqual([
        { self_hosted: true, concurrency: 8 },
      ]);
    });

    it('publishes a new model once: price, catalog "added", history row, one change set', async () => {
      let m = await mark();
      const out = await book.proposeMany('file', [
        { model: 'a', inputPerM: 0.1, outputPerM: 0.1 },
        { model: 'b', inputPerM: 0.5, outputPerM: 1.5 },
      ]);
      expect(out.map((o) => o.status)).toEqual(['accepted', 'accepted']);
      const prices = await since(sink, Topic.Prices, m.prices);
      expect(prices.map((p) => p.value.model)).toEqual(['a', 'b']);
      expect(prices.map((p) => p.key)).toEqual(['a', 'b']);
      expect((await since(sink, Topic.Catalog, m.catalog)).map((c) => [c.value.model, c.value.action])).toEqual([
        ['a', 'added'],
        ['b', 'added'],
      ]);
      expect(await historyRows('a', 'b')).toBe(2);
      expect(
        (await db.query(`SELECT status FROM models WHERE model IN ('a', 'b') ORDER BY model`)).rows.map(
          (r) => r.status,
        ),
      ).toEqual(['enabled', 'enabled']);
      expect(changes).toHaveLength(1);
      expect(changes[0].models).toEqual(['a', 'b']);

      m = await mark();
      const again = await book.propose('url', { model: 'a', inputPerM: 0.1, outputPerM: 0.1 });
      expect(again.status).toBe('unchanged');
      expect(await since(sink, Topic.Prices, m.prices)).toEqual([]);
      expect(await since(sink, Topic.Catalog, m.catalog)).toEqual([]);
      expect(await historyRows('a', 'b')).toBe(2);
      expect(changes).toHaveLength(1);

      const moved = await book.propose('url', { model: 'a', inputPerM: 0.2, outputPerM: 0.1 });
      expect(moved.status).toBe('accepted');
      expect(await since(sink, Topic.Prices, m.prices)).toHaveLength(1);
      expect(await since(sink, Topic.Catalog, m.catalog)).toHaveLength(0);
      expect(await historyRows('a', 'b')).toBe(3);
    });

    it('refuses a file jump without publishing, logs the reason at warn and counts it', async () => {
      await book.propose('file', { model: 'j', inputPerM: 1, outputPerM: 1 });
      const m = await mark();
      const logMark = logs.length;
      const r = await book.propose('file', { model: 'j', inputPerM: 25, outputPerM: 1 });
      expect(r).toMatchObject({ status: 'rejected', reason: 'jump' });
      expect(await since(sink, Topic.Prices, m.prices)).toEqual([]);
      expect(await since(sink, Topic.Catalog, m.catalog)).toEqual([]);
      expect(book.price('j')?.inputPerM).toBe(1);
      expect(await pw.counter('price_rejected_total', { source: 'file', reason: 'jump' })).toBe(1);
      expect(logs.slice(logMark).some((l) => l.level === 'warn' && /jump/.test(l.msg ?? ''))).toBe(true);

      const neg = await book.propose('url', { model: 'j', inputPerM: -1, outputPerM: 1 });
      expect(neg).toMatchObject({ status: 'rejected', reason: 'negative' });
      expect(await pw.counter('price_rejected_total', { source: 'url', reason: 'negative' })).toBe(1);
    });

    it('takes a confirmed jump from the admin', async () => {
      await book.propose('file', { model: 'c', inputPerM: 1, outputPerM: 1 });
      expect(await book.propose('admin', { model: 'c', inputPerM: 25, outputPerM: 1 })).toMatchObject({
        status: 'rejected',
        reason: 'jump',
      });
      expect(
        await book.propose('admin', { model: 'c', inputPerM: 25, outputPerM: 1 }, { confirm: true }),
      ).toMatchObject({ status: 'accepted' });
      expect((await received(sink, Topic.Prices)).at(-1)?.value).toMatchObject({
        model: 'c',
        inputPerM: 25,
        source: 'admin',
      });
    });

    it('removes a model: catalog "removed", feeds ignored, back only through addModel', async () => {
      await book.propose('file', { model: 'r', inputPerM: 1, outputPerM: 1 });
      const others = book.current().filter((p) => p.model !== 'r');
      let m = await mark();
      expect(await book.removeModel('r')).toBe(true);
      expect(await book.removeModel('r')).toBe(false);
      expect(await book.removeModel('nope')).toBe(false);
      expect((await since(sink, Topic.Catalog, m.catalog)).map((c) => c.value)).toMatchObject([
        { model: 'r', action: 'removed' },
      ]);
      expect((await db.query(`SELECT status FROM models WHERE model = 'r'`)).rows).toEqual([{ status: 'removed' }]);
      expect(book.current()).toEqual(others);
      expect(changes.at(-1)?.reason).toMatch(/removed/);

      expect(await book.propose('file', { model: 'r', inputPerM: 1, outputPerM: 1 })).toMatchObject({
        status: 'rejected',
        reason: 'removed',
      });
      m = await mark();
      const back = await book.propose(
        'admin',
        { model: 'r', inputPerM: 1, outputPerM: 1 },
        { addModel: { endpoint: 'http://gpu:8000/v1' } },
      );
      expect(back).toMatchObject({ status: 'accepted', catalog: 'added' });
      expect((await since(sink, Topic.Catalog, m.catalog)).at(-1)?.value).toMatchObject({
        model: 'r',
        action: 'added',
        endpoint: 'http://gpu:8000/v1',
      });

      // Removed again: the restart below must remember it.
      await book.removeModel('r');
    });

    it('keeps self-hosted terms a feed does not mention, and refuses self-hosting without a concurrency', async () => {
      await book.propose('file', { model: 'g', inputPerM: 0.1, outputPerM: 0.1, selfHosted: true, concurrency: 2 });
      await book.propose('url', { model: 'g', inputPerM: 0.2, outputPerM: 0.2 });
      expect(book.price('g')).toMatchObject({ selfHosted: true, concurrency: 2, inputPerM: 0.2 });
      expect(
        (
          await db.query(
            `SELECT self_hosted, concurrency, input_per_m FROM price_history WHERE model = 'g' ORDER BY id DESC LIMIT 1`,
          )
        ).rows,
      ).toEqual([{ self_hosted: true, concurrency: 2, input_per_m: 0.2 }]);
      expect(
        await book.propose('file', { model: 'h', inputPerM: 0.1, outputPerM: 0.1, selfHosted: true }),
      ).toMatchObject({ status: 'rejected', reason: 'invalid' });
    });

    it('changes nothing when Kafka refuses, so the next attempt retries', async () => {
      const before = book.current();
      const m = await mark();
      // The app's own producer, disconnected: its next send fails instead of reaching the broker.
      const producer = pw.app.get(MessageProducer);
      await producer.disconnect();
      try {
        expect(await book.propose('file', { model: 'k', inputPerM: 1, outputPerM: 1 })).toMatchObject({
          status: 'failed',
        });
      } finally {
        await producer.connect();
      }
      expect(book.current()).toEqual(before);
      expect(await historyRows('k')).toBe(0);
      expect((await db.query(`SELECT count(*)::int AS n FROM models WHERE model = 'k'`)).rows[0].n).toBe(0);
      expect(await since(sink, Topic.Prices, m.prices)).toEqual([]);
      expect(await book.propose('file', { model: 'k', inputPerM: 1, outputPerM: 1 })).toMatchObject({
        status: 'accepted',
        catalog: 'added',
      });
      expect((await since(sink, Topic.Prices, m.prices)).map((p) => p.key)).toEqual(['k']);
      expect(await historyRows('k')).toBe(1);
    });

    it('reverts to the previous price', async () => {
      expect(await book.revert('v')).toBeUndefined();
      await book.propose('file', { model: 'v', inputPerM: 1, outputPerM: 1 });
      expect(await book.revert('v')).toBeUndefined();
      await book.propose('admin', { model: 'v', inputPerM: 50, outputPerM: 1 }, { confirm: true });
      expect(await book.revert('v')).toMatchObject({
        status: 'accepted',
        price: { inputPerM: 1, source: 'admin:revert' },
      });
      expect(
        (await db.query(`SELECT input_per_m, source FROM price_history WHERE model = 'v' ORDER BY id`)).rows,
      ).toEqual([
        { input_per_m: 1, source: 'file' },
        { input_per_m: 50, source: 'admin' },
        { input_per_m: 1, source: 'admin:revert' },
      ]);
    });

    it('takes a costFactor from the admin API: a change of the factor alone is a change, a feed without one keeps it', async () => {
      await book.propose('file', { model: 'f', inputPerM: 1, outputPerM: 1 });
      const m = await mark();
      const set = await pw.call('POST', '/admin/prices', { model: 'f', inputPerM: 1, outputPerM: 1, costFactor: 0.5 });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({ status: 'accepted', price: { model: 'f', costFactor: 0.5 } });
      expect(
        (await pw.call('POST', '/admin/prices', { model: 'f', inputPerM: 1, outputPerM: 1, costFactor: 0.5 })).body,
      ).toMatchObject({ status: 'unchanged' });
      // A feed knows nothing of scenarios: its price without a factor keeps the one in force.
      expect(await book.propose('file', { model: 'f', inputPerM: 1, outputPerM: 1 })).toMatchObject({
        status: 'unchanged',
        price: { costFactor: 0.5 },
      });
      expect(
        (await pw.call('POST', '/admin/prices', { model: 'f', inputPerM: 1, outputPerM: 1, costFactor: 0.25 })).body,
      ).toMatchObject({ status: 'accepted' });
      expect((await pw.call('DELETE', '/admin/prices/f')).body).toMatchObject({
        status: 'accepted',
        price: { costFactor: 0.5, source: 'admin:revert' },
      });
      expect((await since(sink, Topic.Prices, m.prices)).map((p) => [p.key, p.value.costFactor])).toEqual([
        ['f', 0.5],
        ['f', 0.25],
        ['f', 0.5],
      ]);
      expect(await since(sink, Topic.Catalog, m.catalog)).toEqual([]);
      expect(await costFactors('f')).toEqual([null, 0.5, 0.25, 0.5]);
      expect(
        (await pw.call('GET', '/prices/f/history')).body.history.map((h: { costFactor?: number }) => h.costFactor),
      ).toEqual([0.5, 0.25, 0.5, undefined]);

      // Undo of a factor clears it: the earlier price had none.
      await book.propose('file', { model: 'e', inputPerM: 1, outputPerM: 1 });
      await pw.call('POST', '/admin/prices', { model: 'e', inputPerM: 1, outputPerM: 1, costFactor: 0.5 });
      const undo = await pw.call('DELETE', '/admin/prices/e');
      expect(undo.body).toMatchObject({ status: 'accepted', price: { model: 'e', source: 'admin:revert' } });
      expect(undo.body.price.costFactor).toBeUndefined();
      expect(book.price('e')?.costFactor).toBeUndefined();
      expect(await costFactors('e')).toEqual([null, 0.5, null]);
    });
  });

  describe('after a restart on the same database', () => {
    let before: PriceEvent[];
    let count: { prices: number; catalog: number };

    beforeAll(async () => {
      before = book.current();
      await pw.close();
      count = { prices: await published(Topic.Prices), catalog: await published(Topic.Catalog) };
      await start();
    });

    it('does not republish what Postgres already holds', async () => {
      expect(book.current()).toEqual(before);
      expect(models(before)).toEqual(['a', 'b', 'c', 'e', 'f', 'g', 'j', 'k', 'llama-70b', 'v']);
      expect(await published(Topic.Prices)).toBe(count.prices);
      expect(await published(Topic.Catalog)).toBe(count.catalog);
      expect((await book.propose('file', { model: 'a', inputPerM: 0.2, outputPerM: 0.1 })).status).toBe('unchanged');
      expect(await published(Topic.Prices)).toBe(count.prices);
      expect(await published(Topic.Catalog)).toBe(count.catalog);
    });

    it('keeps a costFactor: GET /prices shows it, and neither a feed nor the same admin price republishes it', async () => {
      expect((await pw.call('GET', '/prices')).body.prices.find((p: PriceEvent) => p.model === 'f')).toMatchObject({
        inputPerM: 1,
        outputPerM: 1,
        costFactor: 0.5,
      });
      expect(book.price('e')?.costFactor).toBeUndefined();
      expect((await book.propose('file', { model: 'f', inputPerM: 1, outputPerM: 1 })).status).toBe('unchanged');
      expect(
        (await pw.call('POST', '/admin/prices', { model: 'f', inputPerM: 1, outputPerM: 1, costFactor: 0.5 })).body,
      ).toMatchObject({ status: 'unchanged' });
      expect(await published(Topic.Prices)).toBe(count.prices);
      expect(await published(Topic.Catalog)).toBe(count.catalog);
      expect(await costFactors('f')).toEqual([null, 0.5, 0.25, 0.5]);
    });

    it('remembers a removal', async () => {
      expect(book.price('r')).toBeUndefined();
      expect(await book.propose('file', { model: 'r', inputPerM: 1, outputPerM: 1 })).toMatchObject({
        status: 'rejected',
        reason: 'removed',
      });
    });
  });
});
