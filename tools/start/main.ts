/**
 * npm start: the four services in the foreground on a Kafka and PostgreSQL that keep their state
 * in DATA_DIR, until Ctrl-C.
 *   npm start [-- --fresh] [-- --quiet]   everything (local Kafka + PostgreSQL unless KAFKA_BROKERS /
 *                                         DATABASE_URL are set or Docker answers)
 *   npm run start:<app>                   one service against KAFKA_BROKERS / DATABASE_URL (scaling out)
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Argument, Command, Option } from 'commander';
import {
  clearDataDir,
  infraFromEnv,
  isPortFree,
  prepareDataDir,
  startInfrastructure,
  type Infrastructure,
} from '@llm-router/infra';
import { startServiceProcess, stopServices, type RunningService } from '../lib/services';
import { ensureApiKey, keptApiKey, routerApiKeysEnv } from './api-keys';
import {
  APPS,
  loadStartConfig,
  PORT_VARIABLES,
  serviceEnv,
  StartConfigError,
  type App,
  type StartConfig,
} from './config';

/** price-watcher first: the routers then find the catalog and prices already published. */
const START_ORDER: App[] = ['price-watcher', 'reward-aggregator', 'batch-planner', 'router'];
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const NAME_WIDTH = Math.max(...APPS.map((a) => a.length));

const say = (msg: string) => process.stderr.write(`[start] ${msg}\n`);

/**
 * Resolves on the first SIGINT/SIGTERM/SIGHUP. Listening also tells libs/dev/infra's own signal
 * hooks to leave the order of shutdown to us (services first, then Kafka and PostgreSQL).
 */
function stopSignal(): { requested: () => NodeJS.Signals | undefined; wait: Promise<NodeJS.Signals> } {
  let signal: NodeJS.Signals | undefined;
  const wait = new Promise<NodeJS.Signals>((resolve) => {
    for (const s of SIGNALS)
      process.on(s, () => {
        // tsx relays the terminal's Ctrl-C to this process too: a repeat is no news.
        if (signal) return;
        signal = s;
        say(`${s}: stopping`);
        resolve(s);
      });
  });
  return { requested: () => signal, wait };
}

async function checkPortsFree(apps: readonly App[], c: StartConfig): Promise<void> {
  const taken: App[] = [];
  for (const app of apps) if (!(await isPortFree(c.ports[app]))) taken.push(app);
  if (taken.length > 0) {
    throw new StartConfigError(
      `port${taken.length > 1 ? 's' : ''} already in use: ${taken
        .map((app) => `${c.ports[app]} (${app}; set ${PORT_VARIABLES[app]} to move it)`)
        .join(', ')}`,
    );
  }
}

function lineSink(name: string, quiet: boolean): ((line: string) => void) | undefined {
  if (quiet) return undefined;
  const prefix = `${name.padEnd(NAME_WIDTH)} | `;
  return (line) => process.stdout.write(`${prefix}${line}\n`);
}

/** Until a signal (exit code 0) or until a service exits on its own (1, and the rest stop too). */
async function runUntilStopped(services: RunningService[], signal: Promise<NodeJS.Signals>): Promise<number> {
  const crashed = new Promise<RunningService>((resolve) => {
    for (const s of services) s.proc.once('exit', () => resolve(s));
  });
  const first = await Promise.race([signal, crashed]);
  if (typeof first === 'string') return 0;
  say(
    `${first.name} exited (${first.proc.signalCode ?? `code ${first.proc.exitCode}`}); stopping the others. Log: ${first.logFile}`,
  );
  return 1;
}

