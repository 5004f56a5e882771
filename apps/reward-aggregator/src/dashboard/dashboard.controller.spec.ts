import { ServiceUnavailableException, StreamableFile } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PinoLogger } from 'nestjs-pino';
import { DashboardController } from './dashboard.controller';
import { observedFrontier } from './observed-frontier';
import { findChartJsUmd, findDashboardPublicDir } from './static-files';

const log = { error: jest.fn() } as unknown as PinoLogger;
const noDb = { query: async () => [] };

const controller = (priceWatcherUrl?: string, ds: { query: (...a: never[]) => Promise<unknown> } = noDb) =>
  new DashboardController({ PRICE_WATCHER_URL: priceWatcherUrl }, ds as never, log);

/** A stand-in price-watcher: answers every request with the given handler and records the paths asked. */
async function fakePriceWatcher(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; paths: string[]; close: () => Promise<void> }> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, paths, close: () => new Promise((r) => server.close(() => r())) };
}

async function read(file: StreamableFile): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of file.getStream()) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

async function unavailable(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ServiceUnavailableException);
  return (e as ServiceUnavailableException).message;
}

describe('GET /frontier (price-watcher proxy)', () => {
  it('answers 503 naming PRICE_WATCHER_URL when it is not set', async () => {
    expect(await unavailable(controller(undefined).frontier())).toMatch(/PRICE_WATCHER_URL is not set/);
  });

  it("passes the price-watcher's answer through, whatever the trailing slash", async () => {
    const body = {
      scopes: [
        {
          scope: 'default',
          policyVersion: 3,
          estimates: { a: 0.5 },
          frontier: {
            scope: 'default',
            frontier: [{ model: 'a', quality: 0.5, costUsd: 0.001 }],
            dominated: [],
            reason: 'x',
            ts: '2025-01-01T00:00:00Z',
          },
        },
      ],
    };
    const pw = await fakePriceWatcher((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
    );
    try {
      expect(await controller(pw.url).frontier()).toEqual(body);
      expect(await controller(pw.url + '/').frontier()).toEqual(body);
      expect(pw.paths).toEqual(['/frontier', '/frontier']);
    } finally {
      await pw.close();
    }
  });

  it('answers 503 when the price-watcher is unreachable', async () => {
    const pw = await fakePriceWatcher(() => undefined);
    await pw.close();
    expect(await unavailable(controller(pw.url).frontier())).toMatch(/unreachable/);
  });

  it('answers 503 when the price-watcher fails or is not a price-watcher', async () => {
    const failing = await fakePriceWatcher((_req, res) => res.writeHead(500).end('boom'));
    const other = await fakePriceWatcher((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'),
    );
    const text = await fakePriceWatcher((_req, res) => res.writeHead(200).end('<html>'));
    try {
      expect(await unavailable(controller(failing.url).frontier())).toMatch(/HTTP 500/);
      expect(await unavailable(controller(other.url).frontier())).toMatch(/"scopes"/);
      expect(await unavailable(controller(text.url).frontier())).toMatch(/not JSON/);
    } finally {
      await Promise.all([failing.close(), other.close(), text.close()]);
    }
  });
});

describe('GET /frontier/observed/:scope', () => {
  it('computes the frontier of the observed means of the scope, numeric strings included', async () => {
    const calls: unknown[][] = [];
    const ds = {
      query: async (...args: unknown[]) => {
        calls.push(args);
        return [
          { arm: 'cheap', pulls: 10, meanQuality: '0.4', meanCost: '0.0001' },
          { arm: 'good', pulls: '12', meanQuality: 0.9, meanCost: 0.001 },
          { arm: 'pricey', pulls: 5, meanQuality: 0.6, meanCost: 0.004 },
        ];
      },
    };
    const f = await controller(undefined, ds as never).observed('support');
    expect(calls[0][1]).toEqual(['support']);
    expect(f.scope).toBe('support');
    expect(f.source).toBe('observed');
    expect(f.frontier.map((p) => p.model)).toEqual(['cheap', 'good']);
    expect(f.dominated).toEqual([{ model: 'pricey', quality: 0.6, costUsd: 0.004, pulls: 5 }]);
    expect(f.frontier[1]).toEqual({ model: 'good', quality: 0.9, costUsd: 0.001, pulls: 12 });
  });
});

describe('observedFrontier', () => {
  it('leaves out arms without rewards or without finite means', () => {
    const f = observedFrontier('s', [
      { arm: 'a', pulls: 0, meanQuality: 0, meanCost: 0 },
      { arm: 'b', pulls: 3, meanQuality: NaN, meanCost: 0.1 },
      { arm: 'c', pulls: 3, meanQuality: 0.5, meanCost: 0.1 },
    ]);
    expect(f.frontier.map((p) => p.model)).toEqual(['c']);
    expect(f.dominated).toEqual([]);
  });

  it('is empty before any reward', () => {
    expect(observedFrontier('s', [])).toEqual({ scope: 's', source: 'observed', frontier: [], dominated: [] });
  });
});

describe('dashboard files', () => {
  it('serves the page, its script and Chart.js from node_modules', async () => {
    const c = controller();
    const page = await read(c.page());
    expect(page).toContain('<canvas id="chart-pulls"');
    expect(page).toContain('src="/dashboard/vendor/chart.js"');
    expect(page).toContain('src="/dashboard/app.js"');
    expect(await read(c.script())).toContain("new EventSource('/streams/rewards?scope='");
    expect(findChartJsUmd()).toMatch(/node_modules[\\/]chart\.js[\\/]dist[\\/]chart\.umd\.js$/);
    expect((await read(c.chartLibrary())).slice(0, 200)).toMatch(/Chart\.js v4/);
  });

  it('finds the files in the layout of the webpack bundle, and reports none when they are missing', () => {
    const root = mkdtempSync(join(tmpdir(), 'dashboard-'));
    const dist = join(root, 'dashboard', 'public');
    mkdirSync(dist, { recursive: true });
    writeFileSync(join(dist, 'index.html'), '');
    expect(findDashboardPublicDir([join(root, 'public'), dist])).toBeNull();
    writeFileSync(join(dist, 'app.js'), '');
    expect(findDashboardPublicDir([join(root, 'public'), dist])).toBe(dist);
  });
});
