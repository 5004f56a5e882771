import { INestApplication } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import { Topic } from '@llm-router/contracts';
import { kafkaMicroserviceOptions } from '@llm-router/kafka';
import { startService } from '@llm-router/service';
import { PriceWatcherModule } from '../../apps/price-watcher/src/app.module';
import { loadPriceWatcherConfig, PriceWatcherConfig } from '../../apps/price-watcher/src/config';
import { brokers, collect, plainKafka, waitFor } from './kafka-test-kit';

/**
 * Helpers for the price-watcher's integration tests: the real PriceWatcherModule on the real
 * broker and database, started the way main.ts starts it, plus ways to read what it did.
 */

export const ADMIN_TOKEN = 'test-admin-token';

export type Sink = Awaited<ReturnType<typeof collect>>;

export interface PriceWatcher {
  app: INestApplication;
  config: PriceWatcherConfig;
  url: string;
  /** An HTTP call with the admin bearer token (null: none); the body is parsed JSON. */
  call(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: any }>;
  /** A counter of GET /metrics, 0 while it has no sample for these labels. */
  counter(name: string, labels: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

/**
 * Starts the price-watcher (startService, HTTP on an ephemeral port). With `policyUpdates`, it
 * also consumes policy.updates like main.ts does; its consumer group is first committed at the
 * topic's current end, so it reads exactly the snapshots produced after this call, whatever
 * moment the consumer happens to join (a new group would otherwise start at "latest", which
 * races with the test's first send).
 */
export async function startPriceWatcher(o: {
  databaseUrl: string;
  env?: Record<string, string>;
  policyUpdates?: boolean;
}): Promise<PriceWatcher> {
  const config = loadPriceWatcherConfig({
    KAFKA_BROKERS: brokers().join(','),
    DATABASE_URL: o.databaseUrl,
    HTTP_PORT: '0',
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    POLICY_GROUP_ID: `price-watcher-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`,
    ALLOW_NO_AUTH: 'true',
    ...o.env,
  });
  if (o.policyUpdates) await commitAtEnd(config.POLICY_GROUP_ID, Topic.PolicyUpdates);
  const app = await startService(PriceWatcherModule.forRoot(config), {
    name: 'price-watcher',
    description: 'price-watcher under test',
    httpPort: 0,
    microservice: o.policyUpdates
      ? (log) =>
          kafkaMicroserviceOptions(
            { brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID },
            config.POLICY_GROUP_ID,
            log,
          )
      : undefined,
  });
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1');
  const call: PriceWatcher['call'] = async (method, path, body, token = ADMIN_TOKEN) => {
    const res = await fetch(url + path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON (GET /metrics) */
    }
    return { status: res.status, body: parsed };
  };
  return {
    app,
    config,
    url,
    call,
    counter: async (name, labels) => {
      const text = (await call('GET', '/metrics', undefined, null)).body as string;
      for (const line of text.split('\n')) {
        const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const got = Object.fromEntries(
          [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
        );
        if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
      }
      return 0;
    },
    close: () => app.close(),
  };
}

/**
 * The high watermark of every partition of a topic. Right after resetTopics the broker may
 * still answer "does not host this topic-partition" for a moment: that is retried.
 */
async function topicEnds(topic: string): Promise<{ partition: number; high: string }[]> {
  const admin = plainKafka('test-admin').admin();
  await admin.connect();
  try {
    return await waitFor(`offsets of ${topic}`, async () => {
      try {
        return await admin.fetchTopicOffsets(topic);
      } catch (e) {
        const err = e as { type?: string; originalError?: { type?: string } };
        if ((err.originalError ?? err).type === 'UNKNOWN_TOPIC_OR_PARTITION') return false;
        throw e;
      }
    });
  } finally {
    await admin.disconnect();
  }
}

async function commitAtEnd(groupId: string, topic: string): Promise<void> {
  const ends = await topicEnds(topic);
  const admin = plainKafka('test-admin').admin();
  await admin.connect();
  try {
    await admin.setOffsets({
      groupId,
      topic,
      partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** How many messages a topic holds (the sum of its partitions' high watermarks; topics start empty). */
export async function published(topic: string): Promise<number> {
  return (await topicEnds(topic)).reduce((n, p) => n + Number(p.high), 0);
}

/**
 * The sink's messages of a topic, once it has received all the broker holds. The producer
 * waits for acks=all, so once an action has returned, everything it published is counted by
 * the high watermark: an exact "what was published" with no waiting for silence.
 */
export async function received(sink: Sink, topic: string): Promise<Sink['received']> {
  const n = await published(topic);
  return waitFor(`${n} messages of ${topic} in the sink`, () => sink.of(topic).length >= n && sink.of(topic));
}

/** The messages of a topic published since `mark` (a previous length of `received`). */
export async function since(sink: Sink, topic: string, mark: number): Promise<Sink['received']> {
  return (await received(sink, topic)).slice(mark);
}

export interface LogLine {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  msg?: string;
  [field: string]: unknown;
}

/**
 * What the services of this test file log outside an HTTP request (sources, consumers,
 * bootstrap), captured from the real pino logger at debug level instead of written to stdout.
 * nestjs-pino gives every PinoLogger of the process one shared pino instance, made by the first
 * PinoLogger constructed: constructing it here first, on an in-memory stream, makes it the one
 * the apps use. Call before the first app starts. Tests that assert on a line fail if it is not
 * there, so a change of that mechanism cannot make them pass vacuously.
 */
export function captureLogs(): LogLine[] {
  const lines: LogLine[] = [];
  __resetOutOfContextForTests();
  new PinoLogger({
    pinoHttp: [
      { level: 'debug', formatters: { level: (label: string) => ({ level: label }) } },
      { write: (s: string) => void lines.push(JSON.parse(s)) },
    ],
  } as ConstructorParameters<typeof PinoLogger>[0]);
  return lines;
}
