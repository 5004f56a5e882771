import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterReplication, startLocalKafkaCluster, type LocalKafkaCluster } from './kafka-cluster';
import { ensureJavaAndMaven, ensureKafkaJars } from './kafka-local';
import { stderrLogger, type InfraLogger } from './logger';
import { kafkaVersion } from './paths';
import { ensurePostgresBinaries, startLocalPostgres, type LocalPostgres } from './postgres-local';
import { ensureTopics, partitionsCapFromEnv, warmUpGroupCoordinator, type TopicDefinition } from './topics';

/** A local PostgreSQL that can be stopped and started again on the same port and data. */
export interface RestartablePostgres {
  databaseUrl: string;
  port: number;
  logFile: string;
  running(): boolean;
  /** Clean (fast) shutdown; the data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data dir; fails rather than move to another port. */
  start(): Promise<void>;
  /** Stops it for good and removes its dir. Idempotent. */
  destroy(): Promise<void>;
}

/**
 * A durable (fsync on) cluster in a temp dir, started through the kept-dir mode of
 * startLocalPostgres so that a stop keeps the data and a start reuses it.
 */
export async function startRestartablePostgres(logger: InfraLogger): Promise<RestartablePostgres> {
  const binDir = await ensurePostgresBinaries(logger);
  const dir = mkdtempSync(join(tmpdir(), 'llm-router-pg-restartable-'));
  let current: LocalPostgres | undefined = await startLocalPostgres({ binDir, logger: quiet(logger), dir });
  const { port, databaseUrl, logFile } = current;
  let destroyed: Promise<void> | undefined;
  const pg: RestartablePostgres = {
    databaseUrl,
    port,
    logFile,
    running: () => current !== undefined,
    async stop() {
      const was = current;
      current = undefined;
      await was?.stop();
    },
    async start() {
      if (current) return;
      const started = await startLocalPostgres({ binDir, logger: quiet(logger), dir, preferredPort: port });
      current = started;
      if (started.port !== port)
        throw new Error(`Postgres came back on port ${started.port}, not ${port}: taken meanwhile`);
    },
    destroy: () =>
      (destroyed ??= (async () => {
        await pg.stop();
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
  return pg;
}

/** "data and log kept in ..." after every restart says nothing to whoever runs chaos. */
function quiet(logger: InfraLogger): InfraLogger {
  return { ...logger, info: (msg) => (/kept in/.test(msg) ? undefined : logger.info(msg)) };
}

export interface ClusterInfrastructure {
  kafkaBrokers: string[];
  databaseUrl: string;
  kafka: LocalKafkaCluster;
  postgres: RestartablePostgres;
  replicationFactor: number;
  minInsyncReplicas: number;
  /** Tears both down and removes their dirs. Idempotent. */
  stop(): Promise<void>;
}

export interface StartClusterInfrastructureOptions {
  logger?: InfraLogger;
  /** Kafka nodes; default 3. */
  size?: number;
  partitionsCap?: number;
  topics?: readonly TopicDefinition[];
}

/**
 * Local mode only: a multi-broker KRaft cluster (every topic replicated, see
 * clusterReplication) and a restartable PostgreSQL, for runs that kill and restart them (the
 * chaos tool). Every contract topic exists and the group coordinator has loaded when it returns.
 */
export async function startClusterInfrastructure(
  options: StartClusterInfrastructureOptions = {},
): Promise<ClusterInfrastructure> {
  const logger = options.logger ?? stderrLogger;
  const size = options.size ?? 3;
  const jars = await ensureKafkaJars(kafkaVersion(), logger);
  await ensureJavaAndMaven(logger, false);
  const [kafka, postgres] = await Promise.allSettled([
    startLocalKafkaCluster({ libDir: jars.libDir, logger, size }),
    startRestartablePostgres(logger),
  ]);
  const stop = async () => {
    if (kafka.status === 'fulfilled') await kafka.value.stop();
    if (postgres.status === 'fulfilled') await postgres.value.destroy();
  };
  if (kafka.status === 'rejected' || postgres.status === 'rejected') {
    await stop();
    throw kafka.status === 'rejected' ? kafka.reason : (postgres as PromiseRejectedResult).reason;
  }
  const replication = clusterReplication(size);
  try {
    await ensureTopics(kafka.value.brokers, options.topics, {
      partitionsCap: options.partitionsCap ?? partitionsCapFromEnv(),
      logger,
      replicationFactor: replication.replicationFactor,
    });
    await warmUpGroupCoordinator(kafka.value.brokers);
  } catch (err) {
    await stop();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    kafkaBrokers: kafka.value.brokers,
    databaseUrl: postgres.value.databaseUrl,
    kafka: kafka.value,
    postgres: postgres.value,
    ...replication,
    stop: () => (stopped ??= stop()),
  };
}
