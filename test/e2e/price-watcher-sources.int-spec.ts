import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Topic } from '@llm-router/contracts';
import { FileSource } from '../../apps/price-watcher/src/sources/file-source';
import { OpenRouterSource } from '../../apps/price-watcher/src/sources/openrouter-source';
import { FEED, K3 } from '../../apps/price-watcher/src/sources/testing/feeds';
import { collect, resetTopics, waitFor } from '../support/kafka-test-kit';
import { freshDatabase } from '../support/database';
import {
  ADMIN_TOKEN,
  captureLogs,
  LogLine,
  PriceWatcher,
  received,
  since,
  Sink,
  startPriceWatcher,
} from '../support/price-watcher';

/** The arguments and result of the n-th call (from 0) of a spied async method, once it has been made. */
async function nth(spy: jest.SpyInstance, n: number): Promise<{ args: unknown[]; result: unknown }> {
  await waitFor(`call ${n + 1} of ${spy.getMockName()}`, () => spy.mock.calls.length > n);
  return { args: spy.mock.calls[n], result: await spy.mock.results[n].value };
}

/** Price sources of the running price-watcher: the watched models file and a polled OpenRouter-format feed. */
describe('price-watcher sources', () => {
  let sink: Sink;
  let logs: LogLine[];

  beforeAll(async () => {
    // One partition per topic: the sink then sees messages in the order they were published.
    process.env['KAFKA_PARTITIONS_CAP'] = '1';
    await resetTopics();
    sink = await collect([Topic.Prices, Topic.Catalog]);
    logs = captureLogs();
  });

  afterAll(async () => sink?.stop());

  describe('PRICES_FILE', () => {
    let dir: string;
    let file: string;
    let db: Client;
    let pw: PriceWatcher;
    let source: FileSource;
    let reload: jest.SpyInstance;
    let atStart: Sink['received'];

    /** Written aside and renamed over the file, as editors save: the watcher then sees one complete document. */
    const save = (text: string) => {
      writeFileSync(join(dir, '.models.json.tmp'), text);
      renameSync(join(dir, '.models.json.tmp'), file);
    };
    const currentPrices = async () =>
      (await pw.call('GET', '/prices', undefined, null)).body.prices as {
        model: string;
        inputPerM: number;
        outputPerM: number;
      }[];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pw-file-'));
      file = join(dir, 'models.json');
      writeFileSync(file, JSON.stringify(K3));
      const databaseUrl = await freshDatabase('pw_file');
      db = new Client({ connectionString: databaseUrl });
      await db.connect();
      pw = await startPriceWatcher({
        databaseUrl,
        env: { PRICES_FILE: file, PRICES_FILE_DEBOUNCE_MS: '100', ADMIN_TOKEN },
      });
      atStart = [...(await received(sink, Topic.Prices))];
      source = pw.app.get(FileSource);
      reload = jest.spyOn(source, 'reload');
    });

    afterAll(async () => {
      await pw?.close();
      await db?.end();
      rmSync(dir, { recursive: true, force: true });
    });

    it('applies the file, then on reload only what changed in it; a bad entry is rejected once and the rest applied', async () => {
      const health = await pw.call('GET', '/health', undefined, null);
      expect(health.body.checks['prices-file'].last.result).toEqual({
        proposed: 3,
        accepted: 3,
        rejected: 0,
        failed: 0,
      });
      expect(atStart).toHaveLength(3);

      // An admin override survives a reload that does not touch that model.
      expect(
        (await pw.call('POST', '/admin/prices', { model: 'google/gemini-2.5-pro', inputPerM: 1, outputPerM: 8 }))
          .status,
      ).toBe(200);
      const k3 = structuredClone(K3);
      k3.models[0].output_cost_per_m = 0.2;
      k3.models[1].input_cost_per_m = 50; // 100x: refused
      const mark = (await received(sink, Topic.Prices)).length;
      let calls = reload.mock.calls.length;
      save(JSON.stringify(k3));
      const changed = await nth(reload, calls);
      expect(changed).toEqual({ args: ['change'], result: { proposed: 2, accepted: 1, rejected: 1, failed: 0 } });
      expect((await since(sink, Topic.Prices, mark)).map((p) => [p.value.model, p.value.outputPerM])).toEqual([
        ['meta-llama/llama-3.1-8b-instruct', 0.2],
      ]);
      expect((await currentPrices()).find((p) => p.model === 'google/gemini-2.5-pro')?.outputPerM).toBe(8);
      expect(await pw.counter('price_rejected_total', { source: 'file', reason: 'jump' })).toBe(1);

      // Unchanged file: the refused entry is not proposed, logged or counted again.
      calls = reload.mock.calls.length;
      save(JSON.stringify(k3));
      expect((await nth(reload, calls)).result).toEqual({ proposed: 0, accepted: 0, rejected: 0, failed: 0 });
      expect(await pw.counter('price_rejected_total', { source: 'file', reason: 'jump' })).toBe(1);
    });

    it('keeps the current prices when the file is broken or missing, and counts it', async () => {
      const mark = (await received(sink, Topic.Prices)).length;
      const logMark = logs.length;
      let calls = reload.mock.calls.length;
      save('{"models": [');
      expect((await nth(reload, calls)).result).toBeNull();
      calls = reload.mock.calls.length;
      rmSync(file);
      expect((await nth(reload, calls)).result).toBeNull();
      expect(await since(sink, Topic.Prices, mark)).toEqual([]);
      expect(await currentPrices()).toHaveLength(3);
      expect(await pw.counter('price_source_errors_total', { source: 'file', reason: 'parse' })).toBe(1);
      expect(await pw.counter('price_source_errors_total', { source: 'file', reason: 'read' })).toBe(1);
      expect(
        logs
          .slice(logMark)
          .filter((l) => l.level === 'warn')
          .map((l) => l.msg),
      ).toEqual([expect.stringMatching(/not JSON/), expect.stringMatching(/does not exist/)]);
    });

    it('retries a file whose prices could not be published or recorded, since nothing else would re-read it', async () => {
      // Postgres refuses the next price_history insert, once: a sequence is not rolled back with the failed insert.
      await db.query(`CREATE SEQUENCE fail_once`);
      await db.query(`CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF nextval('fail_once') = 1 THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`);
      await db.query(
        `CREATE TRIGGER fail_once BEFORE INSERT ON price_history FOR EACH ROW EXECUTE FUNCTION fail_once()`,
      );
      // TypeORM prints the failed query to the console; that failure is the one injected here.
      const console_ = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      const retryMs = FileSource.RETRY_MS;
      FileSource.RETRY_MS = 200;
      const added = ['acme/one', 'acme/two', 'acme/three'];
      const present = async () => (await currentPrices()).map((p) => p.model).filter((m) => added.includes(m));
      try {
        const calls = reload.mock.calls.length;
        save(
          JSON.stringify({
            models: added.map((model_id) => ({ model_id, input_cost_per_m: 1, output_cost_per_m: 2 })),
          }),
        );
        expect(await nth(reload, calls)).toEqual({
          args: ['change'],
          result: { proposed: 3, accepted: 2, rejected: 0, failed: 1 },
        });
        expect(await present()).toHaveLength(2);
        expect(await nth(reload, calls + 1)).toEqual({
          args: ['retry'],
          result: { proposed: 1, accepted: 1, rejected: 0, failed: 0 },
        });
        expect(await present()).toHaveLength(3);
      } finally {
        console_.mockRestore();
        FileSource.RETRY_MS = retryMs;
        await db.query(`DROP TRIGGER IF EXISTS fail_once ON price_history`);
      }
    });
  });

  describe('PRICES_URL', () => {
    let server: Server;
    let feedUrl: string;
    let answer: { status: number; body: string };
    let pw: PriceWatcher;
    let poll: jest.SpyInstance;
    let startMark: number;
    let atStart: Sink['received'];
    let logMark: number;

    beforeAll(async () => {
      answer = { status: 200, body: JSON.stringify(FEED) };
      server = createServer((_req, res) =>
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body),
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      feedUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/models`;
      const databaseUrl = await freshDatabase('pw_url');
      startMark = (await received(sink, Topic.Prices)).length;
      logMark = logs.length;
      pw = await startPriceWatcher({ databaseUrl, env: { PRICES_URL: feedUrl, PRICES_POLL_S: '0.2' } });
      atStart = await since(sink, Topic.Prices, startMark);
      poll = jest.spyOn(pw.app.get(OpenRouterSource), 'poll');
    });

    afterAll(async () => {
      await pw?.close();
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
    });

    it('publishes the good prices, refuses the negative one once, and republishes nothing on an identical poll', async () => {
      // The poll at start is over before the spy exists: its result is in its log line.
      const first = logs.slice(logMark).find((l) => l.msg === 'price feed polled');
      expect(first).toMatchObject({ proposed: 4, accepted: 3, rejected: 1, failed: 0 });
      expect(atStart.map((p) => p.value.model)).toEqual([
        'openai/gpt-4o-mini',
        'google/gemini-2.5-pro',
        'meta-llama/llama-3.1-8b-instruct:free',
      ]);
      expect(atStart[0].value.source).toBe(`url:${feedUrl}`);
      expect(await pw.counter('price_rejected_total', { source: 'url', reason: 'negative' })).toBe(1);

      const calls = poll.mock.calls.length;
      expect((await nth(poll, calls)).result).toEqual({ proposed: 0, accepted: 0, rejected: 0, failed: 0 });
      expect(await since(sink, Topic.Prices, startMark + atStart.length)).toEqual([]);
      expect(await pw.counter('price_rejected_total', { source: 'url', reason: 'negative' })).toBe(1);
    });

    it('publishes a price the feed changed at a later poll, and keeps the prices while the feed fails', async () => {
      const mark = (await received(sink, Topic.Prices)).length;
      const feed = structuredClone(FEED);
      feed.data[0].pricing.prompt = '0.0000002';
      answer = { status: 200, body: JSON.stringify(feed) };
      const moved = await waitFor('the changed price', async () => {
        const s = await since(sink, Topic.Prices, mark);
        return s.length > 0 && s;
      });
      expect(moved.map((p) => [p.key, p.value.inputPerM, p.value.outputPerM])).toEqual([
        ['openai/gpt-4o-mini', 0.2, 0.6],
      ]);

      answer = { status: 500, body: 'upstream down' };
      const calls = poll.mock.calls.length;
      // This call started after the switch, so it got the 500.
      expect((await nth(poll, calls)).result).toBeNull();
      expect(await pw.counter('price_source_errors_total', { source: 'url', reason: 'fetch' })).toBeGreaterThanOrEqual(
        1,
      );
      expect(await since(sink, Topic.Prices, mark)).toHaveLength(1);
      expect(
        (await pw.call('GET', '/prices', undefined, null)).body.prices.map(
          (p: { model: string; inputPerM: number }) => [p.model, p.inputPerM],
        ),
      ).toEqual([
        ['google/gemini-2.5-pro', 1.25],
        ['meta-llama/llama-3.1-8b-instruct:free', 0],
        ['openai/gpt-4o-mini', 0.2],
      ]);
    });
  });
});
