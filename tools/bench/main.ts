/**
 * Micro-benchmarks: `npm run -s bench -- [--json] [--iterations N]`.
 *
 * LinUCB decide and update with k = 16 arms and d = 64 features (random feature vectors), each
 * call timed on its own with process.hrtime.bigint after a warm-up, plus its CPU time; the
 * other policies likewise (auto, the default, in the services' configuration: QueryFeaturizer
 * features of template-like prompts plus auto's own text features); the batch planner's bench
 * (./batch, owned by the batch library); and the same decide + update work done by MABWiser and
 * Vowpal Wabbit in one Python run (./peers.py), reported as ratios because absolute times on a
 * shared machine are noisy. With --http, also the router's HTTP front door under load (./http).
 * The last stdout line with --json is one JSON object (EVAL.md).
 */
import { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { ArmId, createPolicy, DecideConstraints, DecisionContext, Policy, Rng, simdModule } from '@llm-router/bandits';
import { QueryRequest, Topic, validate } from '@llm-router/contracts';
import { ScopeEngine } from '@llm-router/engine';
import { QueryFeaturizer } from '@llm-router/features';
import { num } from '../lib/cli';
import { benchHttp, HttpBenchResult } from './http';

interface Timing {
  policy: string;
  k: number;
  d: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  perSec: number;
  iterations: number;
  /**
   * Mean CPU time (user + system, process.cpuUsage) per call: unlike the wall-clock
   * quantiles it does not count the time another process held the core.
   */
  cpuUs: number;
}

interface PeerResult {
  perSec: number | null;
  ratio: number | null;
  available: boolean;
  reason?: string;
  [extra: string]: unknown;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
}

function summarise(policy: string, k: number, d: number, us: Float64Array, cpuUsTotal: number): Timing {
  const sorted = Float64Array.from(us).sort();
  let sum = 0;
  for (const v of us) sum += v;
  const meanUs = sum / us.length;
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return {
    policy,
    k,
    d,
    p50Us: r(quantile(sorted, 0.5)),
    p99Us: r(quantile(sorted, 0.99)),
    meanUs: r(meanUs),
    perSec: Math.round(1e6 / meanUs),
    iterations: us.length,
    cpuUs: r(cpuUsTotal / us.length),
  };
}

const OPENERS = [
  'Answer with the correct letter.',
  'Write a python function that',
  'Translate to French:',
  'Summarise the following text:',
  'You are a helpful assistant.',
  'Solve for x:',
  'Extract every date from',
  'Explain why',
];
const CLOSERS = [
  'Answer:',
  'Return only the code.',
  'Show your work.',
  'Be concise.',
  'Use JSON.',
  'Think step by step.',
];
const WORDS =
  'the model router budget price quality arm prompt token latency cache query reward policy value matrix vector data user error test result'.split(
    ' ',
  );

/** A template-like prompt: an opener, 10-60 content words (some digits), a closer. */
function prompt(rng: Rng): string {
  const words = Array.from({ length: 10 + Math.floor(rng.next() * 50) }, () =>
    rng.next() < 0.1 ? String(Math.floor(rng.next() * 1000)) : WORDS[Math.floor(rng.next() * WORDS.length)],
  );
  const pick = <T>(xs: T[]) => xs[Math.floor(rng.next() * xs.length)];
  return `${pick(OPENERS)} ${words.join(' ')} ${pick(CLOSERS)}`;
}

/**
 * One seeded routing workload: a pool of contexts (so that building them is not timed),
 * hidden linear qualities per arm, per-arm costs. `services`: the contexts the services pass
 * (libs/core/engine ScopeEngine.decide/learn): QueryFeaturizer features of a prompt plus the
 * policy's own text features of it (and the prompts themselves, `texts`); otherwise random
 * dense feature vectors.
 */
function workload(
  k: number,
  d: number,
  seed: number,
  textFeatures: ((text: string) => DecisionContext['textFeatures']) | null,
) {
  const rng = new Rng(seed);
  const arms: ArmId[] = Array.from({ length: k }, (_, i) => `model-${i}`);
  const featurizer = textFeatures ? new QueryFeaturizer({ dim: d }) : null;
  const texts: string[] = [];
  const pool: DecisionContext[] = Array.from({ length: 1024 }, () => {
    if (featurizer && textFeatures) {
      const text = prompt(rng);
      texts.push(text);
      return { features: featurizer.featurize(text), textFeatures: textFeatures(text) };
    }
    const x = new Float64Array(d);
    for (let j = 0; j < d; j++) x[j] = rng.normal() / Math.sqrt(d);
    return { features: x };
  });
  const thetas = arms.map(() => Float64Array.from({ length: d }, () => rng.normal() / Math.sqrt(d)));
  const costs: Record<ArmId, number> = {};
  arms.forEach((a, i) => (costs[a] = 0.0005 * (i + 1)));
  const constraints: DecideConstraints = { lambda: 1, costs };
  const quality = (arm: number, x: ArrayLike<number>) => {
    let m = 0.5;
    const t = thetas[arm];
    for (let j = 0; j < d; j++) m += t[j] * x[j];
    return Math.min(1, Math.max(0, m + 0.1 * rng.normal()));
  };
  return { arms, pool, texts, constraints, quality, index: new Map(arms.map((a, i) => [a, i])) };
}

const cpuUs = (c: NodeJS.CpuUsage) => c.user + c.system;

/**
 * Interleaved decide -> update over the workload's pool, as in production; each call timed
 * separately (wall clock), and its CPU time summed. `learn(i, decision)` prepares the update
 * (untimed) and returns the timed call.
 */
function timeCycles<T>(
  label: string,
  k: number,
  d: number,
  iterations: number,
  warmup: number,
  decide: (i: number) => T,
  learn: (i: number, decision: T) => () => void,
): { decide: Timing; update: Timing } {
  const dec = new Float64Array(iterations);
  const upd = new Float64Array(iterations);
  let decCpu = 0;
  let updCpu = 0;
  for (let i = 0; i < warmup + iterations; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const decision = decide(i & 1023);
    const t1 = process.hrtime.bigint();
    const c1 = process.cpuUsage(c0);
    const update = learn(i & 1023, decision);
    const c2 = process.cpuUsage();
    const t2 = process.hrtime.bigint();
    update();
    const t3 = process.hrtime.bigint();
    const c3 = process.cpuUsage(c2);
    if (i >= warmup) {
      dec[i - warmup] = Number(t1 - t0) / 1000;
      upd[i - warmup] = Number(t3 - t2) / 1000;
      decCpu += cpuUs(c1);
      updCpu += cpuUs(c3);
    }
  }
  return { decide: summarise(label, k, d, dec, decCpu), update: summarise(label, k, d, upd, updCpu) };
}

/**
 * One policy's decide and update on precomputed contexts. Policies with text features (auto)
 * get the services' contexts and realised costs against the decision's expected cost, which
 * is what trains their usage model.
 */
function benchPolicy(
  name: string,
  opts: Record<string, unknown>,
  k: number,
  d: number,
  iterations: number,
  warmup: number,
) {
  const policy: Policy = createPolicy(name, { arms: [], seed: 1, d, ...opts });
  const services = policy.textFeatures !== undefined;
  const w = workload(k, d, 7, services ? (t) => policy.textFeatures!(t) : null);
  for (const a of w.arms) policy.addArm(a);
  return timeCycles(
    name,
    k,
    d,
    iterations,
    warmup,
    (i) => policy.decide(w.pool[i], w.arms, w.constraints),
    (i, decision) => {
      const ctx = w.pool[i];
      const expected = w.constraints.costs[decision.arm];
      const outcome = {
        quality: w.quality(w.index.get(decision.arm)!, ctx.features!),
        costUsd: services ? expected : 0,
        ...(services ? { expectedCostUsd: expected } : {}),
      };
      return () => policy.update(ctx, decision.arm, outcome);
    },
  );
}

/**
 * The default policy as the services run it (libs/core/engine ScopeEngine): decide is the
 * router's whole per-query step (QueryFeaturizer features and auto's text features of the
 * prompt, the arms' expected costs, the policy's decision, the logged DecisionEvent), update
 * the aggregator's (the policy's context restored from that event, then its update). Same
 * prompts, arms and hidden qualities as `others.auto`, with prices instead of fixed costs.
 */
function benchServices(k: number, d: number, iterations: number, warmup: number) {
  const engine = new ScopeEngine(
    'bench',
    { algorithm: 'auto', featureDim: d, seed: 1, defaultLambda: 1 },
    new QueryFeaturizer({ dim: d }),
  );
  const w = workload(k, d, 7, (t) => engine.policy.textFeatures!(t));
  w.arms.forEach((model, i) => engine.applyPrice({ model, inputPerM: i + 1, outputPerM: 4 * (i + 1) }));
  const queries: QueryRequest[] = w.texts.map((content, i) => {
    const r = validate(Topic.Queries, { id: `q${i}`, messages: [{ role: 'user', content }] });
    if (!r.ok) throw r.error;
    return r.value;
  });
  return timeCycles(
    'auto (ScopeEngine)',
    k,
    d,
    iterations,
    warmup,
    (i) => engine.decide(queries[i]).event,
    (i, event) => {
      const quality = w.quality(w.index.get(event.arm)!, w.pool[i].features!);
      return () => engine.learn(event, quality, event.priceSnapshot[event.arm]);
    },
  );
}

const PYENV = join(homedir(), '.cache', 'llm-router', 'pyenv');
const PEERS = ['mabwiser', 'vowpalwabbit'];

function run(cmd: string, args: string[], timeoutMs: number): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const err = r.error ? String(r.error.message) : (r.stderr ?? '');
  return { ok: r.status === 0 && !r.error, out: r.stdout ?? '', err };
}

