import { Controller, Get, Header, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics } from 'prom-client';
import { EventLoopDelayWindow } from './event-loop-delay';

/** Span of the sliding window `event_loop_delay_seconds` reports. */
export const EVENT_LOOP_WINDOW_MS = 10_000;

/**
 * `event_loop_delay_seconds{quantile="0.5"|"0.99"|"max"}` over the last EVENT_LOOP_WINDOW_MS
 * (EventLoopDelayWindow: 1 ms timer lateness, sliding in tenths of the span, never reset by a
 * scrape). prom-client's gauges sample every 10 ms and include those 10 ms: too coarse for the
 * millisecond stalls a large state restore causes.
 */
export function exportEventLoopDelay(registry: Registry, windowMs = EVENT_LOOP_WINDOW_MS): EventLoopDelayWindow {
  const window = new EventLoopDelayWindow(windowMs);
  new Gauge({
    name: 'event_loop_delay_seconds',
    help: `Event loop delay over the last ${windowMs / 1000} s (quantile 0.5, 0.99, or max)`,
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      const last = window.read();
      if (!last) return;
      this.set({ quantile: '0.5' }, last.p50);
      this.set({ quantile: '0.99' }, last.p99);
      this.set({ quantile: 'max' }, last.max);
    },
  });
  return window;
}

/** One Prometheus registry per process; services register their own counters on it. */
@Injectable()
export class MetricsService implements OnModuleDestroy {
  readonly registry = new Registry();
  private readonly cache = new Map<string, Counter | Gauge | Histogram | Summary>();
  private readonly eventLoop: EventLoopDelayWindow;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.eventLoop = exportEventLoopDelay(this.registry);
  }

  onModuleDestroy(): void {
    this.eventLoop.stop();
  }

  counter(name: string, help: string, labelNames: string[] = []): Counter {
    return this.get(name, () => new Counter({ name, help, labelNames, registers: [this.registry] })) as Counter;
  }

  gauge(name: string, help: string, labelNames: string[] = []): Gauge {
    return this.get(name, () => new Gauge({ name, help, labelNames, registers: [this.registry] })) as Gauge;
  }

  histogram(name: string, help: string, labelNames: string[] = [], buckets?: number[]): Histogram {
    return this.get(
      name,
      // prom-client reads an explicit `buckets: undefined` as a list: leave the key out for its defaults.
      () => new Histogram({ name, help, labelNames, ...(buckets && { buckets }), registers: [this.registry] }),
    ) as Histogram;
  }

  /**
   * Quantiles over a sliding window (default the last 10 minutes, p50/p90/p99): for figures a
   * benchmark reads back exactly, where histogram buckets would only bracket them.
   */
  summary(name: string, help: string, labelNames: string[] = [], percentiles = [0.5, 0.9, 0.99]): Summary {
    return this.get(
      name,
      () =>
        new Summary({
          name,
          help,
          labelNames,
          percentiles,
          maxAgeSeconds: 600,
          ageBuckets: 5,
          registers: [this.registry],
        }),
    ) as Summary;
  }

  private get(name: string, make: () => Counter | Gauge | Histogram | Summary) {
    let m = this.cache.get(name);
    if (!m) this.cache.set(name, (m = make()));
    return m;
  }
}

@ApiExcludeController()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
