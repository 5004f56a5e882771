import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Longest stretch of synchronous work, in ms, before a batch gives the event loop a turn. */
export const EVENT_LOOP_SLICE_MS = 1;

let turnStart = performance.now();
let resetQueued = false;

/**
 * Lets a long batch of work share the event loop: when the current turn has run for
 * EVENT_LOOP_SLICE_MS, the caller waits for the next turn, after the loop has polled its
 * sockets (HTTP requests, Kafka fetches and acks, PostgreSQL answers) and run its timers.
 *
 * Why a shared turn clock: a thousand continuations released together (one batched database
 * answer, one Kafka fetch) would each see a fresh slice after a plain `await setImmediate()`
 * and all run in the same check phase. Here the first caller of a busy turn queues a reset of
 * the clock ahead of everyone's continuation, so in the next turn only a slice's worth of
 * them proceeds and the rest wait again.
 */
export async function yieldIfBusy(sliceMs = EVENT_LOOP_SLICE_MS): Promise<void> {
  while (performance.now() - turnStart >= sliceMs) {
    if (!resetQueued) {
      resetQueued = true;
      setImmediate(() => {
        resetQueued = false;
        turnStart = performance.now();
      });
    }
    await nextTurn();
  }
}
