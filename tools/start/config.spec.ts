import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticDataset } from '../lib/synthetic-data';
import { loadStartConfig, modelsFileBeside, serviceEnv, StartConfigError } from './config';

describe('loadStartConfig', () => {
  const data = writeSyntheticDataset(5);
  afterAll(() => rmSync(data.dir, { recursive: true, force: true }));
  const replay = { REPLAY_DATASET: data.dataPath };

  it("defaults to the services' ports and the XDG data dir", () => {
    const c = loadStartConfig({ ...replay, HOME: homedir() });
    expect(c.ports).toEqual({ router: 3001, 'price-watcher': 3002, 'reward-aggregator': 3003, 'batch-planner': 3004 });
    expect(c.dataDir).toBe(join(homedir(), '.local', 'share', 'llm-router'));
    expect(c.provider).toBe('replay');
    expect(c.replayDataset).toBe(data.dataPath);
    // The models file beside the dataset, as npm run e2e finds it.
    expect(c.modelsFile).toBe(data.modelsPath);
    expect(loadStartConfig({ ...replay, XDG_DATA_HOME: '/xdg' }).dataDir).toBe('/xdg/llm-router');
    expect(loadStartConfig({ ...replay, DATA_DIR: '/srv/router' }).dataDir).toBe('/srv/router');
  });

  it('takes ports and files from the environment', () => {
    const c = loadStartConfig({
      ...replay,
      ROUTER_PORT: '4001',
      BATCH_PLANNER_PORT: '4004',
      MODELS_FILE: data.dataPath,
      ROUTER_API_KEYS: '[]',
    });
    expect(c.ports.router).toBe(4001);
    expect(c.ports['batch-planner']).toBe(4004);
    expect(c.modelsFile).toBe(data.dataPath);
    expect(c.routerApiKeys).toBe('[]');
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadStartConfig({
        ROUTER_PORT: 'x',
        PROVIDER: 'gpt',
        MODELS_FILE: '/no/such/models.json',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StartConfigError);
    const message = (error as Error).message;
    expect(message).toContain('ROUTER_PORT');
    expect(message).toContain('PROVIDER');
    expect(message).toContain('MODELS_FILE: file not found (got "/no/such/models.json")');
  });

  it('refuses two services on one port', () => {
    expect(() => loadStartConfig({ ...replay, PRICE_WATCHER_PORT: '3003' })).toThrow(
      'REWARD_AGGREGATOR_PORT: is the same port as PRICE_WATCHER_PORT (3003)',
    );
  });

  it('needs a dataset for the replay provider, and none for openai', () => {
    expect(() => loadStartConfig({ REPLAY_DATASET: '/no/such.jsonl' })).toThrow(
      'REPLAY_DATASET: file not found (got "/no/such.jsonl")',
    );
    const openai = loadStartConfig({ PROVIDER: 'openai', OPENAI_BASE_URL: 'http://x' });
    expect(openai.replayDataset).toBeUndefined();
    expect(openai.modelsFile).toBeUndefined();
  });
});

describe('modelsFileBeside', () => {
  it('prefers models_k<k>.json for a k-arm dataset, then models.json, else nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'start-config-spec-'));
    try {
      const dataPath = join(dir, 'val.jsonl');
      writeFileSync(
        dataPath,
        `${JSON.stringify({ prompt: 'p', arms: { a: { reward: 1, cost: 0 }, b: { reward: 0, cost: 0 } } })}\n`,
      );
      expect(modelsFileBeside(dataPath)).toBeUndefined();
      writeFileSync(join(dir, 'models.json'), '{}');
      expect(modelsFileBeside(dataPath)).toBe(join(dir, 'models.json'));
      writeFileSync(join(dir, 'models_k2.json'), '{}');
      expect(modelsFileBeside(dataPath)).toBe(join(dir, 'models_k2.json'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('serviceEnv', () => {
  const data = writeSyntheticDataset(5);
  afterAll(() => rmSync(data.dir, { recursive: true, force: true }));
  const infra = { kafkaBrokers: ['127.0.0.1:9092', '127.0.0.1:9093'], databaseUrl: 'postgres://db' };

  it('gives each service the servers, the provider, and its own extras', () => {
    const c = loadStartConfig({ REPLAY_DATASET: data.dataPath, PRICE_WATCHER_PORT: '4002' });
    const keys = '[{"key":"sk-router-x","scopes":["default"]}]';
    expect(serviceEnv('router', c, infra, keys, {})).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092,127.0.0.1:9093',
      DATABASE_URL: 'postgres://db',
      PROVIDER: 'replay',
      REPLAY_DATASET: data.dataPath,
      ROUTER_API_KEYS: keys,
      MODELS_FILE: data.modelsPath,
    });
    expect(serviceEnv('price-watcher', c, infra, keys, {})['PRICES_FILE']).toBe(data.modelsPath);
    expect(serviceEnv('price-watcher', c, infra, keys, {})['ROUTER_API_KEYS']).toBeUndefined();
    expect(serviceEnv('reward-aggregator', c, infra, keys, {})['PRICE_WATCHER_URL']).toBe('http://127.0.0.1:4002');
  });

  it('leaves PRICES_FILE and PRICE_WATCHER_URL that the user set for the services alone', () => {
    const c = loadStartConfig({ REPLAY_DATASET: data.dataPath });
    const inherited = { PRICES_FILE: '/mine.json', PRICE_WATCHER_URL: 'http://pw:3002' };
    expect(serviceEnv('price-watcher', c, infra, undefined, inherited)['PRICES_FILE']).toBeUndefined();
    expect(serviceEnv('reward-aggregator', c, infra, undefined, inherited)['PRICE_WATCHER_URL']).toBeUndefined();
  });
});
