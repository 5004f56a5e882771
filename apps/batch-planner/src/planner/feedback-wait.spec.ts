import { FeedbackWait } from './feedback-wait';

const opts = { waitMs: 200, pollMs: 5 };

describe('FeedbackWait', () => {
  it('does not wait before any window is dispatched, nor when waiting is off', async () => {
    const f = new FeedbackWait();
    expect(await f.wait('s', () => 0, opts)).toBe('none');
    f.dispatched('s', 100);
    expect(await f.wait('s', () => 0, { ...opts, waitMs: 0 })).toBe('none');
  });

  it('waits for the first rewards of a scope that has learned none yet', async () => {
    const f = new FeedbackWait();
    f.dispatched('s', 3);
    let learned = 0;
    const feed = setInterval(() => (learned = Math.min(3, learned + 1)), 20);
    try {
      expect(await f.wait('s', () => learned, { ...opts, waitMs: 10_000 })).toBe('learned');
    } finally {
      clearInterval(feed);
    }
    expect(learned).toBe(3);
  });

  it("asks for the scope's mark, so that a snapshot reaching it can be put in at once", async () => {
    const f = new FeedbackWait();
    f.dispatched('s', 40);
    const asked: number[] = [];
    expect(await f.wait('s', (mark) => (asked.push(mark), 40), opts)).toBe('learned');
    expect(asked).toEqual([40]);
  });

  it('falls quiet after a wait that learned nothing, and waits again once a reward comes', async () => {
    const f = new FeedbackWait();
    let learned = 0;
    f.dispatched('s', 100);
    expect(await f.wait('s', () => learned, opts)).toBe('timeout');
    // Quiet: the next windows go at once instead of waiting out the timeout each.
    const started = Date.now();
    expect(await f.wait('s', () => learned, { ...opts, waitMs: 60_000 })).toBe('quiet');
    expect(Date.now() - started).toBeLessThan(1000);
    learned = 1;
    expect(await f.wait('s', () => learned, opts)).toBe('timeout');
  });

  it('keeps waiting for a scope whose rewards come in, however slowly', async () => {
    const f = new FeedbackWait();
    let learned = 0;
    f.dispatched('s', 100);
    const feed = setInterval(() => (learned += 1), 20);
    try {
      expect(await f.wait('s', () => learned, opts)).toBe('timeout');
      expect(await f.wait('s', () => learned, opts)).toBe('timeout');
    } finally {
      clearInterval(feed);
    }
  });

  it('keeps marks per scope, the last window dispatched setting its own', async () => {
    const f = new FeedbackWait();
    f.dispatched('a', 10);
    f.dispatched('a', 15);
    expect(await f.wait('a', () => 15, opts)).toBe('learned');
    expect(await f.wait('a', () => 14, { ...opts, waitMs: 1 })).toBe('timeout');
    expect(await f.wait('b', () => 0, opts)).toBe('none');
  });

  it('ends at a stop, without taking the scope for quiet', async () => {
    const f = new FeedbackWait();
    f.dispatched('s', 10);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 10);
    expect(await f.wait('s', () => 0, { ...opts, waitMs: 60_000, signal: stop.signal })).toBe('timeout');
    expect(await f.wait('s', () => 0, { ...opts, waitMs: 1 })).toBe('timeout');
  });
});
