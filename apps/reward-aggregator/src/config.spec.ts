import { ConfigError } from '@llm-router/service';
import { loadAggregatorConfig } from './config';

const base = { KAFKA_BROKERS: 'localhost:9092', DATABASE_URL: 'postgres://u@localhost:5432/db' };

describe('PRICE_WATCHER_URL', () => {
  it('is optional, and empty means unset', () => {
    expect(loadAggregatorConfig(base).PRICE_WATCHER_URL).toBeUndefined();
    expect(loadAggregatorConfig({ ...base, PRICE_WATCHER_URL: '' }).PRICE_WATCHER_URL).toBeUndefined();
    expect(loadAggregatorConfig({ ...base, PRICE_WATCHER_URL: 'http://price-watcher:3002' }).PRICE_WATCHER_URL).toBe(
      'http://price-watcher:3002',
    );
  });

  it('must be a URL', () => {
    expect(() => loadAggregatorConfig({ ...base, PRICE_WATCHER_URL: 'price-watcher' })).toThrow(ConfigError);
  });
});

describe('SNAPSHOT_DEBOUNCE_MS', () => {
  it('defaults to 200 ms and takes what it is given from 10 ms up', () => {
    expect(loadAggregatorConfig(base).SNAPSHOT_DEBOUNCE_MS).toBe(200);
    expect(loadAggregatorConfig({ ...base, SNAPSHOT_DEBOUNCE_MS: '10' }).SNAPSHOT_DEBOUNCE_MS).toBe(10);
  });

  it('refuses 0 and less than 10 ms at start instead of quietly using another value', () => {
    expect(() => loadAggregatorConfig({ ...base, SNAPSHOT_DEBOUNCE_MS: '0' })).toThrow(/SNAPSHOT_DEBOUNCE_MS/);
    expect(() => loadAggregatorConfig({ ...base, SNAPSHOT_DEBOUNCE_MS: '9' })).toThrow(ConfigError);
  });
});

describe('BUDGET_PER_QUERY_USD', () => {
  it('is optional, and empty means unset, as the routers read it', () => {
    expect(loadAggregatorConfig(base).BUDGET_PER_QUERY_USD).toBeUndefined();
    expect(loadAggregatorConfig({ ...base, BUDGET_PER_QUERY_USD: '' }).BUDGET_PER_QUERY_USD).toBeUndefined();
    expect(loadAggregatorConfig({ ...base, BUDGET_PER_QUERY_USD: '0.00023' }).BUDGET_PER_QUERY_USD).toBe(0.00023);
  });

  it('refuses a target that is not a positive number, naming it', () => {
    expect(() => loadAggregatorConfig({ ...base, BUDGET_PER_QUERY_USD: '0' })).toThrow(/BUDGET_PER_QUERY_USD/);
    expect(() => loadAggregatorConfig({ ...base, BUDGET_PER_QUERY_USD: 'cheap' })).toThrow(ConfigError);
  });
});
