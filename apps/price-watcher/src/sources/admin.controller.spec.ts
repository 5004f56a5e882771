import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { PinoLogger } from 'nestjs-pino';
import { Topic } from '@llm-router/contracts';
import { MessageProducer } from '@llm-router/kafka';
import { APP_CONFIG, MetricsService } from '@llm-router/service';
import { FakeProducer, fakeLog, MemoryPriceStore } from '../testing/fakes';
import { PriceBookService } from '../price-book/price-book.service';
import { PRICE_STORE } from '../price-book/price-store';
import { PricesController } from '../price-book/prices.controller';
import { AdminController } from './admin.controller';
import { AdminTokenGuard } from './admin.guard';

const TOKEN = 'test-admin-token';
const LLAMA = 'meta-llama/llama-3.1-8b-instruct';

async function start(adminToken: string | undefined) {
  const producer = new FakeProducer();
  const mod = await Test.createTestingModule({
    controllers: [AdminController, PricesController],
    providers: [
      PriceBookService,
      AdminTokenGuard,
      MetricsService,
      { provide: PRICE_STORE, useValue: new MemoryPriceStore() },
      { provide: MessageProducer, useValue: producer },
      { provide: PinoLogger, useValue: fakeLog() },
      { provide: APP_CONFIG, useValue: { ADMIN_TOKEN: adminToken, MAX_PRICE_JUMP: 10, selfHosted: [] } },
    ],
  }).compile();
  const app = mod.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const call = async (method: string, path: string, body?: unknown, token: string | null = TOKEN) => {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  return { app, producer, call };
}

describe('admin API', () => {
  let app: INestApplication | undefined;
  afterEach(async () => app?.close());

  it('answers 503 with the reason when ADMIN_TOKEN is not set', async () => {
    const s = await start(undefined);
    app = s.app;
    const r = await s.call('POST', '/admin/models', { model: 'a', inputPerM: 1, outputPerM: 1 });
    expect(r.status).toBe(503);
    expect(r.body.message).toMatch(/set ADMIN_TOKEN/);
  });

  it('answers 401 without or with a wrong bearer token', async () => {
    const s = await start(TOKEN);
    app = s.app;
    expect((await s.call('POST', '/admin/models', { model: 'a', inputPerM: 1, outputPerM: 1 }, null)).status).toBe(401);
    expect((await s.call('POST', '/admin/models', { model: 'a', inputPerM: 1, outputPerM: 1 }, 'wrong')).status).toBe(401);
    expect(s.producer.sent).toEqual([]);
  });

  it('adds a model, guards jumps with 409 until confirmed, refuses bad input with 400, removes it', async () => {
    const s = await start(TOKEN);
    app = s.app;
    const added = await s.call('POST', '/admin/models', { model: LLAMA, inputPerM: 0.1, outputPerM: 0.1, endpoint: 'http://gpu:8000/v1' });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ status: 'accepted', catalog: 'added', price: { model: LLAMA, inputPerM: 0.1 } });
    expect(s.producer.on(Topic.Catalog)).toMatchObject([{ model: LLAMA, action: 'added', endpoint: 'http://gpu:8000/v1' }]);

    const jump = await s.call('POST', '/admin/prices', { model: LLAMA, inputPerM: 5, outputPerM: 0.1 });
    expect(jump.status).toBe(409);
    expect(jump.body).toMatchObject({ reason: 'jump' });
    expect(jump.body.message).toMatch(/"confirm": true/);
    const confirmed = await s.call('POST', '/admin/prices', { model: LLAMA, inputPerM: 5, outputPerM: 0.1, confirm: true });
    expect(confirmed.body).toMatchObject({ status: 'accepted', price: { inputPerM: 5 } });

    const negative = await s.call('POST', '/admin/prices', { model: LLAMA, inputPerM: -1, outputPerM: 0.1 });
    expect(negative.status).toBe(400);
    expect(negative.body).toMatchObject({ reason: 'negative' });
    const typo = await s.call('POST', '/admin/prices', { model: LLAMA, input_per_m: 1, outputPerM: 0.1 });
    expect(typo.status).toBe(400);
    expect(typo.body.message).toMatch(/inputPerM: is required/);
    expect(typo.body.message).toMatch(/input_per_m/);
    expect((await s.call('POST', '/admin/prices', { model: 'nobody/unknown', inputPerM: 1, outputPerM: 1 })).status).toBe(404);

    const prices = await s.call('GET', '/prices', undefined, null);
    expect(prices.body.prices.map((p: { model: string }) => p.model)).toEqual([LLAMA]);
    const history = await s.call('GET', `/prices/${encodeURIComponent(LLAMA)}/history`, undefined, null);
    expect(history.status).toBe(200);
    expect(history.body.history.map((h: { inputPerM: number }) => h.inputPerM)).toEqual([5, 0.1]);

    const reverted = await s.call('DELETE', `/admin/prices/${encodeURIComponent(LLAMA)}`);
    expect(reverted.body).toMatchObject({ status: 'accepted', price: { inputPerM: 0.1 } });

    const removed = await s.call('DELETE', `/admin/models/${encodeURIComponent(LLAMA)}`);
    expect(removed).toEqual({ status: 200, body: { status: 'removed', model: LLAMA } });
    expect(s.producer.on(Topic.Catalog).at(-1)).toMatchObject({ model: LLAMA, action: 'removed' });
    expect((await s.call('DELETE', `/admin/models/${encodeURIComponent(LLAMA)}`)).status).toBe(404);
    const readd = await s.call('POST', '/admin/prices', { model: LLAMA, inputPerM: 0.1, outputPerM: 0.1 });
    expect(readd.status).toBe(409);
    expect(readd.body).toMatchObject({ reason: 'removed' });
  });
});
