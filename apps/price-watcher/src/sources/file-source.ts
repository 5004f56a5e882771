import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { PinoLogger } from 'nestjs-pino';
import { parse as parseYaml } from 'yaml';
import { APP_CONFIG, HealthRegistry, MetricsService } from '@llm-router/service';
import type { PriceWatcherConfig } from '../config';
import { PriceBookService } from '../price-book/price-book.service';
import type { PriceProposal } from '../price-book/validation';
import { FeedResult, ParsedPrices, SourceFeed, SourceFormatError } from './source-feed';

/** Models-file keys (snake_case, as in models_k3.json) and the PriceProposal field each one sets. */
const OPTIONAL_FIELDS = {
  self_hosted: 'selfHosted',
  concurrency: 'concurrency',
  price_per_call_usd: 'perCallUsd',
  queue_limit: 'queueLimit',
  queue_timeout_ms: 'queueTimeoutMs',
  base_url: 'endpoint',
  protocol: 'protocol',
  api_key_env: 'keyEnv',
  timeout_ms: 'timeoutMs',
} as const satisfies Record<string, keyof PriceProposal>;

/** JSON when the document starts like JSON, YAML otherwise (YAML being a superset, errors stay JSON's for JSON files). */
function parseDocument(text: string): unknown {
  const json = /^\s*[{[]/.test(text);
  try {
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new SourceFormatError(`not ${json ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
}

/**
 * Reads a models file, JSON or YAML (the format of ../shared/data/paretobandit/models_k3.json):
 *   {"models": [{"model_id": "...", "input_cost_per_m": 0.1, "output_cost_per_m": 0.1,
 *                "self_hosted"?: true, "concurrency"?: 8, "price_per_call_usd"?: 0.002,
 *                "base_url"?: "https://...", "protocol"?: "openai" | "anthropic",
 *                "api_key_env"?: "OPENAI_API_KEY", "timeout_ms"?: 30000, ...}]}
 * Prices are taken as written (the price book validates them), so one bad entry is rejected
 * on its own instead of discarding the whole file. Throws SourceFormatError when the document
 * itself is unusable. apps/price-watcher/README.md documents every field.
 */
export function parseModelsFile(text: string): ParsedPrices {
  const doc = parseDocument(text);
  const models = (doc as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) throw new SourceFormatError('expected {"models": [...]} (the models_k3.json format)');
  const out: ParsedPrices = { proposals: [], skipped: [] };
  const seen = new Set<string>();
  models.forEach((m: Record<string, unknown>, i) => {
    const id = m?.model_id;
    if (typeof id !== 'string' || id.trim() === '') {
      out.skipped.push({
        model: `(entry ${i + 1})`,
        reason: 'invalid',
        message: `models[${i}]: model_id must be a non-empty string`,
      });
      return;
    }
    if (seen.has(id)) {
      out.skipped.push({
        model: id,
        reason: 'invalid',
        message: `models[${i}]: ${id} is listed twice; the first entry is used`,
      });
      return;
    }
    seen.add(id);
    // A self-hosted model priced per call may leave out token prices.
    const perCall = m.price_per_call_usd !== undefined;
    const p: PriceProposal = {
      model: id,
      inputPerM: (m.input_cost_per_m ?? (perCall ? 0 : undefined)) as number,
      outputPerM: (m.output_cost_per_m ?? (perCall ? 0 : undefined)) as number,
    };
    for (const [key, field] of Object.entries(OPTIONAL_FIELDS))
      if (m[key] !== undefined) (p as unknown as Record<string, unknown>)[field] = m[key];
    out.proposals.push(p);
  });
  return out;
}

/**
 * PRICES_FILE, watched. The directory is watched rather than the file, because editors and
 * config-management tools save by writing a new file and renaming it over the old one, which
 * a watch on the old file's inode never sees.
 */
@Injectable()
export class FileSource implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly path?: string;
  private readonly feed?: SourceFeed;
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;
  static RETRY_MS = 5000;
  private running: Promise<unknown> | null = null;
  private again = false;
  private lastLoad: { at: string; result?: FeedResult; error?: string } | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: Pick<PriceWatcherConfig, 'PRICES_FILE' | 'PRICES_FILE_DEBOUNCE_MS'>,
    prices: PriceBookService,
    private readonly metrics: MetricsService,
    @Inject(PinoLogger) private readonly log: Pick<PinoLogger, 'info' | 'warn' | 'error' | 'debug'>,
    health: HealthRegistry,
  ) {
    if (!config.PRICES_FILE) return;
    this.path = resolve(config.PRICES_FILE);
    this.feed = new SourceFeed('file', `file:${this.path}`, prices, metrics, log);
    // Informative only: a broken file keeps the last good prices, and restarting would not fix it.
    health.register('prices-file', () => ({ file: this.path, watching: !!this.watcher, last: this.lastLoad }));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.path) return;
    await this.reload('start');
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, name) => {
        if (!name || name === basename(this.path!)) this.schedule();
      });
      this.watcher.on('error', (e) =>
        this.log.error({ file: this.path, err: e.message }, 'watching the prices file failed'),
      );
      this.log.info({ file: this.path, debounceMs: this.config.PRICES_FILE_DEBOUNCE_MS }, 'watching the prices file');
    } catch (e) {
      this.log.error(
        { file: this.path, err: (e as Error).message },
        'cannot watch the prices file; it is read once, at start',
      );
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.retryTimer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Waits for the file to be quiet, then reloads once for a burst of writes. */
  schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload('change'), this.config.PRICES_FILE_DEBOUNCE_MS);
  }

  /** Reads and applies the file; a change arriving during a reload triggers one more reload after it. */
  async reload(trigger: string): Promise<FeedResult | null> {
    if (!this.path || !this.feed) return null;
    if (this.running) {
      this.again = true;
      await this.running;
      return null;
    }
    let result: FeedResult | null = null;
    const run = (async () => {
      do {
        this.again = false;
        result = await this.readOnce(trigger);
      } while (this.again);
    })();
    this.running = run;
    try {
      await run;
    } finally {
      this.running = null;
    }
    return result;
  }

  private async readOnce(trigger: string): Promise<FeedResult | null> {
    const at = new Date().toISOString();
    let parsed: ParsedPrices;
    try {
      parsed = parseModelsFile(await readFile(this.path!, 'utf8'));
    } catch (e) {
      const reason = e instanceof SourceFormatError ? 'parse' : 'read';
      const message =
        (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file does not exist (yet)' : (e as Error).message;
      this.metrics
        .counter('price_source_errors_total', 'Price sources that could not be read or parsed', ['source', 'reason'])
        .inc({ source: 'file', reason });
      this.log.warn({ file: this.path, trigger, reason }, `prices file not applied, current prices kept: ${message}`);
      this.lastLoad = { at, error: message };
      return null;
    }
    const result = await this.feed!.submit(parsed);
    this.lastLoad = { at, result };
    // Unlike a URL, a file is not read again unless it changes: a failed publication needs its own retry.
    if (result.failed > 0 && !this.stopped) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => void this.reload('retry'), FileSource.RETRY_MS);
    }
    this.log.info({ file: this.path, trigger, ...result }, 'prices file read');
    return result;
  }
}
