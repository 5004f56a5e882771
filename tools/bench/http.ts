/**
 * The HTTP front-door bench (`npm run -s bench -- --http`, EVAL.md "HTTP front door"): one
 * router process on the real Kafka and PostgreSQL, in front of ./upstream (an OpenAI-compatible
 * provider that answers at once), loaded on POST /v1/chat/completions by autocannon at 1 and
 * 64 connections; the upstream alone is loaded the same way for reference, so that what the
 * router adds is one comparison.
 */
import autocannon from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { encode, Topic } from '@llm-router/contracts';
import { createDatabase, freePort, startInfrastructure } from '@llm-router/infra';
import { RunningService, startServiceProcess, stopServices } from '../lib/services';
import { cpuMsOf, cpuMsPerUnit, CpuReaders, machineBusyMs, readCpu, treeCpuMs } from '../lib/process-cpu';
import { databaseActivity } from '../lib/database-activity';
import { round } from '../lib/stats';

export interface HttpBenchOptions {
  /** Seconds of each measured load. */
  durationS: number;
  /** Seconds of load before the measurements, at the highest connection count (JIT, pools, caches). */
  warmupS: number;
  /** Measurements per connection count; the report gives the median of each figure. */
  repeat: number;
  /** A progress bar per load (autocannon's) on stderr. */
  progress: boolean;
  /** A directory for a V8 CPU profile of the router process (written when it stops); none when unset. */
  profileDir?: string;
  log: (s: string) => void;
}

export interface LoadFigures {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /**
   * PostgreSQL transactions committed or rolled back in the router's database per answered
   * request (a statement outside a transaction counts as one): what the front door costs the
   * database. pg_stat_database lags by up to a second, so it is approximate over a short load.
   */
  dbTxPerReq?: number;
  /**
   * CPU time of the router process (user + system) per answered request, ms: unlike
   * throughput, it barely depends on how many other processes share the cores.
   */
  cpuMsPerReq?: number;
  /**
   * CPU ms per answered request of each process on the path, from /proc: the router, the
   * load generator (this process: autocannon), the upstream, the broker and PostgreSQL (each
   * with its children), and the whole machine (every core, other jobs included). On a shared
   * machine their sum against the cores available is the ceiling of req/s, measured.
   */
  cpuMsPerReqOf?: Partial<Record<CpuPart, number>>;
}

type CpuPart = 'router' | 'loadGenerator' | 'upstream' | 'broker' | 'postgres' | 'machine';

export interface HttpBenchResult {
  http: { c1: LoadFigures; c64: LoadFigures };
  upstream: { c64: LoadFigures };
  durationS: number;
  repeat: number;
  infraMode: string;
}

/** Arms priced on model.prices: the router routes between them, all served by the one upstream. */
const BENCH_MODELS = [
  { model: 'bench/small', inputPerM: 0.1, outputPerM: 0.4 },
  { model: 'bench/medium', inputPerM: 0.5, outputPerM: 1.5 },
  { model: 'bench/large', inputPerM: 2, outputPerM: 6 },
];

const CHAT_BODY = JSON.stringify({
  model: 'auto',
  messages: [{ role: 'user', content: 'Write a haiku about routers.' }],
  max_tokens: 64,
});

