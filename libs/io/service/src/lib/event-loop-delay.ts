import { monitorEventLoopDelay } from 'node:perf_hooks';

/** One closed slice of the monitor: how many samples, their distribution and their max (ns). */
export interface DelaySlice {
  count: number;
  /** [value, share of samples at or below it], ascending: perf_hooks' `percentiles` as fractions. */
  cdf: [number, number][];
  max: number;
}

/** Sampling period of the monitor: each sample is one timer of this period, subtracted from the delay. */
export const EVENT_LOOP_RESOLUTION_MS = 1;

/**
 * How late the event loop ran a 1 ms timer (perf_hooks monitorEventLoopDelay) over a sliding
 * window of `spanMs`, kept as `slices` closed slices. Readers never reset it: Prometheus and the
 * e2e tool read the same figures (a reset on every read, as prom-client's own
 * nodejs_eventloop_lag_* do, gives each reader only the time since whoever read last). The
 * window slides in slices so that a reader soon after start, or after a short run, sees the
 * last `spanMs` rather than nothing or a window that closed before the run.
 */
export class EventLoopDelayWindow {
  private readonly monitor = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  private readonly closed: DelaySlice[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly spanMs: number,
    readonly slices = 10,
  ) {
    this.monitor.enable();
    this.timer = setInterval(() => this.closeSlice(), spanMs / slices);
    this.timer.unref();
  }

  /** p50, p99 and max in seconds over the closed slices; undefined before the first closes with samples. */
  read(): { p50: number; p99: number; max: number } | undefined {
    const seconds = (ns: number) => Math.max(0, ns / 1e6 - EVENT_LOOP_RESOLUTION_MS) / 1000;
    const merged = mergeSlices(this.closed);
    return (
      merged && { p50: seconds(merged.quantile(0.5)), p99: seconds(merged.quantile(0.99)), max: seconds(merged.max) }
    );
  }

  stop(): void {
    clearInterval(this.timer);
    this.monitor.disable();
  }

  private closeSlice(): void {
    const m = this.monitor;
    if (m.count > 0)
      this.closed.push({ count: m.count, cdf: [...m.percentiles].map(([p, v]) => [v, p / 100]), max: m.max });
    else this.closed.push({ count: 0, cdf: [], max: 0 });
    if (this.closed.length > this.slices) this.closed.shift();
    m.reset();
  }
}

/**
 * The distribution of several slices together: at each value, the share of all samples at or
 * below it is the count-weighted mean of each slice's share (each slice's CDF is a step
 * function through its recorded points). Exact up to the monitor's own recorded resolution.
 */
export function mergeSlices(
  slices: readonly DelaySlice[],
): { quantile: (q: number) => number; max: number } | undefined {
  const live = slices.filter((s) => s.count > 0 && s.cdf.length > 0);
  const total = live.reduce((n, s) => n + s.count, 0);
  if (total === 0) return undefined;
  const values = [...new Set(live.flatMap((s) => s.cdf.map(([v]) => v)))].sort((a, b) => a - b);
  const shareAtOrBelow = (v: number) => {
    let n = 0;
    for (const s of live) {
      let f = 0;
      for (const [x, p] of s.cdf) if (x <= v) f = p;
      n += s.count * f;
    }
    return n / total;
  };
  return {
    max: Math.max(...live.map((s) => s.max)),
    quantile: (q) => values.find((v) => shareAtOrBelow(v) >= q) ?? values[values.length - 1],
  };
}
