import { BatchedWrites } from './batched-writes';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('BatchedWrites', () => {
  it('writes concurrent items together: the first alone, the ones queued meanwhile in one batch', async () => {
    const batches: number[][] = [];
    const writes = new BatchedWrites<number>(async (items) => {
      batches.push(items);
      await tick();
    });
    await Promise.all(Array.from({ length: 10 }, (_, i) => writes.add(i)));
    expect(batches).toEqual([[0], [1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it("gives each caller its own item's result when the write answers per item", async () => {
    const writes = new BatchedWrites<number, string>(async (items) => {
      await tick();
      return items.map((i) => `booked ${i}`);
    });
    expect(await Promise.all([1, 2, 3].map((i) => writes.add(i)))).toEqual(['booked 1', 'booked 2', 'booked 3']);
  });

  it('resolves a caller only once the write that carried its item is done', async () => {
    let written = false;
    const writes = new BatchedWrites<number>(async () => {
      await tick();
      written = true;
    });
    await writes.add(1);
    expect(written).toBe(true);
  });

  it('fails the callers of a failed batch only, and keeps writing the next ones', async () => {
    let calls = 0;
    const writes = new BatchedWrites<string>(async (items) => {
      calls++;
      await tick();
      if (items.includes('bad')) throw new Error('refused');
    });
    const first = writes.add('bad');
    const later = [writes.add('a'), writes.add('b')];
    await expect(first).rejects.toThrow('refused');
    await expect(Promise.all(later)).resolves.toEqual([undefined, undefined]);
    expect(calls).toBe(2);
  });

  it('splits a long queue into batches of at most maxBatch', async () => {
    const sizes: number[] = [];
    const writes = new BatchedWrites<number>(async (items) => {
      sizes.push(items.length);
      await tick();
    }, 3);
    await Promise.all(Array.from({ length: 8 }, (_, i) => writes.add(i)));
    expect(sizes).toEqual([1, 3, 3, 1]);
  });
});