const lastLine = (s: string) => s.trim().split('\n').pop() ?? '';

/**
 * A Python with MABWiser and Vowpal Wabbit, in a venv under ~/.cache/llm-router/pyenv (created
 * and pip-installed on first use). Returns the interpreter, or why there is none.
 */
function ensurePeerPython(log: (s: string) => void): { python: string | null; reason?: string } {
  const python = join(PYENV, 'bin', 'python');
  if (!existsSync(python)) {
    const sys = ['python3', 'python'].find((p) => run(p, ['--version'], 10_000).ok);
    if (!sys) return { python: null, reason: 'no python3 on PATH' };
    log(`creating ${PYENV}`);
    const v = run(sys, ['-m', 'venv', PYENV], 120_000);
    if (!v.ok) return { python: null, reason: `python -m venv failed: ${lastLine(v.err)}` };
  }
  const missing = PEERS.filter((m) => !run(python, ['-c', `import ${m}`], 60_000).ok);
  if (missing.length > 0) {
    log(`pip install ${missing.join(' ')} into ${PYENV} (first run only)`);
    const pip = run(python, ['-m', 'pip', 'install', '--quiet', ...missing], 900_000);
    if (!pip.ok) log(`pip install failed: ${lastLine(pip.err)}`);
  }
  return { python };
}

