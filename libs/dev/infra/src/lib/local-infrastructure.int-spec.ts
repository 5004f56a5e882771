/**
 * The local mode end to end, with real processes: Kafka from the cached Maven jars and a
 * throwaway PostgreSQL cluster. Forced to local even where KAFKA_BROKERS/DATABASE_URL are set
 * (the integration run provides them), because this is the path a fresh CI machine takes.
 */
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Topic } from '@llm-router/contracts';
import { ConfigResourceTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client } from 'pg';
import { ownedCount } from './cleanup';
import { startInfrastructure, type Infrastructure } from './infrastructure';
import type { InfraLogger } from './logger';
import { isPortOpen } from './ports';
import { pidAlive } from './proc';
import { ensureTopics } from './topics';

const lines: string[] = [];
const logger: InfraLogger = {
  info: (m) => lines.push(m),
  warn: (m) => lines.push(`WARN ${m}`),
};

describe('startInfrastructure in local mode', () => {
  const started: Infrastructure[] = [];
  afterAll(async () => {
    await Promise.all(started.map((infra) => infra.stop()));
  });

  async function start(): Promise<Infrastructure> {
    const infra = await startInfrastructure({
      mode: 'local',
      partitionsCap: 2,
      logger,
    });
    started.push(infra);
    return infra;
  }

  async function expectTornDown(infra: Infrastructure): Promise<void> {
    const local = infra.local!;
    for (const port of [local.kafkaPort, local.kafkaControllerPort, local.postgresPort]) {
      expect(await isPortOpen(port)).toBe(false);
    }
    for (const dir of local.tempDirs) expect(existsSync(dir)).toBe(false);
    expect(pidAlive(local.kafkaPid)).toBe(false);
    expect(pidAlive(local.postgresPid)).toBe(false);
  }

  it('serves Kafka with every contract topic and PostgreSQL, then tears both down', async () => {
    const infra = await start();
    expect(infra.mode).toBe('local');
    expect(lines).toContain('infrastructure mode: local (requested by the caller)');
    const local = infra.local!;
    expect(await isPortOpen(local.kafkaPort)).toBe(true);
    for (const dir of local.tempDirs) expect(existsSync(dir)).toBe(true);

    const kafka = new Kafka({
      clientId: 'infra-int-spec',
      brokers: infra.kafkaBrokers,
      logLevel: logLevel.ERROR,
    });

    // Round trip on a contract topic: produce one record, read it back through a consumer group.
    const key = randomUUID();
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({
      topic: Topic.Queries,
      messages: [{ key, value: 'hello' }],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `infra-int-spec-${key}` });
    await consumer.connect();
    await consumer.subscribe({ topic: Topic.Queries, fromBeginning: true });
    const received = await new Promise<{ key: string; value: string }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.key?.toString() === key) resolve({ key, value: message.value!.toString() });
        },
      });
    });
    await consumer.disconnect();
    expect(received).toEqual({ key, value: 'hello' });

    const admin = kafka.admin();
    await admin.connect();
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: Topic.Prices,
            configNames: ['cleanup.policy'],
          },
          {
            type: ConfigResourceTypes.TOPIC,
            name: Topic.Queries,
            configNames: ['cleanup.policy'],
          },
        ],
      });
      const policy = (name: string) =>
        resources.find((r) => r.resourceName === name)!.configEntries.find((e) => e.configName === 'cleanup.policy')!
          .configValue;
      expect(policy(Topic.Prices)).toBe('compact');
      expect(policy(Topic.Queries)).toBe('delete');

      const { topics } = await admin.fetchTopicMetadata({
        topics: [Topic.Queries, Topic.Prices],
      });
      const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
      expect(partitions).toEqual({ [Topic.Queries]: 2, [Topic.Prices]: 1 }); // capped at 2
    } finally {
      await admin.disconnect();
    }

    // Idempotent: everything exists already.
    expect((await ensureTopics(infra.kafkaBrokers, undefined, { partitionsCap: 2 })).created).toEqual([]);

    const client = new Client({ connectionString: infra.databaseUrl });
    await client.connect();
    try {
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }

    await infra.stop();
    await infra.stop(); // idempotent
    await expectTornDown(infra);
    expect(ownedCount()).toBe(0);
  });

  it('starts again from the cached jars without running Maven', async () => {
    const downloadLines = () => lines.filter((l) => l.includes('with Maven')).length;
    const before = downloadLines();
    const infra = await start();
    expect(infra.downloaded).toBe(false);
    expect(downloadLines()).toBe(before);
    const client = new Client({ connectionString: infra.databaseUrl });
    await client.connect();
    await client.end();
    await infra.stop();
    await expectTornDown(infra);
  });
});
