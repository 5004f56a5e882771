import { Controller, Get, Header, Injectable } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics } from 'prom-client';

/** Sampling period of the event loop delay monitor: each sample is one timer of this period. */
const EVENT_LOOP_RESOLUTION_MS = 1;

/** One Prometheus registry per process; services register their own counters on it. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly cache = new Map<string, Counter | Gauge | Histogram | Summary>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.exportEventLoopDelay();
  }

  /**
   * How late the event loop ran a 1 ms timer (perf_hooks monitorEventLoopDelay, the period
   * itself subtracted): p50, p99 and max since the previous scrape, which resets the window,
   * so two scrapes bracket exactly what happened between them. prom-client's
   * nodejs_eventloop_lag_* samples every 10 ms and includes those 10 ms: too coarse to see
   * the millisecond stalls a large state restore causes.
   */
  private exportEventLoopDelay(): void {
    const h = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    h.enable();
    const seconds = (ns: number) => Math.max(0, ns / 1e6 - EVENT_LOOP_RESOLUTION_MS) / 1000;
    new Gauge({
      name: 'event_loop_delay_seconds',
      help: 'Event loop delay since the previous scrape (quantile 0.5, 0.99, or max)',
      labelNames: ['quantile'],
      registers: [this.registry],
      collect() {
        if (h.count === 0) return;
        this.set({ quantile: '0.5' }, seconds(h.percentile(50)));
        this.set({ quantile: '0.99' }, seconds(h.percentile(99)));
        this.set({ quantile: 'max' }, seconds(h.max));
        h.reset();
      },
    });
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
