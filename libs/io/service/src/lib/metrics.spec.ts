import { Registry } from 'prom-client';
import { exportEventLoopDelay, MetricsService } from './metrics';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Short windows keep the test quick; generous sleeps keep it independent of a busy machine. */
const WINDOW_MS = 600;

function delay(text: string, quantile: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`event_loop_delay_seconds{quantile="${quantile}"}`));
  if (!line) throw new Error(`no event_loop_delay_seconds{quantile="${quantile}"} in the scrape`);
  return Number(line.split(' ')[1]);
}

function holdEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    /* holds the event loop, as a large synchronous restore would */
  }
}

describe('event loop delay', () => {
  it('shows a stall in the max of its window, a scrape does not reset it, and it slides out', async () => {
    const registry = new Registry();
    const window = exportEventLoopDelay(registry, WINDOW_MS);
    try {
      await sleep(50);
      holdEventLoop(60);
      await sleep(WINDOW_MS / 3); // the slice with the stall has closed, and is still in the window
      // Two readers (Prometheus and the e2e tool) at once: the second sees what the first saw.
      const [first, second] = await Promise.all([registry.metrics(), registry.metrics()]);
      expect(delay(first, 'max')).toBeGreaterThanOrEqual(0.05);
      expect(delay(second, 'max')).toBe(delay(first, 'max'));
      expect(delay(second, '0.99')).toBe(delay(first, '0.99'));
      // (HdrHistogram quantiles are bucket bounds: p99 may round above max, so only p50 <= p99 is checked.)
      expect(delay(first, '0.5')).toBeLessThanOrEqual(delay(first, '0.99'));
      // The window slides on: a whole span later the stall is gone from max.
      await sleep(WINDOW_MS * 2);
      expect(delay(await registry.metrics(), 'max')).toBeLessThan(delay(first, 'max'));
    } finally {
      window.stop();
    }
  });

  it('is on every service registry under the name the e2e tool reads', () => {
    const names = new MetricsService().registry.getMetricsAsArray().map((m) => m.name);
    expect(names).toContain('event_loop_delay_seconds');
  });
});

describe('histogram', () => {
  it("takes prom-client's default buckets when none are given, and the given ones otherwise", async () => {
    const m = new MetricsService();
    m.histogram('default_buckets_seconds', 'test', ['outcome']).observe({ outcome: 'a' }, 0.3);
    m.histogram('own_buckets_seconds', 'test', [], [1, 2]).observe(1.5);
    const text = await m.registry.metrics();
    m.onModuleDestroy();
    expect(text).toContain('default_buckets_seconds_bucket{le="0.5",outcome="a"} 1');
    expect(text).toContain('own_buckets_seconds_bucket{le="2"} 1');
    expect(text).not.toContain('own_buckets_seconds_bucket{le="0.5"}');
  });
});