function benchPeers(
  iterations: number,
  k: number,
  d: number,
  ours: number,
  log: (s: string) => void,
): Record<string, PeerResult> {
  const unavailable = (reason: string): Record<string, PeerResult> =>
    Object.fromEntries(PEERS.map((p) => [p, { perSec: null, ratio: null, available: false, reason }]));
  const { python, reason } = ensurePeerPython(log);
  if (!python) return unavailable(reason!);
  log(`running peers (${iterations} iterations each)`);
  const script = join(__dirname, 'peers.py');
  const r = run(
    python,
    [
      script,
      '--k',
      String(k),
      '--d',
      String(d),
      '--iterations',
      String(iterations),
      '--warmup',
      String(Math.min(200, iterations)),
    ],
    1_800_000,
  );
  let parsed: Record<string, Record<string, unknown>>;
  try {
    parsed = JSON.parse(lastLine(r.out)) as Record<string, Record<string, unknown>>;
  } catch {
    return unavailable(`peers.py failed: ${lastLine(r.err) || 'no output'}`);
  }
  const out: Record<string, PeerResult> = {};
  for (const name of PEERS) {
    const p = parsed[name];
    if (!p || typeof p['perSec'] !== 'number') {
      out[name] = { perSec: null, ratio: null, available: false, reason: String(p?.['error'] ?? 'no result') };
      continue;
    }
    const rest = { ...p };
    delete rest['trace'];
    out[name] = {
      ...rest,
      available: true,
      perSec: Math.round(p['perSec']),
      ratio: Math.round((ours / p['perSec']) * 10) / 10,
    };
  }
  return out;
}

