/**
 * Kafka with SASL/SCRAM-SHA-512 and ACLs (docs/decisions/0021-kafka-sasl-and-acls.md) on a real
 * local broker: each service's principal can do its job and nothing else, and a client without
 * credentials gets nothing. Starts its own infrastructure in local mode with security `sasl`
 * (whatever KAFKA_BROKERS says: the shared test broker is PLAINTEXT).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allTopics, dlqTopic, Topic } from '@llm-router/contracts';
import {
  createDatabase,
  freePort,
  KAFKA_ACL_MATRIX,
  KAFKA_ADMIN_USER,
  KAFKA_PRINCIPALS,
  saslOptions,
  saslServiceEnv,
  startInfrastructure,
  type Infrastructure,
  type KafkaPrincipal,
} from '@llm-router/infra';
import { Kafka, logLevel, type Consumer, type SASLOptions } from 'kafkajs';
import { RunningService, startServiceProcess, stopServices } from '../../tools/lib/services';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';

const REPLY_TOPIC = 'replies.sasl-test';
const CONTRACT_TOPICS = allTopics().map((t) => t.name);

/** Every type and message of an error and of the errors it wraps: kafkajs nests the broker's answer. */
function describeError(e: unknown): string {
  const parts: string[] = [];
  for (
    let cur = e as { type?: string; message?: string; originalError?: unknown; cause?: unknown } | undefined;
    cur;

  ) {
    parts.push(`${cur.type ?? ''} ${cur.message ?? String(cur)}`);
    cur = (cur.originalError ?? cur.cause) as typeof cur;
  }
  return parts.join(' <- ');
}

