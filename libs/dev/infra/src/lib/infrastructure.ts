import { startDockerInfra } from './docker';
import { dockerAvailable } from './docker';
import { ensureJavaAndMaven, ensureKafkaJars, startLocalKafka, type LocalKafka } from './kafka-local';
import { stderrLogger, type InfraLogger } from './logger';
import { infraFromEnv, selectMode, type InfraMode } from './mode';
import { kafkaVersion } from './paths';
import { ensurePostgresBinaries, startLocalPostgres, type LocalPostgres } from './postgres-local';
import { ensureTopics, partitionsCapFromEnv, warmUpGroupCoordinator, type TopicDefinition } from './topics';

export interface StartInfrastructureOptions {
  logger?: InfraLogger;
  /** Upper bound on partitions per topic; default env KAFKA_PARTITIONS_CAP, else the contract's counts. */
  partitionsCap?: number;
  /**
   * Keep the local temp dirs (data and logs) after stop, and stop gracefully, for post-mortems.
   * Default env INFRA_KEEP=1.
   */
  keep?: boolean;
  /** Skip the search (also env INFRA_MODE). */
  mode?: InfraMode;
  /** Topics to create; default every topic of libs/core/contracts. */
  topics?: readonly TopicDefinition[];
}

export interface LocalDetails {
  kafkaPort: number;
  kafkaControllerPort: number;
  postgresPort: number;
  kafkaPid: number;
  postgresPid: number;
  /** Removed by stop() unless keep. */
  tempDirs: string[];
  kafkaLog: string;
  postgresLog: string;
}

export interface Infrastructure {
  mode: InfraMode;
  kafkaBrokers: string[];
  databaseUrl: string;
  /** True when this start had to run Maven for the Kafka jars (local mode only). */
  downloaded: boolean;
  /** Wall time of startInfrastructure, topics included. */
  startupMs: number;
  /** Local mode only: what stop() tears down. */
  local?: LocalDetails;
  /** Idempotent. Nothing to stop in env mode. */
  stop(): Promise<void>;
}

/**
 * Kafka and PostgreSQL for tests and the demo: KAFKA_BROKERS+DATABASE_URL if both are set, else
 * testcontainers if a Docker engine answers, else local processes (Kafka from Maven jars,
 * PostgreSQL from the Debian package). Every contract topic exists when it returns.
 */
export async function startInfrastructure(options: StartInfrastructureOptions = {}): Promise<Infrastructure> {
  const logger = options.logger ?? stderrLogger;
  const keep = options.keep ?? process.env['INFRA_KEEP'] === '1';
  const partitionsCap = options.partitionsCap ?? partitionsCapFromEnv();
  const started = Date.now();
  const { mode, reason } = await selectMode(process.env, () => dockerAvailable(), options.mode);
  logger.info(`infrastructure mode: ${mode} (${reason})`);

  let infra: Omit<Infrastructure, 'startupMs'>;
  if (mode === 'env') {
    const env = infraFromEnv();
    if (!env) throw new Error('mode env needs both KAFKA_BROKERS and DATABASE_URL');
    infra = { mode, ...env, downloaded: false, stop: async () => undefined };
  } else if (mode === 'docker') {
    const docker = await startDockerInfra(kafkaVersion(), logger);
    infra = { mode, ...docker, downloaded: false };
  } else {
    infra = await startLocal(logger, keep);
  }

  try {
    await ensureTopics(infra.kafkaBrokers, options.topics, {
      partitionsCap,
      logger,
    });
    await warmUpGroupCoordinator(infra.kafkaBrokers);
  } catch (err) {
    await infra.stop().catch(() => undefined);
    throw err;
  }
  const startupMs = Date.now() - started;
  logger.info(
    `ready in ${(startupMs / 1000).toFixed(1)} s: KAFKA_BROKERS=${infra.kafkaBrokers.join(',')} DATABASE_URL=${infra.databaseUrl}`,
  );
  return { ...infra, startupMs };
}

async function startLocal(logger: InfraLogger, keep: boolean): Promise<Omit<Infrastructure, 'startupMs'>> {
  const version = kafkaVersion();
  // Installs go one after the other (apt holds one lock anyway); the two servers then start
  // side by side, which hides Postgres's start behind the JVM's.
  const jars = await ensureKafkaJars(version, logger);
  await ensureJavaAndMaven(logger, false);
  const binDir = await ensurePostgresBinaries(logger);
  const [kafka, postgres] = await Promise.allSettled([
    startLocalKafka({ libDir: jars.libDir, logger, keep }),
    startLocalPostgres({ binDir, logger, keep }),
  ]);
  if (kafka.status === 'rejected' || postgres.status === 'rejected') {
    if (kafka.status === 'fulfilled') await kafka.value.stop();
    if (postgres.status === 'fulfilled') await postgres.value.stop();
    throw kafka.status === 'rejected' ? kafka.reason : (postgres as PromiseRejectedResult).reason;
  }
  const k: LocalKafka = kafka.value;
  const pg: LocalPostgres = postgres.value;
  let stopped: Promise<void> | undefined;
  return {
    mode: 'local',
    kafkaBrokers: k.brokers,
    databaseUrl: pg.databaseUrl,
    downloaded: jars.downloaded,
    local: {
      kafkaPort: k.port,
      kafkaControllerPort: k.controllerPort,
      postgresPort: pg.port,
      kafkaPid: k.pid,
      postgresPid: pg.pid,
      tempDirs: [k.dir, pg.dir],
      kafkaLog: k.logFile,
      postgresLog: pg.logFile,
    },
    stop: () => (stopped ??= Promise.all([k.stop(), pg.stop()]).then(() => undefined)),
  };
}
