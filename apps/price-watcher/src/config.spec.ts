import { ConfigError } from '@llm-router/service';
import { loadPriceWatcherConfig, parseSelfHostedModels } from './config';

const base = { KAFKA_BROKERS: 'localhost:9092', DATABASE_URL: 'postgres://u@localhost:5432/db' };

describe('price-watcher config', () => {
  it('has the documented defaults', () => {
    const c = loadPriceWatcherConfig(base);
    expect(c).toMatchObject({
      HTTP_PORT: 3002,
      PRICES_POLL_S: 300,
      MAX_PRICE_JUMP: 10,
      POLICY_GROUP_ID: 'price-watcher',
      FRONTIER_TOKENS_PER_CALL: 1000,
      selfHosted: [],
    });
    expect(c.ADMIN_TOKEN).toBeUndefined();
    expect(c.PRICES_FILE).toBeUndefined();
    expect(c.PRICES_URL).toBeUndefined();
  });

  it('treats empty variables as unset and splits the URL allow-list', () => {
    const c = loadPriceWatcherConfig({
      ...base,
      PRICES_FILE: '',
      ADMIN_TOKEN: '',
      PRICES_URL: 'https://openrouter.ai/api/v1/models',
      PRICES_URL_MODELS: 'a/b, c/d ,',
    });
    expect(c.PRICES_FILE).toBeUndefined();
    expect(c.ADMIN_TOKEN).toBeUndefined();
    expect(c.PRICES_URL_MODELS).toEqual(['a/b', 'c/d']);
  });

  it('names every bad variable', () => {
    let err: unknown;
    try {
      loadPriceWatcherConfig({ ...base, PRICES_URL: 'not a url', MAX_PRICE_JUMP: '1', SELF_HOSTED_MODELS: 'llama=0' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/PRICES_URL/);
    expect((err as Error).message).toMatch(/MAX_PRICE_JUMP/);
    expect((err as Error).message).toMatch(/SELF_HOSTED_MODELS: entry 1: concurrency/);
  });
});

describe('parseSelfHostedModels', () => {
  it('reads the comma list, with an optional constant price', () => {
    expect(parseSelfHostedModels('llama-70b=8, qwen/qwen-7b=4@0.02/0.04, mini=2@0.01')).toEqual([
      { model: 'llama-70b', concurrency: 8, inputPerM: 0, outputPerM: 0 },
      { model: 'qwen/qwen-7b', concurrency: 4, inputPerM: 0.02, outputPerM: 0.04 },
      { model: 'mini', concurrency: 2, inputPerM: 0.01, outputPerM: 0.01 },
    ]);
  });

  it('reads JSON objects and arrays', () => {
    expect(parseSelfHostedModels('{"llama-70b": 8, "qwen": {"concurrency": 2, "inputPerM": 0.1}}')).toEqual([
      { model: 'llama-70b', concurrency: 8, inputPerM: 0, outputPerM: 0 },
      { model: 'qwen', concurrency: 2, inputPerM: 0.1, outputPerM: 0 },
    ]);
    expect(parseSelfHostedModels('[{"model": "m", "concurrency": 1}]')).toEqual([
      { model: 'm', concurrency: 1, inputPerM: 0, outputPerM: 0 },
    ]);
    expect(parseSelfHostedModels(undefined)).toEqual([]);
  });

  it('refuses what it cannot read', () => {
    expect(() => parseSelfHostedModels('llama')).toThrow(/model=concurrency/);
    expect(() => parseSelfHostedModels('a=1,a=2')).toThrow(/twice/);
    expect(() => parseSelfHostedModels('a=2@-1')).toThrow(/inputPerM/);
    expect(() => parseSelfHostedModels('{"a": ')).toThrow(/JSON/);
  });
});