async function failureOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return describeError(e);
  }
  return 'no error';
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Kafka with SASL/SCRAM and ACLs: one principal per service', () => {
  let infra: Infrastructure;
  const consumers: Consumer[] = [];
  const running: RunningService[] = [];
  const kafkaAs = (clientId: string, sasl?: SASLOptions) =>
    new Kafka({
      clientId,
      brokers: infra.kafkaBrokers,
      sasl,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 5000,
      retry: { retries: 2, initialRetryTime: 200 },
    });
  const principal = (p: KafkaPrincipal) => kafkaAs(`sasl-${p}`, saslOptions(infra.kafkaSasl!, p));

  beforeAll(async () => {
    infra = await startInfrastructure({ mode: 'local', security: 'sasl', partitionsCap: 1 });
    // One marker on every topic, written by the super user, for the consumers to find.
    const admin = kafkaAs('sasl-admin', saslOptions(infra.kafkaSasl!, KAFKA_ADMIN_USER));
    const adminClient = admin.admin();
    await adminClient.connect();
    await adminClient.createTopics({ topics: [{ topic: REPLY_TOPIC, numPartitions: 1 }], waitForLeaders: true });
    await adminClient.disconnect();
    const producer = admin.producer();
    await producer.connect();
    for (const topic of [...CONTRACT_TOPICS, REPLY_TOPIC])
      await producer.send({ topic, messages: [{ key: 'marker', value: `marker of ${topic}` }] });
    await producer.disconnect();
  });

  afterAll(async () => {
    await stopServices(running);
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
    await infra?.stop();
  });

  it('creates a SCRAM principal per service besides the super user', () => {
    expect(infra.kafkaSasl!.mechanism).toBe('scram-sha-512');
    expect(Object.keys(infra.kafkaSasl!.principals).sort()).toEqual([...KAFKA_PRINCIPALS].sort());
  });

  it('refuses a client without credentials, and a wrong password', async () => {
    const anonymous = kafkaAs('sasl-anonymous').admin();
    const noCredentials = await failureOf(anonymous.connect().then(() => anonymous.listTopics()));
    await anonymous.disconnect().catch(() => undefined);
    // The listener answers only SASL handshakes: anything else closes the connection.
    expect(noCredentials).toMatch(/connection|closed/i);

    const guessed = kafkaAs('sasl-guess', { mechanism: 'scram-sha-512', username: 'router', password: 'guessed' });
    const wrongPassword = await failureOf(guessed.admin().connect());
    expect(wrongPassword).toMatch(/SASL.*authentication failed|Authentication failed/i);
  });

  it.each(KAFKA_PRINCIPALS)(
    '%s produces to its own topics (idempotent producer) and its dead-letter topics',
    async (p) => {
      const grants = KAFKA_ACL_MATRIX[p];
      const producer = principal(p).producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        const own = [
          ...grants.writes,
          ...grants.reads.map(dlqTopic),
          ...(grants.writePrefixes?.length ? [REPLY_TOPIC] : []),
        ];
        for (const topic of own) await producer.send({ topic, messages: [{ key: p, value: `from ${p}` }] });
      } finally {
        await producer.disconnect();
      }
    },
  );

  it.each(KAFKA_PRINCIPALS)('%s may not produce to any other topic: TOPIC_AUTHORIZATION_FAILED', async (p) => {
    const grants = KAFKA_ACL_MATRIX[p];
    const allowed = new Set([...grants.writes, ...grants.reads.map(dlqTopic)]);
    const others = CONTRACT_TOPICS.filter((t) => !allowed.has(t));
    expect(others.length).toBeGreaterThan(0);
    const producer = principal(p).producer();
    await producer.connect();
    try {
      const notRefused: string[] = [];
      for (const topic of others) {
        const failure = await failureOf(producer.send({ topic, messages: [{ key: p, value: 'not allowed' }] }));
        if (!failure.includes('TOPIC_AUTHORIZATION_FAILED')) notRefused.push(`${topic}: ${failure}`);
      }
      expect(notRefused).toEqual([]);
    } finally {
      await producer.disconnect();
    }
  });

  it('only the price-watcher writes prices and the catalog, only the aggregator policy updates, only routers answers', async () => {
    const writers = (topic: string) => KAFKA_PRINCIPALS.filter((p) => KAFKA_ACL_MATRIX[p].writes.includes(topic));
    expect(writers(Topic.Prices)).toEqual(['price-watcher']);
    expect(writers(Topic.Catalog)).toEqual(['price-watcher']);
    expect(writers(Topic.PolicyUpdates)).toEqual(['reward-aggregator']);
    expect(writers(Topic.RewardStream)).toEqual(['reward-aggregator']);
    expect(writers(Topic.Responses)).toEqual(['router']);
    expect(writers(Topic.Decisions)).toEqual(['router']);
    // The broker agrees: the router's principal producing prices is refused.
    const producer = principal('router').producer();
    await producer.connect();
    const failure = await failureOf(producer.send({ topic: Topic.Prices, messages: [{ key: 'm', value: '{}' }] }));
    await producer.disconnect();
    expect(failure).toContain('TOPIC_AUTHORIZATION_FAILED');
  });

  it.each(KAFKA_PRINCIPALS)('%s consumes its topics in its own consumer group', async (p) => {
    const grants = KAFKA_ACL_MATRIX[p];
    const topics = [...grants.reads, ...(grants.readPrefixes?.length ? [REPLY_TOPIC] : [])];
    const consumer = principal(p).consumer({ groupId: `${grants.groupPrefixes[0]}-sasl-test` });
    consumers.push(consumer);
    const markers = new Set<string>();
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (message.key?.toString() === 'marker') markers.add(topic);
      },
    });
    await until(`${p} to read the markers of ${topics.join(', ')}`, () =>
      topics.every((t) => markers.has(t)) ? true : undefined,
    );
    await consumer.disconnect();
  });

  it('refuses a topic a principal may not read, and a consumer group that is not its own', async () => {
    const router = principal('router');
    // reward.stream is the aggregator's: the router may not read it.
    const reader = router.consumer({ groupId: 'router-sasl-not-its-topic' });
    consumers.push(reader);
    await reader.connect();
    const topicFailure = await failureOf(reader.subscribe({ topics: [Topic.RewardStream], fromBeginning: true }));
    expect(topicFailure).toContain('TOPIC_AUTHORIZATION_FAILED');
    await reader.disconnect();

    // A topic it may read, in the price-watcher's group: the broker refuses to name its
    // coordinator. kafkajs reports that only as "Failed to find group coordinator" and keeps the
    // broker's answer in a debug line, which is where the reason is read from.
    const brokerAnswers: string[] = [];
    const intruderClient = new Kafka({
      clientId: 'sasl-router-intruder',
      brokers: infra.kafkaBrokers,
      sasl: saslOptions(infra.kafkaSasl!, 'router'),
      logLevel: logLevel.DEBUG,
      logCreator: () => (entry) => {
        if (entry.log['error']) brokerAnswers.push(describeError(entry.log['error']));
      },
    });
    const intruder = intruderClient.consumer({ groupId: 'price-watcher', retry: { retries: 0 } });
    consumers.push(intruder);
    let crash: string | undefined;
    intruder.on(intruder.events.CRASH, (e) => (crash = describeError(e.payload.error)));
    await intruder.connect();
    await intruder.subscribe({ topics: [Topic.PolicyUpdates], fromBeginning: true });
    await intruder.run({ eachMessage: async () => undefined });
    expect(await until('the consumer in a foreign group to crash', () => crash)).toMatch(/group coordinator/);
    expect(brokerAnswers.join('\n')).toContain('GROUP_AUTHORIZATION_FAILED');
    await intruder.disconnect();
  });

  it('a price-watcher process with its principal becomes healthy, publishes prices, consumes its group and never logs its password', async () => {
    const { modelsPath } = writeSyntheticDataset(5);
    const watcher = await startServiceProcess(
      {
        app: 'price-watcher',
        name: 'price-watcher-sasl',
        env: {
          KAFKA_BROKERS: infra.kafkaBrokers.join(','),
          DATABASE_URL: await createDatabase(infra.databaseUrl, 'sasl'),
          ...saslServiceEnv(infra.kafkaSasl!, 'price-watcher'),
          PRICES_FILE: modelsPath,
          LOG_LEVEL: 'debug',
        },
      },
      await freePort(),
      mkdtempSync(join(tmpdir(), 'kafka-sasl-')),
      { timeoutMs: 180_000 },
    );
    running.push(watcher);

    // The router's principal reads model.prices: every model of the file arrives, from the watcher.
    const models = new Set<string>();
    const consumer = principal('router').consumer({ groupId: 'router-sasl-prices' });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [Topic.Prices], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key && message.key.toString() !== 'marker') models.add(message.key.toString());
      },
    });
    await until('the price-watcher to publish every model price', () =>
      ['acme/small', 'acme/medium', 'acme/large'].every((m) => models.has(m)) ? true : undefined,
    );
    await consumer.disconnect();

    // Its Nest Kafka transport authenticates too: it consumes policy.updates in its group (from
    // the latest offset, so an invalid snapshot is sent until it has joined) and parks what it
    // cannot decode on policy.updates.dlq.
    const parked: string[] = [];
    const dlq = kafkaAs('sasl-admin-dlq', saslOptions(infra.kafkaSasl!, KAFKA_ADMIN_USER)).consumer({
      groupId: 'admin-sasl-dlq',
    });
    consumers.push(dlq);
    await dlq.connect();
    await dlq.subscribe({ topics: [dlqTopic(Topic.PolicyUpdates)], fromBeginning: true });
    await dlq.run({
      eachMessage: async ({ message }) => {
        if (message.headers?.['x-original-topic']?.toString() === Topic.PolicyUpdates)
          parked.push(message.value!.toString());
      },
    });
    const admin = kafkaAs('sasl-admin-poison', saslOptions(infra.kafkaSasl!, KAFKA_ADMIN_USER)).producer();
    await admin.connect();
    const poison = setInterval(
      () =>
        void admin
          .send({ topic: Topic.PolicyUpdates, messages: [{ key: 'x', value: 'not a snapshot' }] })
          .catch(() => undefined),
      2000,
    );
    try {
      const letter = await until('the price-watcher to dead-letter an invalid policy update', () => parked[0]);
      expect(JSON.parse(letter)).toMatchObject({ topic: Topic.PolicyUpdates, consumer: 'price-watcher' });
    } finally {
      clearInterval(poison);
      await admin.disconnect();
      await dlq.disconnect();
    }

    await stopServices(running.splice(0));
    const log = readFileSync(watcher.logFile, 'utf8');
    expect(log.length).toBeGreaterThan(0);
    expect(log).not.toContain(infra.kafkaSasl!.principals['price-watcher'].password);
  });
});
