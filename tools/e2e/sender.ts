/** Sends the run's queries: a backlog as fast as the broker takes it, or a smooth pace. */
import type { ProducerRecord } from 'kafkajs';

export interface OutgoingQuery {
  id: string;
  key: string;
  value: string;
}

/**
 * `rate` 0: chunks of `backlogChunk` as fast as the producer acknowledges them (a backlog).
 * `rate` > 0: query i is due at start + i / rate and goes out as soon as it is due, together
 * with whatever else is due (at 100 q/s that is one or two a tick), never in bursts of a
 * chunk; `onSent` gets each query's real send time, which latency is measured from.
 */
export async function sendQueries(
  producer: { send(record: ProducerRecord): Promise<unknown> },
  topic: string,
  queries: OutgoingQuery[],
  rate: number,
  onSent: (id: string, at: number) => void,
  backlogChunk = 500,
): Promise<void> {
  if (rate <= 0) {
    for (let i = 0; i < queries.length; i += backlogChunk) {
      const chunk = queries.slice(i, i + backlogChunk);
      const at = Date.now();
      for (const q of chunk) onSent(q.id, at);
      await producer.send({ topic, messages: chunk.map((q) => ({ key: q.key, value: q.value })) });
    }
    return;
  }
  const start = Date.now();
  let next = 0;
  const inFlight: Promise<unknown>[] = [];
  while (next < queries.length) {
    const now = Date.now();
    const due = Math.min(queries.length, Math.floor(((now - start) * rate) / 1000) + 1);
    if (due > next) {
      const batch = queries.slice(next, due);
      next = due;
      for (const q of batch) onSent(q.id, now);
      // Not awaited: a slow acknowledgement must not hold back the next due query.
      inFlight.push(producer.send({ topic, messages: batch.map((q) => ({ key: q.key, value: q.value })) }));
    }
    const wait = start + (next * 1000) / rate - Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(wait, 50))));
  }
  await Promise.all(inFlight);
}
