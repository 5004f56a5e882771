import { Controller, Get, Header, Injectable } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics } from 'prom-client';

/** Sampling period of the event loop delay monitor: each sample is one timer of this period. */
const EVENT_LOOP_RESOLUTION_MS = 1;
/** Length of one event loop delay window: what `event_loop_delay_seconds` reports is the last full one. */
export const EVENT_LOOP_WINDOW_MS = 10_000;

/**
 * How late the event loop ran a 1 ms timer (perf_hooks monitorEventLoopDelay, the period
 * itself subtracted): p50, p99 and max of the last full window of `windowMs`. The windows
 * follow the clock, not the readers: a scrape changes nothing, so Prometheus and the e2e tool
 * read the same figures and never empty each other's window (a reset on every scrape, as
 * before, and as prom-client's own nodejs_eventloop_lag_* do, gives each reader only the time
 * since whoever read last). prom-client's gauges also sample every 10 ms and include those
 * 10 ms: too coarse for the millisecond stalls a large state restore causes.
 */
export function exportEventLoopDelay(registry: Registry, windowMs = EVENT_LOOP_WINDOW_MS): void {
  const monitor = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  monitor.enable();
  const seconds = (ns: number) => Math.max(0, ns / 1e6 - EVENT_LOOP_RESOLUTION_MS) / 1000;
  let lastWindow: { p50: number; p99: number; max: number } | undefined;
  const rotate = setInterval(() => {
    if (monitor.count > 0)
      lastWindow = {
        p50: seconds(monitor.percentile(50)),
        p99: seconds(monitor.percentile(99)),
        max: seconds(monitor.max),
      };
    monitor.reset();
  }, windowMs);
  rotate.unref();
  new Gauge({
    name: 'event_loop_delay_seconds',
    help: `Event loop delay over the last full ${windowMs / 1000} s window (quantile 0.5, 0.99, or max)`,
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      if (!lastWindow) return;
      this.set({ quantile: '0.5' }, lastWindow.p50);
      this.set({ quantile: '0.99' }, lastWindow.p99);
      this.set({ quantile: 'max' }, lastWindow.max);
    },
  });
}

/** One Prometheus registry per process; services register their own counters on it. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly cache = new Map<string, Counter | Gauge | Histogram | Summary>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    exportEventLoopDelay(this.registry);
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
      () => new Histogram({ name, help, labelNames, buckets, registers: [this.registry] }),
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
