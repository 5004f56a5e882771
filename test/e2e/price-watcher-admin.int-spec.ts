import { Client } from 'pg';
import { Topic } from '@llm-router/contracts';
import { collect, resetTopics } from '../support/kafka-test-kit';
import { freshDatabase } from '../support/database';
import { ADMIN_TOKEN, PriceWatcher, received, since, Sink, startPriceWatcher } from '../support/price-watcher';

const LLAMA = 'meta-llama/llama-3.1-8b-instruct';

/** The admin API of the price-watcher over HTTP, with its effects on Kafka and PostgreSQL. */
describe('price-watcher admin API', () => {
  let sink: Sink;
  let databaseUrl: string;
  let db: Client;

  beforeAll(async () => {
    // One partition per topic: the sink then sees messages in the order they were published.
    process.env['KAFKA_PARTITIONS_CAP'] = '1';
    await resetTopics();
    databaseUrl = await freshDatabase('pw_admin');
    sink = await collect([Topic.Prices, Topic.Catalog]);
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await sink?.stop();
    await db?.end();
  });

  it('answers 503 with the reason when ADMIN_TOKEN is not set', async () => {
    const pw = await startPriceWatcher({ databaseUrl });
    try {
      const r = await pw.call('POST', '/admin/models', { model: 'a', inputPerM: 1, outputPerM: 1 });
      expect(r.status).toBe(503);
      expect(r.body.message).toMatch(/set ADMIN_TOKEN/);
    } finally {
      await pw.close();
    }
  });

  describe('with ADMIN_TOKEN', () => {
    let pw: PriceWatcher;
    beforeAll(async () => {
      pw = await startPriceWatcher({ databaseUrl, env: { ADMIN_TOKEN } });
    });
    afterAll(async () => pw?.close());

    it('answers 401 without or with a wrong bearer token', async () => {
      const prices = (await received(sink, Topic.Prices)).length;
      const catalog = (await received(sink, Topic.Catalog)).length;
      expect((await pw.call('POST', '/admin/models', { model: 'a', inputPerM: 1, outputPerM: 1 }, null)).status).toBe(
        401,
      );
      expect(
        (await pw.call('POST', '/admin/models', { model: 'a', inputPerM: 1, outputPerM: 1 }, 'wrong')).status,
      ).toBe(401);
      expect(await since(sink, Topic.Prices, prices)).toEqual([]);
      expect(await since(sink, Topic.Catalog, catalog)).toEqual([]);
      expect((await db.query('SELECT count(*)::int AS n FROM models')).rows[0].n).toBe(0);
    });

    it('adds a model, guards jumps with 409 until confirmed, refuses bad input with 400, removes it', async () => {
      const catalog = (await received(sink, Topic.Catalog)).length;
      const added = await pw.call('POST', '/admin/models', {
        model: LLAMA,
        inputPerM: 0.1,
        outputPerM: 0.1,
        endpoint: 'http://gpu:8000/v1',
      });
      expect(added.status).toBe(200);
      expect(added.body).toMatchObject({
        status: 'accepted',
        catalog: 'added',
        price: { model: LLAMA, inputPerM: 0.1 },
      });
      expect((await since(sink, Topic.Catalog, catalog)).map((m) => m.value)).toMatchObject([
        { model: LLAMA, action: 'added', endpoint: 'http://gpu:8000/v1' },
      ]);
      expect((await db.query('SELECT status, endpoint FROM models WHERE model = $1', [LLAMA])).rows).toEqual([
        { status: 'enabled', endpoint: 'http://gpu:8000/v1' },
      ]);

      const jump = await pw.call('POST', '/admin/prices', { model: LLAMA, inputPerM: 5, outputPerM: 0.1 });
      expect(jump.status).toBe(409);
      expect(jump.body).toMatchObject({ reason: 'jump' });
      expect(jump.body.message).toMatch(/"confirm": true/);
      const confirmed = await pw.call('POST', '/admin/prices', {
        model: LLAMA,
        inputPerM: 5,
        outputPerM: 0.1,
        confirm: true,
      });
      expect(confirmed.body).toMatchObject({ status: 'accepted', price: { inputPerM: 5 } });

      const negative = await pw.call('POST', '/admin/prices', { model: LLAMA, inputPerM: -1, outputPerM: 0.1 });
      expect(negative.status).toBe(400);
      expect(negative.body).toMatchObject({ reason: 'negative' });
      const typo = await pw.call('POST', '/admin/prices', { model: LLAMA, input_per_m: 1, outputPerM: 0.1 });
      expect(typo.status).toBe(400);
      expect(typo.body.message).toMatch(/inputPerM: is required/);
      expect(typo.body.message).toMatch(/input_per_m/);
      expect(
        (await pw.call('POST', '/admin/prices', { model: 'nobody/unknown', inputPerM: 1, outputPerM: 1 })).status,
      ).toBe(404);

      const prices = await pw.call('GET', '/prices', undefined, null);
      expect(prices.body.prices.map((p: { model: string }) => p.model)).toEqual([LLAMA]);
      const history = await pw.call('GET', `/prices/${encodeURIComponent(LLAMA)}/history`, undefined, null);
      expect(history.status).toBe(200);
      expect(history.body.history.map((h: { inputPerM: number }) => h.inputPerM)).toEqual([5, 0.1]);
      // The refused proposals left no trace in the history.
      expect(
        (await db.query('SELECT input_per_m FROM price_history WHERE model = $1 ORDER BY id', [LLAMA])).rows,
      ).toEqual([{ input_per_m: 0.1 }, { input_per_m: 5 }]);

      const pricesMark = (await received(sink, Topic.Prices)).length;
      const reverted = await pw.call('DELETE', `/admin/prices/${encodeURIComponent(LLAMA)}`);
      expect(reverted.body).toMatchObject({ status: 'accepted', price: { inputPerM: 0.1 } });
      expect(
        (await since(sink, Topic.Prices, pricesMark)).map((m) => [m.key, m.value.inputPerM, m.value.source]),
      ).toEqual([[LLAMA, 0.1, 'admin:revert']]);

      const catalogMark = (await received(sink, Topic.Catalog)).length;
      const removed = await pw.call('DELETE', `/admin/models/${encodeURIComponent(LLAMA)}`);
      expect(removed).toEqual({ status: 200, body: { status: 'removed', model: LLAMA } });
      expect((await since(sink, Topic.Catalog, catalogMark)).map((m) => m.value)).toMatchObject([
        { model: LLAMA, action: 'removed' },
      ]);
      expect((await db.query('SELECT status FROM models WHERE model = $1', [LLAMA])).rows).toEqual([
        { status: 'removed' },
      ]);
      expect((await pw.call('DELETE', `/admin/models/${encodeURIComponent(LLAMA)}`)).status).toBe(404);
      const readd = await pw.call('POST', '/admin/prices', { model: LLAMA, inputPerM: 0.1, outputPerM: 0.1 });
      expect(readd.status).toBe(409);
      expect(readd.body).toMatchObject({ reason: 'removed' });
    });
  });
});
