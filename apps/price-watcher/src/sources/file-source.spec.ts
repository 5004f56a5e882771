import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topic } from '@llm-router/contracts';
import { HealthRegistry, MetricsService } from '@llm-router/service';
import { counterValue, FakeProducer, fakeLog, MemoryPriceStore } from '../testing/fakes';
import { PriceBookService } from '../price-book/price-book.service';
import { FileSource, parseModelsFile } from './file-source';
import { SourceFormatError } from './source-feed';

// The shape of ../shared/data/paretobandit/models_k3.json, extra fields included.
const K3 = {
  models: [
    { model_id: 'meta-llama/llama-3.1-8b-instruct', display: 'Llama-3.1-8B', input_cost_per_m: 0.1, output_cost_per_m: 0.1, context_length: 128000, capabilities: ['general'] },
    { model_id: 'mistralai/mistral-large-2512', input_cost_per_m: 0.5, output_cost_per_m: 1.5 },
    { model_id: 'google/gemini-2.5-pro', input_cost_per_m: 1.25, output_cost_per_m: 10.0 },
  ],
};

describe('parseModelsFile', () => {
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
    const r = parseModelsFile(JSON.stringify({ models: [{ model_id: 'gpu/llama', input_cost_per_m: 0, output_cost_per_m: 0, self_hosted: true, concurrency: 4 }] }));
    expect(r.proposals).toEqual([{ model: 'gpu/llama', inputPerM: 0, outputPerM: 0, selfHosted: true, concurrency: 4 }]);
  });

  it('keeps bad prices for the price book to refuse, and skips entries without an id or twice listed', () => {
    const r = parseModelsFile(
      JSON.stringify({ models: [{ model_id: 'neg', input_cost_per_m: -1, output_cost_per_m: 1 }, { input_cost_per_m: 1 }, { model_id: 'neg', input_cost_per_m: 1, output_cost_per_m: 1 }] }),
    );
    expect(r.proposals).toEqual([{ model: 'neg', inputPerM: -1, outputPerM: 1 }]);
    expect(r.skipped.map((s) => [s.model, s.reason])).toEqual([['(entry 2)', 'invalid'], ['neg', 'invalid']]);
  });

  it('refuses a document that is not a models file', () => {
    expect(() => parseModelsFile('{"models": ')).toThrow(SourceFormatError);
    expect(() => parseModelsFile('{"data": []}')).toThrow(/models_k3\.json format/);
    expect(() => parseModelsFile('null')).toThrow(SourceFormatError);
  });
});

describe('FileSource', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pw-file-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function setup(file: string) {
    const producer = new FakeProducer();
    const metrics = new MetricsService();
    const log = fakeLog();
    const book = new PriceBookService(new MemoryPriceStore(), producer, log as never, metrics, { MAX_PRICE_JUMP: 10, selfHosted: [] });
    await book.onModuleInit();
    const source = new FileSource({ PRICES_FILE: file, PRICES_FILE_DEBOUNCE_MS: 0 }, book, metrics, log as never, new HealthRegistry());
    return { producer, metrics, log, book, source };
  }

  it('applies the file, then on reload only what changed in it; a bad entry is rejected once and the rest applied', async () => {
    const file = join(dir, 'models.json');
    writeFileSync(file, JSON.stringify(K3));
    const { producer, metrics, book, source } = await setup(file);
    expect(await source.reload('test')).toEqual({ proposed: 3, accepted: 3, rejected: 0, failed: 0 });
    expect(producer.on(Topic.Prices)).toHaveLength(3);

    // An admin override survives a reload that does not touch that model.
    await book.propose('admin', { model: 'google/gemini-2.5-pro', inputPerM: 1, outputPerM: 8 });
    const k3 = structuredClone(K3);
    k3.models[0].output_cost_per_m = 0.2;
    k3.models[1].input_cost_per_m = 50; // 100x: refused
    writeFileSync(file, JSON.stringify(k3));
    producer.clear();
    expect(await source.reload('test')).toEqual({ proposed: 2, accepted: 1, rejected: 1, failed: 0 });
    expect(producer.on(Topic.Prices).map((p) => [p.model, p.outputPerM])).toEqual([['meta-llama/llama-3.1-8b-instruct', 0.2]]);
    expect(book.price('google/gemini-2.5-pro')?.outputPerM).toBe(8);
    expect(await counterValue(metrics, 'price_rejected_total', { source: 'file', reason: 'jump' })).toBe(1);

    // Unchanged file: the refused entry is not proposed, logged or counted again.
    expect(await source.reload('test')).toEqual({ proposed: 0, accepted: 0, rejected: 0, failed: 0 });
    expect(await counterValue(metrics, 'price_rejected_total', { source: 'file', reason: 'jump' })).toBe(1);
  });

  it('keeps the current prices when the file is broken or missing, and counts it', async () => {
    const file = join(dir, 'models.json');
    writeFileSync(file, JSON.stringify(K3));
    const { producer, metrics, book, source, log } = await setup(file);
    await source.reload('test');
    writeFileSync(file, '{"models": [');
    producer.clear();
    expect(await source.reload('test')).toBeNull();
    rmSync(file);
    expect(await source.reload('test')).toBeNull();
    expect(producer.sent).toEqual([]);
    expect(book.current()).toHaveLength(3);
    expect(await counterValue(metrics, 'price_source_errors_total', { source: 'file', reason: 'parse' })).toBe(1);
    expect(await counterValue(metrics, 'price_source_errors_total', { source: 'file', reason: 'read' })).toBe(1);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([expect.stringMatching(/not JSON/), expect.stringMatching(/does not exist/)]);
  });

  it('retries a file whose prices could not be published, since nothing else would re-read it', async () => {
    const file = join(dir, 'models.json');
    writeFileSync(file, JSON.stringify(K3));
    const { producer, source, book } = await setup(file);
    producer.failNext = 1;
    jest.useFakeTimers();
    try {
      expect(await source.reload('test')).toEqual({ proposed: 3, accepted: 2, rejected: 0, failed: 1 });
      expect(book.current()).toHaveLength(2);
      const reload = jest.spyOn(source, 'reload');
      jest.runOnlyPendingTimers();
      expect(reload).toHaveBeenCalledWith('retry');
      expect(await reload.mock.results[0].value).toEqual({ proposed: 1, accepted: 1, rejected: 0, failed: 0 });
      expect(book.current()).toHaveLength(3);
    } finally {
      jest.useRealTimers();
    }
  });

  it('debounces a burst of changes into one reload', async () => {
    jest.useFakeTimers();
    try {
      const file = join(dir, 'models.json');
      writeFileSync(file, JSON.stringify(K3));
      const { source } = await setup(file);
      const reload = jest.spyOn(source, 'reload').mockResolvedValue(null);
      source.schedule();
      source.schedule();
      source.schedule();
      expect(reload).not.toHaveBeenCalled();
      jest.runAllTimers();
      expect(reload).toHaveBeenCalledTimes(1);
      expect(reload).toHaveBeenCalledWith('change');
    } finally {
      jest.useRealTimers();
    }
  });
});
