import { Admin, Consumer, Kafka, logLevel, Producer } from 'kafkajs';
import { allTopics, decodeSnapshotBytes, isBinarySnapshot } from '@llm-router/contracts';
import { ensureTopics } from '@llm-router/infra';

export function brokers(): string[] {
  const b = process.env['KAFKA_BROKERS'];
  if (!b)
    throw new Error(
      'KAFKA_BROKERS is not set: run integration tests through `npm test` or `npm run infra -- run -- ...`',
    );
  return b.split(',');
}

export function plainKafka(clientId = 'test-client'): Kafka {
  return new Kafka({ clientId, brokers: brokers(), logLevel: logLevel.NOTHING });
}

/**
 * Integration test files share one broker: each starts from empty topics so that one
 * file's messages cannot leak into the next file's consumers.
 *
 * Deletes and recreates every contract topic. A broker still finishing a deletion can refuse
 * the recreation or its first metadata calls ("this server does not host this
 * topic-partition"): the whole reset is tried again, with a growing pause, for up to
 * RESET_PATIENCE_MS on a busy machine before a test sees the error.
 */
export async function resetTopics(): Promise<void> {
  const deadline = Date.now() + RESET_PATIENCE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await resetTopicsOnce();
    } catch (e) {
      const pause = Math.min(10000, 2000 * attempt);
      if (Date.now() + pause > deadline) throw e;
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

const RESET_PATIENCE_MS = 120000;

async function resetTopicsOnce(): Promise<void> {
  const admin: Admin = plainKafka('test-admin').admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const ours = allTopics()
      .map((t) => t.name)
      .filter((t) => existing.has(t));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 30000 });
    for (let i = 0; i < 100; i++) {
      const left = (await admin.listTopics()).filter((t) => ours.includes(t));
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
  // Right after a deletion the broker can answer a recreated topic's metadata with "does not
  // host this topic-partition", which kafkajs does not retry: the creation is tried again.
  await waitFor('topics to be recreated', async () => {
    try {
      await ensureTopics(brokers(), allTopics(), { partitionsCap: Number(process.env['KAFKA_PARTITIONS_CAP'] ?? 3) });
      return true;
    } catch {
      return false;
    }
  });
  // A recreated topic can be in the metadata before its partitions are served ("this server
  // does not host this topic-partition"): wait until every partition answers ListOffsets.
  const probe = plainKafka('test-admin-probe').admin();
  await probe.connect();
  try {
    await waitFor('recreated topics to be served', async () => {
      try {
        for (const t of allTopics()) await probe.fetchTopicOffsets(t.name);
        return true;
      } catch {
        return false;
      }
    });
  } finally {
    await probe.disconnect();
  }
}

/** Collects every message of some topics from now on (a plain kafkajs consumer, not our code). */
export async function collect(
  topics: string[],
  groupId = `collector-${Date.now()}-${Math.random().toString(36).slice(2)}`,
) {
  const consumer: Consumer = plainKafka('test-collector').consumer({ groupId });
  const received: { topic: string; key: string | null; value: any; headers: Record<string, string> }[] = [];
  // A collector evicted from its group (a stalled event loop on a busy machine) reads again from
  // its last commit; a record it already holds is not a second message.
  const seen = new Set<string>();
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const at = `${topic}/${partition}/${message.offset}`;
      if (seen.has(at)) return;
      seen.add(at);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      received.push({ topic, key: message.key?.toString('utf8') ?? null, value: readValue(message.value), headers });
    },
  });
  return { received, stop: () => consumer.disconnect(), of: (t: string) => received.filter((r) => r.topic === t) };
}

/**
 * A record's value as a client reads it: JSON, or raw text when it is not JSON. policy.updates
 * records are in the binary snapshot encoding (docs/decisions/0018), read with the codec that
 * contracts publishes for every consumer, not with the services' code.
 */
function readValue(bytes: Buffer | null): unknown {
  if (!bytes) return undefined;
  if (isBinarySnapshot(bytes)) return decodeSnapshotBytes(bytes).value;
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The partition numbers of `topic`. */
export async function partitionsOf(topic: string): Promise<number[]> {
  const admin = plainKafka('test-partitions').admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).map((p) => p.partition);
  } finally {
    await admin.disconnect();
  }
}

export async function plainProducer(): Promise<Producer> {
  const p = plainKafka('test-producer').producer();
  await p.connect();
  return p;
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as T;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
