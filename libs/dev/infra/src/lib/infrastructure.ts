import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirLayout, lockDataDir, prepareDataDir, readRememberedPorts, writeRememberedPorts } from './data-dir';
import { startDockerInfra } from './docker';
import { dockerAvailable } from './docker';
import {
  ensureJavaAndMaven,
  ensureKafkaJars,
  startLocalKafka,
  type LocalKafka,
  type LocalKafkaOptions,
} from './kafka-local';
import {
  applyKafkaAcls,
  KAFKA_ADMIN_USER,
  kafkaSecurityFromEnv,
  saslOptions,
  type KafkaSaslSetup,
  type KafkaSecurity,
} from './kafka-security';
import { stderrLogger, type InfraLogger } from './logger';
import { infraFromEnv, selectMode, type InfraMode } from './mode';
import { kafkaVersion } from './paths';
import {
  ensurePostgresBinaries,
  startLocalPostgres,
  type LocalPostgres,
  type LocalPostgresOptions,
} from './postgres-local';
import { isRoot, run } from './proc';
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
  /**
   * Local mode: keep Kafka's log dir and the PostgreSQL cluster in this folder instead of temp
   * dirs, reuse them (and the last ports, when free) on the next start with the same folder, and
   * stop gracefully without deleting anything. One process at a time per folder. `npm start`
   * uses it; tests and the demo leave it unset and get throwaway state. Ignored in env mode (the
   * state is wherever those servers keep it); Docker mode warns that its containers start empty.
   */
  dataDir?: string;
  /**
   * `sasl`: the broker takes SCRAM-SHA-512 clients only and enforces the ACLs of kafka-security.ts
   * (one principal per service); the credentials are in Infrastructure.kafkaSasl. Local mode only.
   * Default env KAFKA_SECURITY, else `plaintext` (docs/decisions/0021-kafka-sasl-and-acls.md).
   */
  security?: KafkaSecurity;
}

export interface LocalDetails {
  kafkaPort: number;
  kafkaControllerPort: number;
  postgresPort: number;
  kafkaPid: number;
  postgresPid: number;
  /** Removed by stop() unless keep or dataDir. */
  tempDirs: string[];
  /** Set when started with dataDir. */
  dataDir?: string;
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
  /** Security `sasl`: the super user's and each service principal's credentials. */
  kafkaSasl?: KafkaSaslSetup;
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
  const security = options.security ?? kafkaSecurityFromEnv();
  const { mode, reason } = await selectMode(process.env, () => dockerAvailable(), options.mode);
  logger.info(`infrastructure mode: ${mode} (${reason})${security === 'sasl' ? ', Kafka with SASL and ACLs' : ''}`);
  if (security === 'sasl' && mode !== 'local')
    throw new Error(
      `Kafka security sasl is set up by the local mode only (INFRA_MODE=local), not ${mode}; docker-compose.yml runs it with Docker`,
    );

  let infra: Omit<Infrastructure, 'startupMs'>;
  if (mode === 'env') {
    const env = infraFromEnv();
    if (!env) throw new Error('mode env needs both KAFKA_BROKERS and DATABASE_URL');
    infra = { mode, ...env, downloaded: false, stop: async () => undefined };
  } else if (mode === 'docker') {
    if (options.dataDir) logger.warn(`Docker mode keeps no state in ${options.dataDir}: the containers start empty`);
    const docker = await startDockerInfra(kafkaVersion(), logger);
    infra = { mode, ...docker, downloaded: false };
  } else {
    infra = options.dataDir
      ? await startLocalPersistent(logger, options.dataDir, security)
      : await startLocal(logger, keep, { kafka: { security } });
  }

  const admin = infra.kafkaSasl && saslOptions(infra.kafkaSasl, KAFKA_ADMIN_USER);
  try {
    await ensureTopics(infra.kafkaBrokers, options.topics, {
      partitionsCap,
      logger,
      sasl: admin,
    });
    if (admin) await applyKafkaAcls(infra.kafkaBrokers, admin);
    await warmUpGroupCoordinator(infra.kafkaBrokers, undefined, admin);
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

interface LocalPlacement {
  kafka?: Pick<LocalKafkaOptions, 'dir' | 'preferredPorts' | 'security'>;
  postgres?: Pick<LocalPostgresOptions, 'dir' | 'preferredPort'>;
}

/** startLocal in the folders of a data dir, on the ports it remembers, holding its lock. */
async function startLocalPersistent(
  logger: InfraLogger,
  dataDir: string,
  security: KafkaSecurity,
): Promise<Omit<Infrastructure, 'startupMs'>> {
  const layout = prepareDataDir(dataDir);
  const unlock = lockDataDir(dataDir);
  try {
    const remembered = readRememberedPorts(layout.portsFile);
    const infra = await startLocal(logger, true, {
      kafka: {
        dir: layout.kafkaDir,
        preferredPorts: remembered && { port: remembered.kafkaPort, controllerPort: remembered.kafkaControllerPort },
        security,
      },
      postgres: { dir: await postgresDirReachable(layout, logger), preferredPort: remembered?.postgresPort },
    });
    const local = infra.local!;
    writeRememberedPorts(layout.portsFile, {
      kafkaPort: local.kafkaPort,
      kafkaControllerPort: local.kafkaControllerPort,
      postgresPort: local.postgresPort,
    });
    let stopped: Promise<void> | undefined;
    return {
      ...infra,
      local: { ...local, tempDirs: [], dataDir },
      stop: () => (stopped ??= infra.stop().finally(unlock)),
    };
  } catch (err) {
    unlock();
    throw err;
  }
}

/**
 * The cluster's folder in the data dir, unless we are root and the postgres user (the server
 * refuses to run as root) cannot reach it, as under /root (mode 0700): then a folder under
 * /var/lib/llm-router, named after the data dir and linked from it, so that it is found again
 * and `--fresh` deletes it too.
 */
async function postgresDirReachable(layout: ReturnType<typeof dataDirLayout>, logger: InfraLogger): Promise<string> {
  const linked = existsSync(layout.postgresDir) && lstatSync(layout.postgresDir).isSymbolicLink();
  if (linked) return realpathSync(layout.postgresDir);
  if (!isRoot() || existsSync(layout.postgresDir)) return layout.postgresDir;
  const reachable = await run('runuser', ['-u', 'postgres', '--', 'test', '-x', layout.root], { allowFailure: true });
  if (reachable.code === 0) return layout.postgresDir;
  const target = join(
    '/var/lib/llm-router',
    `postgres-${createHash('sha256').update(layout.root).digest('hex').slice(0, 12)}`,
  );
  mkdirSync(target, { recursive: true });
  symlinkSync(target, layout.postgresDir);
  logger.info(`the postgres user cannot reach ${layout.root}: the cluster lives in ${target} (linked from it)`);
  return target;
}

async function startLocal(
  logger: InfraLogger,
  keep: boolean,
  placement: LocalPlacement = {},
): Promise<Omit<Infrastructure, 'startupMs'>> {
  const version = kafkaVersion();
  // Installs go one after the other (apt holds one lock anyway); the two servers then start
  // side by side, which hides Postgres's start behind the JVM's.
  const jars = await ensureKafkaJars(version, logger);
  await ensureJavaAndMaven(logger, false);
  const binDir = await ensurePostgresBinaries(logger);
  const [kafka, postgres] = await Promise.allSettled([
    startLocalKafka({ libDir: jars.libDir, logger, keep, ...placement.kafka }),
    startLocalPostgres({ binDir, logger, keep, ...placement.postgres }),
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
    kafkaSasl: k.sasl,
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
