import { performance } from 'node:perf_hooks';
import { yieldIfBusy } from './event-loop-slice';

/** Busy-waits: synchronous work of a known length. */
const work = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('yieldIfBusy', () => {
  it('spreads continuations released together over several loop turns, a slice each', async () => {
    // Each job is 0.4 ms of synchronous work: with 1 ms slices at most a handful share a turn.
    const turnOf: number[] = [];
    let turn = 0;
    const ticker = setInterval(() => turn++, 0);
    const jobs = Array.from({ length: 60 }, async () => {
      await yieldIfBusy(1);
      turnOf.push(turn);
      work(0.4);
    });
    await Promise.all(jobs);
    clearInterval(ticker);
    const perTurn = new Map<number, number>();
    for (const t of turnOf) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    // Without the slicing all 60 would run in one turn (24 ms of work without a timer firing).
    expect(perTurn.size).toBeGreaterThan(5);
    expect(Math.max(...perTurn.values())).toBeLessThan(60);
  });

  it('keeps the turn while the slice has time left', async () => {
    let otherTurn = false;
    setImmediate(() => (otherTurn = true));
    await yieldIfBusy(60_000);
    expect(otherTurn).toBe(false);
  });
});