function printBanner(c: StartConfig, infra: Infrastructure, logDir: string, quiet: boolean, apiKey: string): void {
  const url = (app: App) => `http://127.0.0.1:${c.ports[app]}`;
  const row = (name: string, value: string) => `  ${name.padEnd(NAME_WIDTH)}  ${value}`;
  const lines = [
    '',
    'llm-router is running (Ctrl-C stops everything)',
    row('router', `${url('router')}   OpenAI-compatible: POST /v1/chat/completions, GET /v1/models`),
    row('price-watcher', `${url('price-watcher')}   /prices, /admin/*`),
    row('reward-aggregator', `${url('reward-aggregator')}   /dashboard, /stats, /policy/:scope`),
    row('batch-planner', `${url('batch-planner')}`),
    '  every service: /health, /metrics, /docs',
    '',
    `  export KAFKA_BROKERS=${infra.kafkaBrokers.join(',')}`,
    `  export DATABASE_URL=${infra.databaseUrl}`,
    `  (${infra.mode} mode; with these set, \`npm run start:router\` adds a router: scaling out)`,
    `  data: ${infra.mode === 'local' ? c.dataDir : `${c.dataDir} (API key and logs; Kafka and PostgreSQL state live in the servers above)`}`,
    `  logs: ${quiet ? '' : 'streamed here, prefixed by service, and '}in ${join(logDir, '<service>.log')}`,
    apiKey,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The ROUTER_API_KEYS value and what to say about it. */
function routerKeys(c: StartConfig): { env: string; banner: string } {
  if (c.routerApiKeys) return { env: c.routerApiKeys, banner: '  API keys: from ROUTER_API_KEYS' };
  const k = ensureApiKey(c.dataDir);
  return {
    env: routerApiKeysEnv(k.key),
    banner: k.created
      ? `  API key (shown this once; kept in ${k.keyFile}, readable by you only):\n    ${k.key}\n  send it as: Authorization: Bearer <key>`
      : `  API key: in ${k.keyFile} (not shown again)`,
  };
}

interface AllFlags {
  fresh?: boolean;
  quiet?: boolean;
}

async function startAll(flags: AllFlags): Promise<number> {
  const c = loadStartConfig();
  await checkPortsFree(APPS, c);
  const stop = stopSignal();
  if (flags.fresh) {
    say(`--fresh: deleting the state in ${c.dataDir}`);
    clearDataDir(c.dataDir);
  }
  prepareDataDir(c.dataDir);
  const logDir = join(c.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const infra = await startInfrastructure({ dataDir: c.dataDir });
  const services: RunningService[] = [];
  let code = 0;
  try {
    if (stop.requested()) return 0;
    const keys = routerKeys(c);
    for (const app of START_ORDER) {
      say(`starting ${app} on port ${c.ports[app]}`);
      const env = serviceEnv(app, c, infra, keys.env);
      let spawned: ChildProcess | undefined;
      const started = startServiceProcess({ app, name: app, env }, c.ports[app], logDir, {
        onLine: lineSink(app, flags.quiet ?? false),
        onSpawn: (proc) => (spawned = proc),
      });
      const service = await Promise.race([started, stop.wait.then(() => undefined)]);
      if (!service) {
        // Stopped while this one was starting: it goes too, rather than finish starting first.
        spawned?.kill('SIGTERM');
        const late = await started.catch(() => undefined);
        if (late) services.push(late);
        return 0;
      }
      services.push(service);
    }
    printBanner(c, infra, logDir, flags.quiet ?? false, keys.banner);
    code = await runUntilStopped(services, stop.wait);
    return code;
  } finally {
    await stopServices(services);
    say('services stopped; stopping Kafka and PostgreSQL');
    await infra.stop();
    say('stopped');
  }
}

async function startOne(app: App, flags: { quiet?: boolean }): Promise<number> {
  const infra = infraFromEnv();
  if (!infra) {
    throw new StartConfigError(
      `start:${app} runs one more ${app} against a running system: set KAFKA_BROKERS and DATABASE_URL ` +
        '(`npm start` prints both; or `npm run -s infra -- up`)',
    );
  }
  const c = loadStartConfig();
  await checkPortsFree([app], c);
  const stop = stopSignal();
  const logDir = join(c.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  // A router beside `npm start` accepts the same key; ROUTER_API_KEYS wins when set.
  const kept =
    app === 'router'
      ? (c.routerApiKeys ?? (keptApiKey(c.dataDir) && routerApiKeysEnv(keptApiKey(c.dataDir)!)))
      : undefined;
  const name = `${app}-${c.ports[app]}`;
  say(`starting ${app} on port ${c.ports[app]} (KAFKA_BROKERS=${infra.kafkaBrokers.join(',')})`);
  const service = await startServiceProcess({ app, name, env: serviceEnv(app, c, infra, kept) }, c.ports[app], logDir, {
    onLine: lineSink(app, flags.quiet ?? false),
  });
  process.stdout.write(`${app} is running at ${service.url} (log: ${service.logFile}); Ctrl-C stops it\n`);
  try {
    return await runUntilStopped([service], stop.wait);
  } finally {
    await stopServices([service]);
  }
}

const quietOption = new Option(
  '--quiet',
  "do not stream the services' logs here (they are in DATA_DIR/logs either way)",
);

const program = new Command('start')
  .description('Run router, price-watcher, reward-aggregator and batch-planner in the foreground until Ctrl-C.')
  .addHelpText(
    'after',
    `
Environment:
  ROUTER_PORT, PRICE_WATCHER_PORT,        the services' ports (3001, 3002, 3003, 3004)
  REWARD_AGGREGATOR_PORT, BATCH_PLANNER_PORT
  DATA_DIR                                Kafka, PostgreSQL, API key, logs (default
                                          $XDG_DATA_HOME/llm-router, else ~/.local/share/llm-router)
  PROVIDER                                replay (default) or openai (then OPENAI_BASE_URL, OPENAI_API_KEY)
  REPLAY_DATASET                          reward dataset answering queries with PROVIDER=replay
                                          (default ../shared/data/paretobandit/val.jsonl)
  MODELS_FILE                             models and prices, and the router's embeddings entry (default: models_k<k>.json beside the dataset)
  ROUTER_API_KEYS                         the router's keys; unset: a key made on first start
  KAFKA_BROKERS + DATABASE_URL            use these servers instead of local ones
Everything else (OPENAI_*, ROUTER_POLICY, LOG_LEVEL, ...) passes through to the services.`,
  )
  .showHelpAfterError();

program
  .command('all', { isDefault: true })
  .description('everything, on local Kafka and PostgreSQL whose state is kept in DATA_DIR')
  .option('--fresh', 'delete the state in DATA_DIR first (Kafka, PostgreSQL, API key) and start empty')
  .addOption(quietOption)
  .action(async (flags: AllFlags) => process.exit(await startAll(flags)));

program
  .command('service')
  .description('one service against KAFKA_BROKERS and DATABASE_URL, e.g. a second router (npm run start:router)')
  .addArgument(new Argument('<app>', 'which service').choices(APPS))
  .addOption(quietOption)
  .action(async (app: App, flags: { quiet?: boolean }) => process.exit(await startOne(app, flags)));

program.parseAsync().catch((err: Error) => {
  say(err.message);
  process.exit(err instanceof StartConfigError ? 2 : 1);
});