/** Starts ./upstream as its own process, so that it does not share an event loop with the load generator. */
async function startUpstream(logDir: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'upstream.ts')], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`upstream did not start (logs in ${logDir})`)), 30_000);
    proc.once('exit', (code) => reject(new Error(`upstream exited with code ${code}`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const m = /^listening (\d+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return { url: `http://127.0.0.1:${port}`, proc };
}

async function publishPrices(brokers: string[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'bench-http-prices', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  try {
    const effectiveFrom = new Date().toISOString();
    await producer.send({
      topic: Topic.Prices,
      messages: BENCH_MODELS.map((m) => {
        const e = encode(Topic.Prices, { ...m, effectiveFrom, source: 'bench' });
        return { key: e.key, value: e.value };
      }),
    });
  } finally {
    await producer.disconnect();
  }
}

/** One autocannon load; resolves with its figures. */
async function load(
  label: string,
  url: string,
  connections: number,
  durationS: number,
  o: Pick<HttpBenchOptions, 'progress'>,
  apiKey?: string,
): Promise<LoadFigures> {
  // The callback form returns the instance, which the progress bar follows.
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        title: label,
        url: `${url}/v1/chat/completions`,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        body: CHAT_BODY,
        connections,
        duration: durationS,
        timeout: 30,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    if (o.progress) autocannon.track(instance, { renderResultsTable: false, renderLatencyTable: false });
  });
  return {
    // Answered requests per second: a refusal (429, 5xx) is counted in non2xx, not as throughput.
    reqPerSec: round(r['2xx'] / r.duration, 1),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A router load, with the database transactions and the router's CPU time per answered request. */
async function loadRouter(
  db: Client,
  cpu: CpuReaders<CpuPart>,
  ...args: Parameters<typeof load>
): Promise<LoadFigures> {
  // Stats of other backends reach pg_stat_database within a second: the sums are taken settled.
  const settle = () => new Promise((r) => setTimeout(r, 1500));
  await settle();
  const txBefore = (await databaseActivity(db)).transactions;
  const cpuBefore = readCpu(cpu);
  const figures = await load(...args);
  const cpuAfter = readCpu(cpu);
  await settle();
  // The two counting queries themselves are not the router's.
  const tx = (await databaseActivity(db)).transactions - txBefore - 2;
  const answered = figures.reqPerSec * args[3];
  if (answered === 0) return figures;
  // A part /proc cannot read is left out of the report, not given as null.
  const cpuMsPerReqOf: Partial<Record<CpuPart, number>> = Object.fromEntries(
    Object.entries(cpuMsPerUnit(cpuBefore, cpuAfter, answered)).filter(([, v]) => v !== undefined),
  );
  return { ...figures, dbTxPerReq: round(tx / answered, 2), cpuMsPerReq: cpuMsPerReqOf.router, cpuMsPerReqOf };
}

/** The median of each figure that every run measured, to `digits` decimals, in the first run's order. */
function mediansOfEvery<Figure extends string>(
  runs: Partial<Record<Figure, number>>[],
  digits: number,
): Partial<Record<Figure, number>> {
  const medians: Partial<Record<Figure, number>> = {};
  for (const figure of Object.keys(runs[0] ?? {}) as Figure[]) {
    const xs = runs.map((r) => r[figure]);
    if (xs.every((x) => x !== undefined)) medians[figure] = round(median(xs as number[]), digits);
  }
  return medians;
}

/** The median of each figure over the runs; non2xx and errors are summed (any of them is worth seeing). */
function medianFigures(runs: LoadFigures[]): LoadFigures {
  const measuredParts = Object.keys(runs[0]?.cpuMsPerReqOf ?? {}).length > 0;
  return {
    reqPerSec: round(median(runs.map((r) => r.reqPerSec)), 1),
    p50Ms: round(median(runs.map((r) => r.p50Ms)), 2),
    p99Ms: round(median(runs.map((r) => r.p99Ms)), 2),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    ...mediansOfEvery(
      runs.map((r) => ({ dbTxPerReq: r.dbTxPerReq })),
      2,
    ),
    ...mediansOfEvery(
      runs.map((r) => ({ cpuMsPerReq: r.cpuMsPerReq })),
      3,
    ),
    ...(measuredParts
      ? {
          cpuMsPerReqOf: mediansOfEvery(
            runs.map((r) => r.cpuMsPerReqOf ?? {}),
            3,
          ),
        }
      : {}),
  };
}

export async function benchHttp(o: HttpBenchOptions): Promise<HttpBenchResult> {
  const logDir = mkdtempSync(join(tmpdir(), 'llm-router-bench-http-'));
  const runId = Date.now().toString(36);
  const apiKey = `sk-bench-${runId}-0123456789abcdef`;
  const infra = await startInfrastructure();
  const services: RunningService[] = [];
  let upstream: { url: string; proc: ChildProcess } | undefined;
  let db: Client | undefined;
  try {
    upstream = await startUpstream(logDir);
    o.log(`upstream at ${upstream.url}; publishing prices of ${BENCH_MODELS.length} models`);
    await publishPrices(infra.kafkaBrokers);
    const databaseUrl = await createDatabase(infra.databaseUrl, 'bench_http');
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
    const env: Record<string, string> = {
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      // The front door as deployed: with an API key (and no rate limits on it).
      ALLOW_NO_AUTH: 'false',
      ROUTER_API_KEYS: `${apiKey}=default`,
      PROVIDER: 'openai',
      OPENAI_BASE_URL: upstream.url,
      QUERIES_GROUP_ID: `router-bench-${runId}`,
      // Stopping takes the router up to about 10 s (leaving its consumer group), as long as
      // stopServices waits before SIGKILL, which writes no CPU profile: its own bound, an
      // exit, comes first.
      SHUTDOWN_TIMEOUT_MS: '5000',
    };
    o.log(`starting the router (logs in ${logDir})`);
    const router = await startServiceProcess({ app: 'router', name: 'router', env }, await freePort(), logDir, {
      // The router alone is profiled: the load generator and the upstream would drown it.
      nodeArgs: o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [],
    });
    services.push(router);

    const check = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: CHAT_BODY,
    });
    if (check.status !== 200)
      throw new Error(`the router answered ${check.status} to a first request: ${await check.text()}`);

    o.log(`warm-up: ${o.warmupS} s at 64 connections on the router, then on the upstream`);
    await load('warm-up router', router.url, 64, o.warmupS, o, apiKey);
    await load('warm-up upstream', upstream.url, 64, o.warmupS, o);
    const upstreamPid = upstream.proc.pid;
    const cpu: CpuReaders<CpuPart> = {
      router: () => cpuMsOf(router.proc.pid),
      loadGenerator: () => cpuMsOf(process.pid),
      upstream: () => cpuMsOf(upstreamPid),
      broker: () => treeCpuMs(infra.local?.kafkaPid),
      postgres: () => treeCpuMs(infra.local?.postgresPid),
      machine: () => machineBusyMs(),
    };
    const runs = { c1: [] as LoadFigures[], c64: [] as LoadFigures[], upstream64: [] as LoadFigures[] };
    // Interleaved, so that a burst of load from elsewhere on the machine does not hit one figure only.
    for (let i = 1; i <= o.repeat; i++) {
      o.log(`run ${i}/${o.repeat}: router at 1 connection (${o.durationS} s)`);
      runs.c1.push(await loadRouter(db, cpu, `router c1 run ${i}`, router.url, 1, o.durationS, o, apiKey));
      o.log(`run ${i}/${o.repeat}: router at 64 connections (${o.durationS} s)`);
      runs.c64.push(await loadRouter(db, cpu, `router c64 run ${i}`, router.url, 64, o.durationS, o, apiKey));
      o.log(`run ${i}/${o.repeat}: upstream alone at 64 connections (${o.durationS} s)`);
      runs.upstream64.push(await load(`upstream c64 run ${i}`, upstream.url, 64, o.durationS, o));
    }
    return {
      http: { c1: medianFigures(runs.c1), c64: medianFigures(runs.c64) },
      upstream: { c64: medianFigures(runs.upstream64) },
      durationS: o.durationS,
      repeat: o.repeat,
      infraMode: infra.mode,
    };
  } finally {
    await db?.end().catch(() => undefined);
    await stopServices(services);
    upstream?.proc.kill('SIGTERM');
    await infra.stop();
  }
}
