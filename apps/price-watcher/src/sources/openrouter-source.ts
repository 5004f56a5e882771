import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { APP_CONFIG, HealthRegistry, MetricsService } from '@llm-router/service';
import type { PriceWatcherConfig } from '../config';
import { PriceBookService } from '../price-book/price-book.service';
import { FeedResult, ParsedPrices, SourceFeed, SourceFormatError } from './source-feed';

/**
 * OpenRouter quotes USD per token as decimal strings ("0.0000025"); the system speaks USD per
 * million tokens. Rounding to 12 significant digits removes the binary noise of the
 * multiplication (0.0000025 * 1e6 = 2.4999999999999996), which would otherwise count as a
 * price change at every poll.
 */
export function perTokenToPerM(v: unknown): number | { invalid: string } {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const s = v.trim();
    if (s === '') return { invalid: 'empty string' };
    n = Number(s);
    // "NaN" and "Infinity" go through as such, to be refused as not finite; other text is not a number at all.
    if (Number.isNaN(n) && s !== 'NaN') return { invalid: `"${v}" is not a number` };
  } else return { invalid: `expected a decimal string, got ${v === undefined ? 'nothing' : JSON.stringify(v)}` };
  if (!Number.isFinite(n)) return n;
  return Number((n * 1e6).toPrecision(12));
}

/**
 * The OpenRouter /api/v1/models format: {"data": [{"id": "...", "pricing": {"prompt": "...",
 * "completion": "..."}}]}. `allow` limits which models are taken (other ids are ignored, not
 * rejected). Throws SourceFormatError when the document is unusable.
 */
export function parseOpenRouterModels(json: unknown, allow?: readonly string[]): ParsedPrices {
  const data = (json as { data?: unknown } | null)?.data;
  if (!Array.isArray(data))
    throw new SourceFormatError('expected {"data": [...]} (the OpenRouter /api/v1/models format)');
  const only = allow ? new Set(allow) : null;
  const out: ParsedPrices = { proposals: [], skipped: [] };
  const seen = new Set<string>();
  data.forEach((e: { id?: unknown; pricing?: Record<string, unknown> }, i) => {
    const id = e?.id;
    if (typeof id !== 'string' || id.trim() === '') {
      if (!only)
        out.skipped.push({
          model: `(entry ${i + 1})`,
          reason: 'invalid',
          message: `data[${i}].id must be a non-empty string`,
        });
      return;
    }
    if (only && !only.has(id)) return;
    if (seen.has(id)) return;
    seen.add(id);
    if (!e.pricing || typeof e.pricing !== 'object') {
      out.skipped.push({ model: id, reason: 'invalid', message: `data[${i}].pricing is missing` });
      return;
    }
    const input = perTokenToPerM(e.pricing.prompt);
    const output = perTokenToPerM(e.pricing.completion);
    if (typeof input !== 'number' || typeof output !== 'number') {
      const which =
        typeof input !== 'number'
          ? `pricing.prompt: ${input.invalid}`
          : `pricing.completion: ${(output as { invalid: string }).invalid}`;
      out.skipped.push({ model: id, reason: 'invalid', message: `data[${i}].${which}` });
      return;
    }
    out.proposals.push({ model: id, inputPerM: input, outputPerM: output });
  });
  return out;
}

/** PRICES_URL, polled every PRICES_POLL_S seconds; a failed poll keeps the current prices. */
@Injectable()
export class OpenRouterSource implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly feed?: SourceFeed;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private lastPoll: { at: string; result?: FeedResult; error?: string } | null = null;
  private warnedMissing = new Set<string>();

  constructor(
    @Inject(APP_CONFIG)
    private readonly config: Pick<
      PriceWatcherConfig,
      'PRICES_URL' | 'PRICES_URL_MODELS' | 'PRICES_POLL_S' | 'PRICES_FETCH_TIMEOUT_MS'
    >,
    prices: PriceBookService,
    private readonly metrics: MetricsService,
    @Inject(PinoLogger) private readonly log: Pick<PinoLogger, 'info' | 'warn' | 'error' | 'debug'>,
    health: HealthRegistry,
  ) {
    if (!config.PRICES_URL) return;
    this.feed = new SourceFeed('url', `url:${redact(config.PRICES_URL)}`, prices, metrics, log);
    health.register('prices-url', () => ({
      url: redact(config.PRICES_URL!),
      everySeconds: config.PRICES_POLL_S,
      last: this.lastPoll,
    }));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.feed) return;
    await this.poll();
    this.next();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One poll: fetch, parse, submit. Never throws. */
  async poll(): Promise<FeedResult | null> {
    if (!this.feed) return null;
    const url = this.config.PRICES_URL!;
    const at = new Date().toISOString();
    let parsed: ParsedPrices;
    try {
      const res = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.config.PRICES_FETCH_TIMEOUT_MS),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new SourceFormatError(`not JSON: ${(e as Error).message}`);
      }
      parsed = parseOpenRouterModels(json, this.config.PRICES_URL_MODELS);
    } catch (e) {
      const reason = e instanceof SourceFormatError ? 'parse' : 'fetch';
      this.metrics
        .counter('price_source_errors_total', 'Price sources that could not be read or parsed', ['source', 'reason'])
        .inc({ source: 'url', reason });
      this.log.warn(
        { url: redact(url), reason },
        `price feed not applied, current prices kept: ${(e as Error).message}`,
      );
      this.lastPoll = { at, error: (e as Error).message };
      return null;
    }
    for (const m of this.config.PRICES_URL_MODELS ?? []) {
      if (
        !this.warnedMissing.has(m) &&
        !parsed.proposals.some((p) => p.model === m) &&
        !parsed.skipped.some((s) => s.model === m)
      ) {
        this.warnedMissing.add(m);
        this.log.warn({ model: m, url: redact(url) }, 'a model of PRICES_URL_MODELS is not in the price feed');
      }
    }
    const result = await this.feed.submit(parsed);
    this.lastPoll = { at, result };
    this.log[result.proposed > 0 ? 'info' : 'debug']({ url: redact(url), ...result }, 'price feed polled');
    return result;
  }

  // A timeout chain rather than setInterval: a slow poll never overlaps the next one.
  private next(): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      await this.poll();
      this.next();
    }, this.config.PRICES_POLL_S * 1000);
  }
}

/** Query strings may carry API keys; logs and /health show the URL without them. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.search = u.search ? '?…' : '';
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}