async function benchBatchOrNull(
  log: (s: string) => void,
): Promise<{ batch: Record<string, unknown> | null; batchNote?: string }> {
  try {
    // Owned by the batch library's engineer; absent in a checkout where it is not written yet.
    const mod = (await import('./batch')) as { benchBatch: () => Promise<Record<string, unknown>> };
    log('running batch bench');
    return { batch: await mod.benchBatch() };
  } catch (e) {
    return { batch: null, batchNote: `batch bench unavailable: ${(e as Error).message.split('\n')[0]}` };
  }
}

function table(rows: (string | number)[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows
    .map((r) =>
      r.map((v, c) => (typeof v === 'number' ? String(v).padStart(widths[c]) : String(v).padEnd(widths[c]))).join('  '),
    )
    .join('\n');
}

async function main(): Promise<void> {
  const program = new Command()
    .name('bench')
    .description(
      "Micro-benchmarks of the pure libraries (LinUCB k=16 d=64, batch planner) and peer libraries (MABWiser, Vowpal Wabbit); with --http, the router's HTTP front door under load.",
    )
    .option('--json', 'print one JSON object as the last line of stdout')
    .option(
      '--iterations <n>',
      'timed decide/update calls of linucb (after warm-up); every other policy, auto included, gets a fifth of them (at least 1000)',
      (v) => parseInt(v, 10),
      30000,
    )
    .option(
      '--warmup <n>',
      'untimed calls before measuring (other policies: a fifth, at least 500)',
      (v) => parseInt(v, 10),
      5000,
    )
    .option('--k <n>', 'arms', (v) => parseInt(v, 10), 16)
    .option('--d <n>', 'feature dimension', (v) => parseInt(v, 10), 64)
    .option('--peer-iterations <n>', 'decide+update cycles per peer library', (v) => parseInt(v, 10), 2000)
    .option('--no-peers', 'skip MABWiser / Vowpal Wabbit')
    .option('--no-batch', 'skip the batch planner bench')
    .option('--no-others', 'skip the other policies (only linucb)')
    .option('--no-simd', 'linear policies without the WebAssembly SIMD kernel (plain JS loops)')
    .option(
      '--http',
      "also load the router's POST /v1/chat/completions (real Kafka and PostgreSQL, a built-in upstream) at 1 and 64 connections",
    )
    .option('--no-library', 'skip the library micro-benchmarks (with --http: only the HTTP bench)')
    .option(
      '--http-duration <s>',
      'seconds of each HTTP load',
      num('--http-duration', { integer: true, positive: true }),
      20,
    )
    .option(
      '--http-warmup <s>',
      'seconds of HTTP load before measuring',
      num('--http-warmup', { integer: true, positive: true }),
      5,
    )
    .option('--http-profile <dir>', 'write a V8 CPU profile (.cpuprofile) of the router process into this directory')
    .option(
      '--repeat <n>',
      'HTTP measurements per connection count; the report gives medians',
      num('--repeat', { integer: true, positive: true }),
      1,
    )
    .parse();
  const o = program.opts<
    LibraryOptions & {
      json?: boolean;
      http?: boolean;
      library: boolean;
      httpDuration: number;
      httpWarmup: number;
      httpProfile?: string;
      repeat: number;
    }
  >();
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  const library = o.library ? await benchLibraries(o, log) : null;
  const http = o.http
    ? await benchHttp({
        durationS: o.httpDuration,
        warmupS: o.httpWarmup,
        repeat: o.repeat,
        profileDir: o.httpProfile,
        progress: process.stderr.isTTY === true,
        log,
      })
    : null;
  const env = {
    node: process.version,
    cpus: cpus().length,
    loadAvg1m: Math.round(loadavg()[0] * 100) / 100,
    simd: o.simd && simdModule() !== null,
  };
  const result = { ...library?.result, ...http, env };
  if (!o.json) {
    if (library) process.stdout.write(library.text);
    if (http) process.stdout.write(httpTable(http));
    process.stdout.write(`env: ${JSON.stringify(env)}\n`);
    return;
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function httpTable(h: HttpBenchResult): string {
  const rows: (string | number)[][] = [['POST /v1/chat/completions', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors']];
  for (const [label, f] of [
    ['router, 1 connection', h.http.c1],
    ['router, 64 connections', h.http.c64],
    ['upstream alone, 64 connections', h.upstream.c64],
  ] as const)
    rows.push([label, f.reqPerSec, f.p50Ms, f.p99Ms, f.non2xx, f.errors]);
  return `${table(rows)}\n(median of ${h.repeat} run(s) of ${h.durationS} s each)\n\n`;
}

interface LibraryOptions {
  iterations: number;
  warmup: number;
  k: number;
  d: number;
  peerIterations: number;
  peers: boolean;
  batch: boolean;
  others: boolean;
  simd: boolean;
}

/** The micro-benchmarks of the pure libraries: their JSON fields and the readable report. */
async function benchLibraries(
  o: LibraryOptions,
  log: (s: string) => void,
): Promise<{ result: Record<string, unknown>; text: string }> {
  const { k, d } = o;
  log(`linucb k=${k} d=${d}: ${o.warmup} warm-up + ${o.iterations} timed calls`);
  const lin = benchPolicy('linucb', { simd: o.simd }, k, d, o.iterations, o.warmup);
  const cyclePerSec = 1e6 / (lin.decide.meanUs + lin.update.meanUs);

  const others: Record<string, { decide: Timing; update: Timing }> = {};
  if (o.others) {
    const n = Math.max(1000, Math.floor(o.iterations / 5));
    const w = Math.max(500, Math.floor(o.warmup / 5));
    for (const [name, opts, dd] of [
      ['lints', { simd: o.simd }, d],
      ['auto', {}, d],
      ['epsilon-greedy', {}, 0],
      ['ucb1', {}, 0],
      ['discounted-ucb', {}, 0],
      ['thompson', {}, 0],
      ['thompson', { kind: 'gaussian' }, 0],
    ] as [string, Record<string, unknown>, number][]) {
      const label = opts['kind'] ? `${name}-${String(opts['kind'])}` : name;
      log(`${label} k=${k}${dd ? ` d=${dd}` : ''}`);
      others[label] = benchPolicy(name, opts, k, dd || d, n, w);
      if (!dd) {
        others[label].decide.d = 0;
        others[label].update.d = 0;
      }
      if (name === 'auto') {
        // auto times the policy on precomputed contexts; the services featurize each prompt too.
        log(`auto through ScopeEngine (featurize, text features, decide; restore context, update) k=${k} d=${d}`);
        others['autoServices'] = benchServices(k, d, n, w);
      }
    }
  }

  const { batch, batchNote } = o.batch
    ? await benchBatchOrNull(log)
    : { batch: null, batchNote: 'skipped (--no-batch)' };
  const peers = o.peers ? benchPeers(o.peerIterations, k, d, cyclePerSec, log) : {};

  const result = {
    decide: lin.decide,
    update: lin.update,
    cyclePerSec: Math.round(cyclePerSec),
    batch,
    ...(batchNote ? { batchNote } : {}),
    peers,
    others,
  };

  const rows: (string | number)[][] = [
    ['call', 'policy', 'k', 'd', 'timed calls', 'p50 us', 'p99 us', 'cpu us', 'per sec'],
  ];
  const add = (call: string, t: Timing) =>
    rows.push([call, t.policy, t.k, t.d || '-', t.iterations, t.p50Us, t.p99Us, t.cpuUs, t.perSec]);
  add('decide', lin.decide);
  add('update', lin.update);
  for (const [label, t] of Object.entries(others)) {
    add('decide', { ...t.decide, policy: label === 'autoServices' ? t.decide.policy : label });
    add('update', { ...t.update, policy: label === 'autoServices' ? t.update.policy : label });
  }
  let text = `${table(rows)}\n\n`;
  const peerRows: (string | number)[][] = [['peer (same decide+update work)', 'cycles/s', 'ours / peer']];
  peerRows.push(['llm-router linucb', Math.round(cyclePerSec), 1]);
  for (const [name, p] of Object.entries(peers))
    peerRows.push([name, p.perSec ?? `unavailable: ${p.reason}`, p.ratio ?? '-']);
  if (o.peers) text += `${table(peerRows)}\n\n`;
  text += batch ? `batch: ${JSON.stringify(batch)}\n` : `batch: ${batchNote}\n`;
  return { result, text };
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
