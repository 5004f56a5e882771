/**
 * startInfrastructure with a dataDir (what `npm start` uses), on real local processes: the state
 * written before a stop is there after the next start, which reuses the Kafka cluster and the
 * PostgreSQL cluster in place. Forced to local mode, as in local-infrastructure.int-spec.ts.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topic } from '@llm-router/contracts';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client } from 'pg';
import { clearDataDir, dataDirLayout, readRememberedPorts } from './data-dir';
import { startInfrastructure, type Infrastructure } from './infrastructure';
import type { InfraLogger } from './logger';
import { isPortOpen } from './ports';
import { pidAlive } from './proc';

const logger: InfraLogger = { info: () => undefined, warn: (m) => process.stderr.write(`WARN ${m}\n`) };

const clusterId = (dataDir: string) =>
  /^cluster\.id=(.+)$/m.exec(
    readFileSync(join(dataDirLayout(dataDir).kafkaDir, 'data', 'meta.properties'), 'utf8'),
  )?.[1];

async function query<T>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Every value with this key on llm.queries, read from the beginning by a new consumer group. */
async function valuesOfKey(brokers: string[], key: string, expected: number): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'persistent-int-spec', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `persistent-int-spec-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: Topic.Queries, fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.key?.toString() !== key) return;
          values.push(message.value!.toString());
          if (values.length >= expected) resolve();
        },
      });
    });
    return values;
  } finally {
    await consumer.disconnect();
  }
}

describe('startInfrastructure with a dataDir', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'llm-router-persistent-'));
  const started: Infrastructure[] = [];
  const start = async () => {
    const infra = await startInfrastructure({ mode: 'local', partitionsCap: 2, logger, dataDir });
    started.push(infra);
    return infra;
  };
  afterAll(async () => {
    await Promise.all(started.map((infra) => infra.stop()));
    clearDataDir(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const key = randomUUID();

  it('keeps a PostgreSQL row and a Kafka record across a stop and a start', async () => {
    const first = await start();
    const ports = readRememberedPorts(dataDirLayout(dataDir).portsFile);
    expect(ports).toEqual({
      kafkaPort: first.local!.kafkaPort,
      kafkaControllerPort: first.local!.kafkaControllerPort,
      postgresPort: first.local!.postgresPort,
    });
    const firstClusterId = clusterId(dataDir);
    expect(firstClusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);

    await query(first.databaseUrl, 'create table kept (id text primary key)');
    await query(first.databaseUrl, 'insert into kept values ($1)', [key]);
    const kafka = new Kafka({
      clientId: 'persistent-int-spec',
      brokers: first.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: Topic.Queries, acks: -1, messages: [{ key, value: 'before the restart' }] });
    await producer.disconnect();

    await first.stop();
    const local = first.local!;
    for (const port of [local.kafkaPort, local.kafkaControllerPort, local.postgresPort]) {
      expect(await isPortOpen(port)).toBe(false);
    }
    expect(pidAlive(local.kafkaPid)).toBe(false);
    expect(pidAlive(local.postgresPid)).toBe(false);
    expect(existsSync(join(dataDirLayout(dataDir).kafkaDir, 'data', 'meta.properties'))).toBe(true);
    expect(existsSync(dataDirLayout(dataDir).lockFile)).toBe(false);

    const second = await start();
    // Same cluster, same ports (they were free again), same data.
    expect(clusterId(dataDir)).toBe(firstClusterId);
    expect(second.local!.kafkaPort).toBe(local.kafkaPort);
    expect(second.local!.postgresPort).toBe(local.postgresPort);
    expect(await query(second.databaseUrl, 'select id from kept')).toEqual([{ id: key }]);
    expect(await valuesOfKey(second.kafkaBrokers, key, 1)).toEqual(['before the restart']);

    // One process per data dir: a second start while this one runs is refused, and says why.
    await expect(start()).rejects.toThrow(/in use by process/);
    await second.stop();
  });

  it('starts empty after clearDataDir (what --fresh does)', async () => {
    const before = clusterId(dataDir);
    clearDataDir(dataDir);
    expect(existsSync(dataDir)).toBe(false);
    const infra = await start();
    expect(clusterId(dataDir)).not.toBe(before);
    expect(await query(infra.databaseUrl, "select to_regclass('kept') as t")).toEqual([{ t: null }]);
    await infra.stop();
  });
});
