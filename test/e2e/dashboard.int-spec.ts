import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Producer } from 'kafkajs';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { Topic } from '@llm-router/contracts';
import { pickByBudget, pickByMinQuality } from '@llm-router/pareto';
import { writeSyntheticDataset, DEFAULT_ARMS } from '../../tools/lib/synthetic-data';
import { collect, plainProducer, resetTopics, waitFor } from '../support/kafka-test-kit';
import { freshDatabase } from '../support/database';
import { startStack, Stack } from '../support/stack';

/** Debian's Chromium (scripts/bootstrap.sh installs it); a browser is never downloaded. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SCREENSHOT = join(__dirname, '../../tmp/dashboard.png');
const BUDGET_PER_QUERY_USD = 0.001;
const FIRST_QUERIES = 40;
const ARM_IDS = DEFAULT_ARMS.map((a) => a.id).sort();

/**
 * A stable address for a service that starts after the aggregator (the stack starts the
 * router last, on an ephemeral port): requests are passed through once `bind` names the
 * target; before that the connection is dropped, as by a service that is not up.
 */
async function lateBoundForwarder(): Promise<{ url: string; bind(target: string): void; close(): Promise<void> }> {
  let target: URL | undefined;
  const server: Server = createServer((req, res) => {
    if (!target) return void req.socket.destroy();
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bind: (t) => void (target = new URL(t)),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** What the page shows, read from the Chart.js instances and the state app.js exposes on window.dashboard. */
interface DashboardView {
  scope: string;
  stream: string;
  recent: { decisionId: string; arm: string; rewardsApplied: number }[];
  pulls: { labels: string[]; data: number[] };
  estimates: { labels: string[]; means: (number | null)[] };
  reward: { x: number; y: number }[];
  variance: { x: number; y: number }[];
  rollingVariance: { x: number; y: number }[];
  frontier: {
    source: string | null;
    frontier: { x: number; y: number; label: string }[];
    dominated: { x: number; y: number; label: string }[];
  };
  spend: { x: number; y: number }[];
  budget: { x: number; y: number }[];
  renders: number;
}

const view = (page: Page): Promise<DashboardView> =>
  page.evaluate(() => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const d = (globalThis as any).dashboard;
    const c = d.charts;
    return {
      scope: d.state.scope,
      stream: d.state.stream,
      recent: d.state.recent.map((e: { decisionId: string; arm: string; rewardsApplied: number }) => ({
        decisionId: e.decisionId,
        arm: e.arm,
        rewardsApplied: e.rewardsApplied,
      })),
      pulls: { labels: c.pulls.data.labels, data: c.pulls.data.datasets[0].data },
      estimates: { labels: c.estimates.data.labels, means: c.estimates.data.datasets[1].data },
      reward: c.reward.data.datasets[0].data,
      variance: c.variance.data.datasets[0].data,
      rollingVariance: c.variance.data.datasets[1].data,
      frontier: {
        source: c.frontier.$source,
        frontier: c.frontier.data.datasets[0].data,
        dominated: c.frontier.data.datasets[1].data,
      },
      spend: c.budget.data.datasets[0].data,
      budget: c.budget.data.datasets[1].data,
      renders: d.renders,
    };
  });

/**
 * The live dashboard in a real browser against the real stack: rewards flow through Kafka and
 * Postgres, the page subscribes to the reward stream and polls /stats, /policy and the
 * frontier endpoints, and every panel must show the figures the services hold.
 */
describe('live dashboard in Chromium', () => {
  let stack: Stack;
  let producer: Producer;
  let sink: Awaited<ReturnType<typeof collect>>;
  let context: BrowserContext;
  let page: Page;
  let aggUrl: string;
  let userDataDir: string;
  let routerDoor: Awaited<ReturnType<typeof lateBoundForwarder>>;
  let priceWatcherDoor: Awaited<ReturnType<typeof lateBoundForwarder>>;
  let priceWatcherUp = false;
  const pageErrors: string[] = [];
  let sent = 0;

  /** Sends n queries, waits for their answers, then sends one feedback each; returns the decision ids. */
  async function queriesWithFeedback(n: number): Promise<string[]> {
    const ids = Array.from({ length: n }, () => `dash-${++sent}`);
    await producer.send({
      topic: Topic.Queries,
      messages: ids.map((id, i) => ({
        key: id,
        value: JSON.stringify({
          id,
          scope: 'default',
          messages: [{ role: 'user', content: `Question ${sent - n + i}` }],
          datasetRow: (sent - n + i) % 200,
        }),
      })),
    });
    const responses = await waitFor(`${n} responses`, () => {
      const got = ids.map((id) => sink.of(Topic.Responses).find((r) => r.key === id));
      return got.every(Boolean) && got.map((r) => r!.value);
    });
    await producer.send({
      topic: Topic.Feedback,
      messages: responses.map((r: { decisionId: string }, i: number) => ({
        key: 'default',
        value: JSON.stringify({
          decisionId: r.decisionId,
          scope: 'default',
          quality: ((i * 37) % 100) / 100,
          source: 'user',
          ts: new Date().toISOString(),
        }),
      })),
    });
    return responses.map((r: { decisionId: string }) => r.decisionId);
  }

  const text = async (selector: string) => (await page.locator(selector).textContent())?.trim();

  /**
   * Charts, table and notes are all redrawn in one render pass, but state can run ahead of the
   * last pass; waiting for one more pass (every poll causes one) makes the DOM match the state.
   */
  async function nextRender(): Promise<void> {
    const before = (await view(page)).renders;
    await page.waitForFunction(
      (r) => (globalThis as { dashboard?: { renders: number } }).dashboard!.renders > r,
      before,
      { timeout: 30000 },
    );
  }

  const stats = async () => (await fetch(`${aggUrl}/stats`)).json();
  const defaultRow = async () => (await stats()).scopes.find((s: { scope: string }) => s.scope === 'default');
  const rewardsApplied = async () => Number((await defaultRow())?.rewardsApplied ?? 0);

  beforeAll(async () => {
    await resetTopics();
    const databaseUrl = await freshDatabase('dashboard');
    const data = writeSyntheticDataset(200);
    sink = await collect([Topic.Responses]);
    routerDoor = await lateBoundForwarder();
    priceWatcherDoor = await lateBoundForwarder();
    // A learning policy (not the stack's default 'random'): its estimates have intervals, and only
    // estimates with observations give the price-watcher a quality axis for its frontier.
    stack = await startStack({
      databaseUrl,
      dataPath: data.dataPath,
      modelsPath: data.modelsPath,
      env: {
        ROUTER_POLICY: 'thompson',
        POLICY_SEED: '5',
        BUDGET_PER_QUERY_USD: String(BUDGET_PER_QUERY_USD),
        ROUTER_URL: routerDoor.url,
        PRICE_WATCHER_URL: priceWatcherDoor.url,
      },
    });
    routerDoor.bind(await stack.url(stack.routers[0]));
    producer = await plainProducer();
    aggUrl = await stack.url(stack.aggregators[0]);

    await queriesWithFeedback(FIRST_QUERIES);
    await waitFor(`${FIRST_QUERIES} rewards applied`, async () => (await rewardsApplied()) >= FIRST_QUERIES);

    userDataDir = mkdtempSync(join(tmpdir(), 'dashboard-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1440, height: 1300 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // Chromium logs every failed request as a console error; those are judged by the response listener.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
    });
    // Until the price-watcher is let through, what the page asks of it answers 503 by design; any other failed request is a fault.
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      const expected = !priceWatcherUp && (path === '/frontier' || path === '/dashboard/prices');
      if (r.status() >= 400 && !expected) pageErrors.push(`${r.status()} ${r.url()}`);
    });
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await producer?.disconnect();
    await sink?.stop();
    await stack?.stop();
    await routerDoor?.close();
    await priceWatcherDoor?.close();
  });

  it('serves the page, its script, Chart.js, and the budget target in /stats', async () => {
    const pageRes = await fetch(`${aggUrl}/dashboard`);
    expect(pageRes.status).toBe(200);
    expect(pageRes.headers.get('content-type')).toMatch(/text\/html/);
    expect(await pageRes.text()).toContain('id="chart-frontier"');
    const lib = await fetch(`${aggUrl}/dashboard/vendor/chart.js`);
    expect(lib.status).toBe(200);
    expect(lib.headers.get('content-type')).toMatch(/javascript/);
    expect((await lib.text()).slice(0, 200)).toMatch(/Chart\.js v4/);
    expect((await fetch(`${aggUrl}/dashboard/app.js`)).status).toBe(200);
    expect((await stats()).budgetPerQueryUsd).toBe(BUDGET_PER_QUERY_USD);
  });

  it('answers GET /frontier with 503 and a reason while the price-watcher cannot be reached', async () => {
    const res = await fetch(`${aggUrl}/frontier`);
    expect(res.status).toBe(503);
    expect((await res.json()).message).toMatch(/^price-watcher at http:\/\/127\.0\.0\.1:\d+\/frontier is unreachable/);
  });

  it('renders every panel with the figures the aggregator holds', async () => {
    await page.goto(`${aggUrl}/dashboard`);
    // The stream replays its history to a new subscriber, and the polls fill the rest.
    await page.waitForFunction(
      (n) => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const d = (globalThis as any).dashboard;
        const c = d?.charts;
        return (
          !!c &&
          d.state.recent.length === 20 &&
          c.reward.data.datasets[0].data.some((p: { x: number }) => p.x >= n) &&
          c.estimates.data.labels.length > 0 &&
          c.frontier.$source !== null &&
          d.state.stream === 'live'
        );
      },
      FIRST_QUERIES,
      { timeout: 60000 },
    );
    await nextRender();
    const v = await view(page);
    const row = await defaultRow();
    const s = await stats();
    const armRows = s.arms.filter((a: { scope: string }) => a.scope === 'default');

    expect(v.scope).toBe('default');
    expect(await page.locator('#scope').inputValue()).toBe('default');

    // Recent pulls: the 20 newest rewards, newest first, of decisions this test made.
    const rows = page.locator('#recent-rows tr[data-decision]');
    expect(await rows.count()).toBe(20);
    expect(v.recent.map((e) => e.rewardsApplied)).toEqual(Array.from({ length: 20 }, (_, i) => FIRST_QUERIES - i));
    for (const e of v.recent) expect(ARM_IDS).toContain(e.arm);
    expect(await rows.first().locator('td.arm').textContent()).toBe(v.recent[0].arm);

    // Pulls per arm: the arms and counts of /stats, adding up to every reward applied.
    expect(v.pulls.labels).toEqual(armRows.map((a: { arm: string }) => a.arm).sort());
    expect(v.pulls.labels.every((a) => ARM_IDS.includes(a))).toBe(true);
    expect(v.pulls.data.reduce((a, b) => a + b, 0)).toBe(FIRST_QUERIES);
    for (const a of armRows) expect(v.pulls.data[v.pulls.labels.indexOf(a.arm)]).toBe(Number(a.pulls));

    // Estimated value per arm, from /policy/default.
    const policy = await (await fetch(`${aggUrl}/policy/default`)).json();
    expect(v.estimates.labels).toEqual(Object.keys(policy.estimates).sort());
    expect(v.estimates.means.filter((m) => m !== null && Number.isFinite(m)).length).toBeGreaterThan(0);

    // Cumulative net reward and variance over time: ordered series ending at the stored totals.
    expect(v.reward.length).toBeGreaterThan(10);
    expect(v.reward.map((p) => p.x)).toEqual([...v.reward.map((p) => p.x)].sort((a, b) => a - b));
    const lastReward = v.reward[v.reward.length - 1];
    expect(lastReward.x).toBe(FIRST_QUERIES);
    expect(lastReward.y).toBeCloseTo(Number(row.cumulativeReward), 9);
    expect(v.variance.length).toBeGreaterThan(10);
    expect(v.variance[v.variance.length - 1].y).toBeCloseTo(s.live.default.rewardVariance, 9);
    expect(v.variance[v.variance.length - 1].y).toBeGreaterThan(0);

    // Pareto frontier: without a price-watcher to ask, the observed frontier of this aggregator.
    const observed = await (await fetch(`${aggUrl}/frontier/observed/default`)).json();
    expect(v.frontier.source).toBe('observed');
    expect(v.frontier.frontier.length).toBeGreaterThan(0);
    expect(v.frontier.frontier.map((p) => p.label).sort()).toEqual(
      observed.frontier.map((p: { model: string }) => p.model).sort(),
    );
    expect([...v.frontier.frontier, ...v.frontier.dominated].map((p) => p.label).sort()).toEqual(v.pulls.labels);
    expect(await text('#note-frontier')).toMatch(/\(price-watcher: price-watcher at \S+ is unreachable/);
    expect(await text('#note-models')).toMatch(/^Models cannot be changed here: price-watcher at \S+ is unreachable/);

    // Budget burn: the spend of /stats against rewardsApplied x target.
    const lastSpend = v.spend[v.spend.length - 1];
    expect(lastSpend.x).toBe(FIRST_QUERIES);
    expect(lastSpend.y).toBeCloseTo(Number(row.cumulativeCostUsd), 12);
    expect(v.budget).toHaveLength(2);
    expect(v.budget[1].x).toBe(FIRST_QUERIES);
    expect(v.budget[1].y).toBeCloseTo(FIRST_QUERIES * BUDGET_PER_QUERY_USD, 12);
    expect(await text('#note-budget')).toContain('of $0.0400');

    expect(await text('#kpi-rewards')).toBe(String(FIRST_QUERIES));
    expect(await text('#stream-status')).toBe('live');
    // The aggregator's own part of the learning delay, from /stats.
    expect(await text('#kpi-delay')).toMatch(/^\d+ ms$/);

    expect(pageErrors).toEqual([]);
  });

  it('shows new rewards as they stream in, without a reload', async () => {
    const fresh = await queriesWithFeedback(5);
    const total = FIRST_QUERIES + 5;
    await page.waitForFunction(
      ({ ids, n }) => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const d = (globalThis as any).dashboard;
        const listed = new Set(d.state.recent.map((e: { decisionId: string }) => e.decisionId));
        return (
          ids.every((id: string) => listed.has(id)) &&
          d.charts.reward.data.datasets[0].data.some((p: { x: number }) => p.x === n)
        );
      },
      { ids: fresh, n: total },
      { timeout: 60000 },
    );
    await nextRender();
    const v = await view(page);
    expect(v.recent[0].rewardsApplied).toBe(total);
    expect(v.pulls.data.reduce((a, b) => a + b, 0)).toBe(total);
    expect(await page.locator('#recent-rows tr[data-decision]').count()).toBe(20);
    for (const id of fresh) expect(await page.locator(`#recent-rows tr[data-decision="${id}"]`).count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });

  it("plots the price-watcher's frontier once the price-watcher answers", async () => {
    const pwUrl = await stack.url(stack.priceWatcher);
    // The price-watcher computes a frontier once policy.updates brought it quality estimates.
    const pw = await waitFor('a price-watcher frontier for default', async () => {
      const body = await (await fetch(`${pwUrl}/frontier`)).json();
      const entry = body.scopes.find((x: { scope: string }) => x.scope === 'default');
      return entry?.frontier?.frontier.length > 0 && { body, entry };
    });
    priceWatcherDoor.bind(pwUrl);
    priceWatcherUp = true;

    await page.waitForFunction(
      () =>
        (globalThis as { dashboard?: { charts: { frontier: { $source: string } } } }).dashboard!.charts.frontier
          .$source === 'price-watcher',
      undefined,
      { timeout: 30000 },
    );
    await nextRender();
    const v = await view(page);
    const expected = (await (await fetch(`${aggUrl}/frontier`)).json()).scopes.find(
      (x: { scope: string }) => x.scope === 'default',
    ).frontier;
    expect(expected.frontier.length).toBe(pw.entry.frontier.frontier.length);
    expect(v.frontier.frontier.map((p) => p.label).sort()).toEqual(
      expected.frontier.map((p: { model: string }) => p.model).sort(),
    );
    expect(v.frontier.dominated.map((p) => p.label).sort()).toEqual(
      expected.dominated.map((p: { model: string }) => p.model).sort(),
    );
    const first = expected.frontier[0];
    const shown = v.frontier.frontier.find((p) => p.label === first.model)!;
    expect(shown.x).toBeCloseTo(first.costUsd, 12);
    expect(shown.y).toBeCloseTo(first.quality, 12);
    expect(await text('#note-frontier')).toContain('From the price-watcher');
    await page
      .locator('#panel-frontier')
      .screenshot({ path: join(SCREENSHOT, '../dashboard-frontier-price-watcher.png') });
    expect(pageErrors).toEqual([]);
  });

  it('pulls one query through the chosen model and shows its reward once rated', async () => {
    await page.waitForFunction(() => document.querySelectorAll('#pull-model option').length === 3, undefined, {
      timeout: 30000,
    });
    await page.locator('#pull-model').selectOption('acme/large');
    await page.locator('#pull-prompt').fill('Question 5 about python: explain item 5.');
    await page.locator('#pull-go').click();
    await page.waitForFunction(() => !!(globalThis as any).dashboard.state.pull, undefined, { timeout: 60000 }); // eslint-disable-line @typescript-eslint/no-explicit-any
    const pulled = await page.evaluate(() => (globalThis as any).dashboard.state.pull); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(pulled).toMatchObject({ model: 'acme/large', scope: 'default', decisionId: expect.stringMatching(/^dec_/) });
    expect(pulled.answer).toContain('[replay acme/large');
    expect(pulled.costUsd).toBeGreaterThan(0);
    await nextRender();
    expect(await text('#pull-answer')).toContain(pulled.decisionId);
    expect(await text('#pull-reward')).toBe('Not rated yet.');

    await page.locator('#pull-quality').fill('0.9');
    await page.locator('#pull-rate').click();
    await page.waitForFunction(() => !!(globalThis as any).dashboard.state.pull.reward, undefined, { timeout: 60000 }); // eslint-disable-line @typescript-eslint/no-explicit-any
    await nextRender();
    const reward = await page.evaluate(() => (globalThis as any).dashboard.state.pull.reward); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(reward).toMatchObject({ decisionId: pulled.decisionId, arm: 'acme/large', quality: 0.9 });
    expect(reward.reward).toBeCloseTo(0.9 - reward.lambda * reward.costUsd, 9);
    expect(await text('#pull-reward')).toBe(
      `Reward ${reward.reward.toFixed(3)} (quality 0.900 − λ ${reward.lambda.toFixed(2)} × cost ${await page.evaluate(
        () => document.querySelector('#recent-rows tr td:nth-child(4)')!.textContent,
      )})`,
    );
    // The pull is a reward like any other: counted in /stats and listed first.
    expect(await rewardsApplied()).toBe(FIRST_QUERIES + 6);
    expect(await page.locator('#recent-rows tr').first().getAttribute('data-decision')).toBe(pulled.decisionId);
    expect(pageErrors).toEqual([]);
  });

  it('plots the reward variance over a rolling window of the streamed rewards', async () => {
    await nextRender();
    const v = await view(page);
    const w = await page.evaluate(() => (globalThis as any).dashboard.ROLLING_WINDOW); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(w).toBe(20);
    // The newest window is the recent-pulls table: its rewards give the last point.
    const recent = await page.evaluate(
      () => (globalThis as any).dashboard.state.recent.map((e: { reward: number; rewardsApplied: number }) => e), // eslint-disable-line @typescript-eslint/no-explicit-any
    );
    const rewards = recent.map((e: { reward: number }) => e.reward);
    const mean = rewards.reduce((a: number, b: number) => a + b, 0) / rewards.length;
    const sampleVariance = rewards.reduce((a: number, b: number) => a + (b - mean) ** 2, 0) / (rewards.length - 1);
    const last = v.rollingVariance[v.rollingVariance.length - 1];
    expect(last.x).toBe(recent[0].rewardsApplied);
    expect(last.y).toBeCloseTo(sampleVariance, 12);
    // One point per streamed reward after the first; not the cumulative series under another name.
    expect(v.rollingVariance.length).toBe(FIRST_QUERIES + 6 - 1);
    expect(v.rollingVariance.map((p) => p.y)).not.toEqual(v.variance.slice(-v.rollingVariance.length).map((p) => p.y));
    expect(pageErrors).toEqual([]);
  });

  it('shows the price history of the chosen model', async () => {
    const pwUrl = await stack.url(stack.priceWatcher);
    const set = await fetch(`${pwUrl}/admin/prices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-admin-token' },
      body: JSON.stringify({ model: 'acme/small', inputPerM: 0.12, outputPerM: 0.14 }),
    });
    expect(set.status).toBe(200);
    await page.locator('#prices-model').selectOption('acme/small');
    await page.waitForFunction(
      () => (globalThis as any).dashboard.charts.prices.data.datasets[0].data.some((p: { y: number }) => p.y === 0.12), // eslint-disable-line @typescript-eslint/no-explicit-any
      undefined,
      { timeout: 30000 },
    );
    await nextRender();
    const history = (await (await fetch(`${pwUrl}/prices/${encodeURIComponent('acme/small')}/history`)).json()).history;
    expect(history).toHaveLength(2);
    const chart = await page.evaluate(() => {
      const c = (globalThis as any).dashboard.charts.prices; // eslint-disable-line @typescript-eslint/no-explicit-any
      return { model: c.$model, input: c.data.datasets[0].data, output: c.data.datasets[1].data };
    });
    expect(chart.model).toBe('acme/small');
    // Oldest first, then the price in force carried on to now.
    expect(chart.input.map((p: { y: number }) => p.y)).toEqual([0.1, 0.12, 0.12]);
    expect(chart.output.map((p: { y: number }) => p.y)).toEqual([0.1, 0.14, 0.14]);
    expect(chart.input[1].x).toBe(Date.parse(history[0].effectiveFrom));
    expect(await text('#note-prices')).toBe('acme/small: 2 accepted prices, enabled.');
    expect(pageErrors).toEqual([]);
  });

  it('removes and adds back a model from its toggle, and the frontier is redrawn without it and with it', async () => {
    const pwUrl = await stack.url(stack.priceWatcher);
    const active = async () =>
      ((await (await fetch(`${pwUrl}/prices`)).json()).prices as { model: string }[]).map((p) => p.model).sort();
    const frontierLabels = () =>
      page.evaluate(() => {
        const c = (globalThis as any).dashboard.charts.frontier; // eslint-disable-line @typescript-eslint/no-explicit-any
        return [...c.data.datasets[0].data, ...c.data.datasets[1].data].map((p: { label: string }) => p.label).sort();
      });
    expect(await frontierLabels()).toContain('acme/large');
    const toggle = page.locator('#model-toggles input[data-model="acme/large"]');
    expect(await toggle.isChecked()).toBe(true);

    await toggle.uncheck();
    await page.waitForFunction(
      () => {
        const c = (globalThis as any).dashboard.charts.frontier; // eslint-disable-line @typescript-eslint/no-explicit-any
        const labels = [...c.data.datasets[0].data, ...c.data.datasets[1].data].map((p: { label: string }) => p.label);
        return c.$source === 'price-watcher' && labels.length > 0 && !labels.includes('acme/large');
      },
      undefined,
      { timeout: 60000 },
    );
    expect(await active()).toEqual(['acme/medium', 'acme/small']);
    await nextRender();
    expect(await page.locator('#model-toggles input[data-model="acme/large"]').isChecked()).toBe(false);
    expect(await text('#note-models')).toMatch(/^acme\/large removed/);

    await page.locator('#model-toggles input[data-model="acme/large"]').check();
    await page.waitForFunction(
      () => {
        const c = (globalThis as any).dashboard.charts.frontier; // eslint-disable-line @typescript-eslint/no-explicit-any
        return [...c.data.datasets[0].data, ...c.data.datasets[1].data].some(
          (p: { label: string }) => p.label === 'acme/large',
        );
      },
      undefined,
      { timeout: 60000 },
    );
    expect(await active()).toEqual(['acme/large', 'acme/medium', 'acme/small']);
    // Added back at its last accepted price.
    const large = (await (await fetch(`${pwUrl}/prices`)).json()).prices.find(
      (p: { model: string }) => p.model === 'acme/large',
    );
    expect(large).toMatchObject({ inputPerM: 2, outputPerM: 6 });
    await nextRender();
    expect(await text('#note-models')).toMatch(/^acme\/large added back/);
    expect(pageErrors).toEqual([]);
  });

  it('picks by budget and by minimum quality on the frontier it shows', async () => {
    await page.locator('#pick-budget').fill('0.001');
    await page.locator('#pick-quality').fill('0.5');
    await page.locator('#pick-go').click();
    await page.waitForFunction(() => !!(globalThis as any).dashboard.state.pick, undefined, { timeout: 30000 }); // eslint-disable-line @typescript-eslint/no-explicit-any
    await nextRender();
    const picked = await page.evaluate(() => (globalThis as any).dashboard.state.pick); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(picked.source).toBe('price-watcher');
    const served = (await (await fetch(`${aggUrl}/frontier`)).json()).scopes.find(
      (x: { scope: string }) => x.scope === 'default',
    ).frontier.frontier as { model: string; quality: number; costUsd: number }[];
    expect(picked.frontier.map((p: { model: string }) => p.model).sort()).toEqual(served.map((p) => p.model).sort());
    const points = served.map((p) => ({ id: p.model, quality: p.quality, cost: p.costUsd }));
    expect(picked.byBudget.model).toBe(pickByBudget(points, 0.001)!.id);
    expect(picked.byQuality.model).toBe(pickByMinQuality(points, 0.5)!.id);
    expect(await text('#pick-by-budget')).toMatch(new RegExp(`^${picked.byBudget.model}: quality `));
    expect(await text('#pick-by-quality')).toMatch(new RegExp(`^${picked.byQuality.model}: quality `));

    // A budget below every model: the cheapest one, as pickByBudget answers.
    const bad = await fetch(`${aggUrl}/dashboard/pick/default?budget=cheap`);
    expect(bad.status).toBe(400);
    const tiny = await (await fetch(`${aggUrl}/dashboard/pick/default?budget=0`)).json();
    expect(tiny.byBudget.model).toBe(pickByBudget(points, 0)!.id);

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('shows a scope without rewards as empty, and switches scope from the selector', async () => {
    await page.goto(`${aggUrl}/dashboard?scope=no-rewards-yet`);
    await page.waitForFunction(
      () => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const d = (globalThis as any).dashboard;
        return (
          d?.state.scopes.includes('default') && d.state.policyNote !== '' && d.charts.frontier.$source === 'observed'
        );
      },
      undefined,
      { timeout: 30000 },
    );
    await nextRender();
    let v = await view(page);
    expect(v.scope).toBe('no-rewards-yet');
    expect(v.pulls.labels).toEqual([]);
    expect(v.reward).toEqual([]);
    expect(v.frontier.frontier).toEqual([]);
    expect(await text('#note-pulls')).toBe('No rewards in this scope yet.');
    expect(await text('#note-estimates')).toBe('No policy stored for this scope yet.');
    expect(await text('#recent-rows')).toBe('Waiting for rewards…');
    // The unknown scope's missing policy is the one expected failure.
    expect(pageErrors.filter((e) => !e.startsWith('404 ') || !e.endsWith('/policy/no-rewards-yet'))).toEqual([]);
    pageErrors.length = 0;

    await page.locator('#scope').selectOption('default');
    await page.waitForFunction(
      () => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const d = (globalThis as any).dashboard;
        return d.state.scope === 'default' && d.state.recent.length === 20 && d.charts.pulls.data.labels.length > 0;
      },
      undefined,
      { timeout: 30000 },
    );
    await nextRender();
    v = await view(page);
    expect(v.recent[0].rewardsApplied).toBe(await rewardsApplied());
    expect(new URL(page.url()).searchParams.get('scope')).toBe('default');
    expect(pageErrors).toEqual([]);
  });
});
