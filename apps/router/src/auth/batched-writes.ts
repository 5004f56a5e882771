/**
 * Coalesces small writes made by concurrent requests into one statement: while one batch is
 * being written, the next ones queue and go together in the following write. Under load this
 * turns one round trip and one commit (a WAL flush) per request into one per batch; idle, a
 * write goes at once. Each caller's promise settles with the write that carried its item, so
 * an awaited add() means the row is committed, as an awaited single INSERT did. A write that
 * answers per item (a reservation: booked or refused) returns one result per item, in order.
 */
export class BatchedWrites<T, R = void> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private writing = false;

  constructor(
    private readonly writeMany: (items: T[]) => Promise<R[] | void>,
    private readonly maxBatch = 1000,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.writeMany(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve((results ? results[i] : undefined) as R));
        } catch (e) {
          for (const b of batch) b.reject(e);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
