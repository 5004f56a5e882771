import { MetricsService } from './metrics';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function delay(text: string, quantile: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`event_loop_delay_seconds{quantile="${quantile}"}`));
  if (!line) throw new Error(`no event_loop_delay_seconds{quantile="${quantile}"} in the scrape`);
  return Number(line.split(' ')[1]);
}

describe('MetricsService event loop delay', () => {
  it('shows a stall of the event loop in max, and a scrape starts a new window', async () => {
    const metrics = new MetricsService();
    await sleep(50);
    const stallUntil = Date.now() + 60;
    while (Date.now() < stallUntil) {
      /* holds the event loop, as a large synchronous restore would */
    }
    await sleep(50);
    const first = await metrics.registry.metrics();
    expect(delay(first, 'max')).toBeGreaterThanOrEqual(0.05);
    // (HdrHistogram quantiles are bucket bounds: p99 may round above max, so only p50 <= p99 is checked.)
    expect(delay(first, '0.5')).toBeLessThanOrEqual(delay(first, '0.99'));
    // The stall belongs to the previous window: an idle window's max stays well below it
    // (generous: a busy test machine delays timers too).
    await sleep(200);
    expect(delay(await metrics.registry.metrics(), 'max')).toBeLessThan(delay(first, 'max'));
  });
});
