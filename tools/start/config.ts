/**
 * What `npm start` reads from the environment, checked before anything starts: one message
 * naming every bad variable, as the services do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { parseDataset } from '@llm-router/contracts';
import { defaultDataDir } from '@llm-router/infra';
import { unsetIfEmpty } from '../lib/env';

export const APPS = ['router', 'price-watcher', 'reward-aggregator', 'batch-planner'] as const;
export type App = (typeof APPS)[number];

/** The variable holding each service's port (defaults: the services' own, 3001-3004). */
export const PORT_VARIABLES = {
  router: 'ROUTER_PORT',
  'price-watcher': 'PRICE_WATCHER_PORT',
  'reward-aggregator': 'REWARD_AGGREGATOR_PORT',
  'batch-planner': 'BATCH_PLANNER_PORT',
} as const satisfies Record<App, string>;

/** The dataset `npm run demo` replays, when this checkout sits beside ../shared. */
const ROOT = resolve(__dirname, '../..');
export const DEFAULT_REPLAY_DATASET = resolve(ROOT, '../shared/data/paretobandit/val.jsonl');

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const existingFile = z.string().refine((f) => existsSync(f), 'file not found');

const startEnvSchema = z
  .object({
    ROUTER_PORT: port(3001),
    PRICE_WATCHER_PORT: port(3002),
    REWARD_AGGREGATOR_PORT: port(3003),
    BATCH_PLANNER_PORT: port(3004),
    DATA_DIR: unsetIfEmpty(z.string()),
    XDG_DATA_HOME: unsetIfEmpty(z.string()),
    PROVIDER: z.enum(['replay', 'openai']).default('replay'),
    REPLAY_DATASET: unsetIfEmpty(existingFile),
    /** The models file with list prices, watched by the price-watcher (its PRICES_FILE). */
    MODELS_FILE: unsetIfEmpty(existingFile),
    /** Set by the user: passed to the router as it is, and no key is created. */
    ROUTER_API_KEYS: unsetIfEmpty(z.string()),
  })
  .superRefine((env, ctx) => {
    const ports = APPS.map((app) => [PORT_VARIABLES[app], env[PORT_VARIABLES[app]]] as const);
    for (const [i, [variable, value]] of ports.entries()) {
      const clash = ports.slice(0, i).find(([, other]) => other === value);
      if (clash)
        ctx.addIssue({ code: 'custom', path: [variable], message: `is the same port as ${clash[0]} (${value})` });
    }
    if (env.PROVIDER === 'replay' && env.REPLAY_DATASET === undefined && !existsSync(DEFAULT_REPLAY_DATASET)) {
      ctx.addIssue({
        code: 'custom',
        path: ['REPLAY_DATASET'],
        message: `is required when PROVIDER=replay (${DEFAULT_REPLAY_DATASET} is not there); or set PROVIDER=openai and OPENAI_BASE_URL`,
      });
    }
  });

export interface StartConfig {
  ports: Record<App, number>;
  dataDir: string;
  provider: 'replay' | 'openai';
  replayDataset?: string;
  modelsFile?: string;
  routerApiKeys?: string;
}

export class StartConfigError extends Error {}

export function loadStartConfig(env: NodeJS.ProcessEnv = process.env): StartConfig {
  const parsed = startEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) =>
        `${i.path.join('.') || '(env)'}: ${i.message}${env[String(i.path[0])] !== undefined ? ` (got ${JSON.stringify(env[String(i.path[0])])})` : ''}`,
    );
    throw new StartConfigError(`npm start: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  const c = parsed.data;
  const replayDataset =
    c.PROVIDER === 'replay' ? resolve((c.REPLAY_DATASET as string | undefined) ?? DEFAULT_REPLAY_DATASET) : undefined;
  const modelsFile = (c.MODELS_FILE as string | undefined) ?? (replayDataset && modelsFileBeside(replayDataset));
  return {
    ports: {
      router: c.ROUTER_PORT,
      'price-watcher': c.PRICE_WATCHER_PORT,
      'reward-aggregator': c.REWARD_AGGREGATOR_PORT,
      'batch-planner': c.BATCH_PLANNER_PORT,
    },
    dataDir: defaultDataDir(env),
    provider: c.PROVIDER,
    replayDataset,
    modelsFile: modelsFile && resolve(modelsFile),
    routerApiKeys: c.ROUTER_API_KEYS as string | undefined,
  };
}

/**
 * The models file that goes with a reward dataset: models_k<k>.json (k = arms of its first row)
 * or models.json in the same folder, as in ../shared/data/paretobandit.
 */
export function modelsFileBeside(dataPath: string): string | undefined {
  const firstLine = readFileSync(dataPath, 'utf8').split('\n', 1)[0];
  const k = Object.keys(parseDataset(firstLine)[0]?.arms ?? {}).length;
  return [join(dirname(dataPath), `models_k${k}.json`), join(dirname(dataPath), 'models.json')].find(existsSync);
}

/**
 * The environment each service gets on top of npm start's own (which passes through, so that
 * OPENAI_*, ROUTER_POLICY, LOG_LEVEL and the rest reach the services as usual).
 */
export function serviceEnv(
  app: App,
  c: StartConfig,
  infra: { kafkaBrokers: string[]; databaseUrl: string },
  routerApiKeys?: string,
  inherited: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    DATABASE_URL: infra.databaseUrl,
    PROVIDER: c.provider,
  };
  if (c.replayDataset) env['REPLAY_DATASET'] = c.replayDataset;
  // MODELS_FILE wins over a PRICES_FILE set for the price-watcher itself; nothing overrides it.
  if (app === 'price-watcher' && c.modelsFile && (inherited['MODELS_FILE'] || !inherited['PRICES_FILE']))
    env['PRICES_FILE'] = c.modelsFile;
  // The dashboard's frontier comes from the price-watcher when it knows where that is.
  if (app === 'reward-aggregator' && !inherited['PRICE_WATCHER_URL'])
    env['PRICE_WATCHER_URL'] = `http://127.0.0.1:${c.ports['price-watcher']}`;
  if (app === 'router' && routerApiKeys) env['ROUTER_API_KEYS'] = routerApiKeys;
  // The router reads the same file for its `embeddings` entry (with EMBEDDING_DIM, inherited).
  if (app === 'router' && c.modelsFile) env['MODELS_FILE'] = c.modelsFile;
  return env;
}
