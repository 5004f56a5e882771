import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { HealthRegistry, MetricsService } from '@llm-router/service';
import { FileSource, parseModelsFile } from './file-source';
import { SourceFormatError } from './source-feed';
import { K3 } from './testing/feeds';

describe('parseModelsFile', () => {
  it('reads YAML with per-model provider fields, and a self-hosted model priced per call', () => {
    const r = parseModelsFile(
      [
        'models:',
        '  - model_id: openai/gpt-4o-mini',
        '    input_cost_per_m: 0.15',
        '    output_cost_per_m: 0.6',
        '    protocol: openai',
        '    base_url: https://api.openai.com/v1',
        '    api_key_env: OPENAI_API_KEY',
        '    timeout_ms: 20000',
        '  - model_id: local/llama',
        '    self_hosted: true',
        '    concurrency: 4',
        '    queue_limit: 8',
        '    queue_timeout_ms: 500',
        '    price_per_call_usd: 0.0004',
        '    base_url: http://gpu-1:8000',
      ].join('\n'),
    );
    expect(r.skipped).toEqual([]);
    expect(r.proposals).toEqual([
      {
        model: 'openai/gpt-4o-mini',
        inputPerM: 0.15,
        outputPerM: 0.6,
        protocol: 'openai',
        endpoint: 'https://api.openai.com/v1',
        keyEnv: 'OPENAI_API_KEY',
        timeoutMs: 20000,
      },
      {
        model: 'local/llama',
        inputPerM: 0,
        outputPerM: 0,
        selfHosted: true,
        concurrency: 4,
        queueLimit: 8,
        queueTimeoutMs: 500,
        perCallUsd: 0.0004,
        endpoint: 'http://gpu-1:8000',
      },
    ]);
    expect(() => parseModelsFile('models: [unclosed')).toThrow(/not YAML/);
  });

  it('reads the models file format', () => {
    const r = parseModelsFile(JSON.stringify(K3));
    expect(r.skipped).toEqual([]);
    expect(r.proposals).toEqual([
      { model: 'meta-llama/llama-3.1-8b-instruct', inputPerM: 0.1, outputPerM: 0.1 },
      { model: 'mistralai/mistral-large-2512', inputPerM: 0.5, outputPerM: 1.5 },
      { model: 'google/gemini-2.5-pro', inputPerM: 1.25, outputPerM: 10 },
    ]);
  });

  it('takes self_hosted and concurrency', () => {
    const r = parseModelsFile(
      JSON.stringify({
        models: [
          { model_id: 'gpu/llama', input_cost_per_m: 0, output_cost_per_m: 0, self_hosted: true, concurrency: 4 },
        ],
      }),
    );
    expect(r.proposals).toEqual([
      { model: 'gpu/llama', inputPerM: 0, outputPerM: 0, selfHosted: true, concurrency: 4 },
    ]);
  });

  it('keeps bad prices for the price book to refuse, and skips entries without an id or twice listed', () => {
    const r = parseModelsFile(
      JSON.stringify({
        models: [
          { model_id: 'neg', input_cost_per_m: -1, output_cost_per_m: 1 },
          { input_cost_per_m: 1 },
          { model_id: 'neg', input_cost_per_m: 1, output_cost_per_m: 1 },
        ],
      }),
    );
    expect(r.proposals).toEqual([{ model: 'neg', inputPerM: -1, outputPerM: 1 }]);
    expect(r.skipped.map((s) => [s.model, s.reason])).toEqual([
      ['(entry 2)', 'invalid'],
      ['neg', 'invalid'],
    ]);
  });

  it('refuses a document that is not a models file', () => {
    expect(() => parseModelsFile('{"models": ')).toThrow(SourceFormatError);
    expect(() => parseModelsFile('{"data": []}')).toThrow(/models_k3\.json format/);
    expect(() => parseModelsFile('null')).toThrow(SourceFormatError);
  });
});

describe('FileSource', () => {
  // Reading, applying and retrying a watched file runs on Kafka and Postgres:
  // test/e2e/price-watcher-sources.int-spec.ts. The debounce is a matter of timers alone.
  it('debounces a burst of changes into one reload', () => {
    jest.useFakeTimers();
    try {
      // reload is replaced below, so the price book is never reached.
      const source = new FileSource(
        { PRICES_FILE: join(tmpdir(), 'models.json'), PRICES_FILE_DEBOUNCE_MS: 0 },
        undefined as never,
        new MetricsService(),
        pino({ level: 'silent' }),
        new HealthRegistry(),
      );
      const reload = jest.spyOn(source, 'reload').mockResolvedValue(null);
      source.schedule();
      source.schedule();
      source.schedule();
      expect(reload).not.toHaveBeenCalled();
      // Only the timers pending now: MetricsService keeps an interval (the event-loop window) that never ends.
      jest.runOnlyPendingTimers();
      expect(reload).toHaveBeenCalledTimes(1);
      expect(reload).toHaveBeenCalledWith('change');
    } finally {
      jest.useRealTimers();
    }
  });
});
