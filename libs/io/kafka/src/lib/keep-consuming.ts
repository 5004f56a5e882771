import type { Consumer } from 'kafkajs';

export interface KeepConsumingOptions {
  /** For the log lines. */
  name: string;
  /** True once the service is stopping: no restart then. */
  isStopping: () => boolean;
  log?: { warn: (o: object, m: string) => void; error: (o: object, m: string) => void };
  /** First wait before a restart, doubled up to 30 s while restarts fail (default 1000 ms). */
  backoffMs?: number;
}

/**
 * kafkajs restarts a crashed consumer only after a retriable error. After a non-retriable one,
 * such as "The coordinator is not aware of this member" when a stalled process was evicted
 * from its group and then commits, it disconnects and stays down: the service keeps
 * answering /health while it consumes nothing, for good. This restarts such a consumer
 * (connect, subscribe, run: `start`), with backoff, until the service stops.
 */
export function keepConsuming(consumer: Consumer, start: () => Promise<void>, opts: KeepConsumingOptions): void {
  const first = opts.backoffMs ?? 1000;
  let restarting = false;
  const restart = (delay: number) => {
    const timer = setTimeout(async () => {
      if (opts.isStopping()) return;
      try {
        await start();
        restarting = false;
        opts.log?.warn({ consumer: opts.name }, 'consumer restarted after a crash kafkajs does not recover from');
      } catch (e) {
        opts.log?.error({ consumer: opts.name, err: (e as Error).message }, 'consumer restart failed, retrying');
        restart(Math.min(30_000, delay * 2));
      }
    }, delay);
    timer.unref?.();
  };
  consumer.on(consumer.events.CRASH, (e) => {
    if (e.payload.restart || restarting || opts.isStopping()) return;
    restarting = true;
    restart(first);
  });
}
