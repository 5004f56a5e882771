import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { aptInstall } from './apt';
import { ownUntilStopped, type OwnedProcess } from './cleanup';
import {
  generateClusterId,
  JAR_STAMP_FILE,
  jarStamp,
  kafkaJvmArgs,
  type KafkaJvmConfig,
  kafkaServerProperties,
} from './kafka-config';
import {
  KAFKA_ADMIN_USER,
  saslOptions,
  saslSetupIn,
  scramFormatArgs,
  type KafkaSaslSetup,
  type KafkaSecurity,
} from './kafka-security';
import type { InfraLogger } from './logger';
import { kafkaLibDir, kafkaLog4jPath, kafkaPomPath } from './paths';
import { choosePorts } from './data-dir';
import { freePorts, isPortFree } from './ports';
import { killQuietly, onPath, pidAlive, run, sleep, tailFile, waitForPidExit } from './proc';

export interface KafkaJars {
  libDir: string;
  /** True when this call ran Maven; false when the cache was complete. */
  downloaded: boolean;
}

function stampOk(libDir: string, stamp: string): boolean {
  try {
    return readFileSync(join(libDir, JAR_STAMP_FILE), 'utf8').trim() === stamp;
  } catch {
    return false;
  }
}

/** Whether the jar cache for this version is complete (ensureKafkaJars will not run Maven). */
export function kafkaJarsCached(version: string): boolean {
  return stampOk(kafkaLibDir(version), jarStamp(readFileSync(kafkaPomPath())));
}

export async function ensureJavaAndMaven(logger: InfraLogger, needMaven: boolean): Promise<void> {
  const missing = [
    ...(onPath('java') ? [] : ['openjdk-17-jre-headless']),
    ...(needMaven && !onPath('mvn') ? ['maven'] : []),
  ];
  if (missing.length > 0) await aptInstall(missing, logger, 'Java/Maven not found for the local Kafka broker');
}

/**
 * Kafka's jars in a per-machine cache, resolved by Maven from infra/kafka/pom.xml once. The cache
 * counts as complete only with the stamp of the pom it came from; a download goes to a private
 * temp dir that is renamed into place, so concurrent starts never see half a classpath.
 */
export async function ensureKafkaJars(version: string, logger: InfraLogger): Promise<KafkaJars> {
  const libDir = kafkaLibDir(version);
  const pom = kafkaPomPath();
  const stamp = jarStamp(readFileSync(pom));
  if (stampOk(libDir, stamp)) return { libDir, downloaded: false };

  await ensureJavaAndMaven(logger, true);
  logger.info(`downloading Kafka ${version} jars with Maven into ${libDir} (once per machine)`);
  mkdirSync(dirname(libDir), { recursive: true });
  const staging = mkdtempSync(`${libDir}.tmp-`);
  try {
    await run('mvn', [
      '-B',
      '-q',
      '-Dstyle.color=never',
      '-f',
      pom,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${staging}`,
      `-Dkafka.version=${version}`,
    ]);
    if (!existsSync(join(staging, `kafka_2.13-${version}.jar`))) {
      throw new Error(`Maven finished but kafka_2.13-${version}.jar is not in ${staging}`);
    }
    writeFileSync(join(staging, JAR_STAMP_FILE), `${stamp}\n`);
    if (stampOk(libDir, stamp)) return { libDir, downloaded: true }; // a concurrent start won
    if (existsSync(libDir)) {
      const old = `${libDir}.old-${process.pid}`;
      try {
        renameSync(libDir, old);
      } catch (err) {
        if (stampOk(libDir, stamp)) return { libDir, downloaded: true }; // replaced meanwhile
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      rmSync(old, { recursive: true, force: true });
    }
    try {
      renameSync(staging, libDir);
    } catch (err) {
      if (!stampOk(libDir, stamp)) throw err;
    }
    return { libDir, downloaded: true };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export interface LocalKafka {
  brokers: string[];
  port: number;
  controllerPort: number;
  dir: string;
  pid: number;
  logFile: string;
  /** SASL mode: the credentials of its super user and of each service's principal. */
  sasl?: KafkaSaslSetup;
  stop(): Promise<void>;
}

export interface LocalKafkaOptions {
  libDir: string;
  logger: InfraLogger;
  keep?: boolean;
  timeoutMs?: number;
  /**
   * Persistent mode: the broker's data and log live here and are reused by the next start with
   * the same dir (same cluster id, no format); stop is graceful and keeps them.
   */
  dir?: string;
  /** Used when both are free (the last start's ports, for a persistent dir); else free ones. */
  preferredPorts?: { port: number; controllerPort: number };
  /** SCRAM-SHA-512 listener and StandardAuthorizer (kafka-security.ts); default PLAINTEXT. */
  security?: KafkaSecurity;
}

class PortTakenError extends Error {}

function jvmExtra(): string[] {
  return (process.env['KAFKA_JVM_OPTS'] ?? '').split(/\s+/).filter(Boolean);
}

/**
 * A KRaft broker+controller from the cached jars, on free loopback ports, in a temp dir (or in
 * options.dir, kept and reused).
 */
export async function startLocalKafka(options: LocalKafkaOptions): Promise<LocalKafka> {
  for (let attempt = 1; ; attempt++) {
    try {
      // The preferred ports were free a moment ago; after losing a race for them, take any.
      return await startOnce(attempt === 1 ? options : { ...options, preferredPorts: undefined });
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 3) throw err;
      options.logger.warn(`Kafka port was taken before the broker bound it; retrying (${err.message})`);
    }
  }
}

async function startOnce(options: LocalKafkaOptions): Promise<LocalKafka> {
  const { libDir, logger } = options;
  const persistent = options.dir !== undefined;
  const keep = persistent || (options.keep ?? false);
  const timeoutMs = options.timeoutMs ?? Number(process.env['KAFKA_START_TIMEOUT_MS'] ?? 90_000);
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'llm-router-kafka-'));
  mkdirSync(dir, { recursive: true });
  const removeTempDir = () => {
    if (!persistent) rmSync(dir, { recursive: true, force: true });
  };
  const { port, controllerPort } = await choosePorts(options.preferredPorts, isPortFree, async () => {
    const [p, c] = await freePorts(2);
    return { port: p, controllerPort: c };
  });
  const propsFile = join(dir, 'server.properties');
  const logFile = join(dir, 'kafka.log');
  const logDir = join(dir, 'data');
  const formatted = existsSync(join(logDir, 'meta.properties'));
  const sasl = options.security === 'sasl' ? saslSetupIn(dir, formatted) : undefined;
  const adminSasl = sasl && { adminUsername: sasl.admin.username, adminPassword: sasl.admin.password };
  // Rewritten on every start: the ports may differ from the last one, the log dir does not.
  writeFileSync(propsFile, kafkaServerProperties({ port, controllerPort, logDir, sasl: adminSasl }), { mode: 0o600 });
  const log4j = kafkaLog4jPath();
  const jvm = {
    libDir,
    log4jConfig: existsSync(log4j) ? log4j : undefined,
    extra: jvmExtra(),
  };

  // A formatted log dir (meta.properties) keeps its cluster id: formatting again would refuse.
  if (!formatted) {
    try {
      await run(
        'java',
        kafkaJvmArgs(jvm, 'kafka.tools.StorageTool', [
          'format',
          '-t',
          generateClusterId(),
          '-c',
          propsFile,
          ...(sasl ? scramFormatArgs(sasl) : []),
        ]),
      );
    } catch (err) {
      removeTempDir();
      throw err;
    }
  }

  const child = spawnKafkaServer(jvm, propsFile, logFile);
  const pid = child.pid;
  if (pid === undefined) {
    removeTempDir();
    throw new Error('could not spawn java for the Kafka broker');
  }
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ?? `exit code ${code}`));
  child.once('error', (err) => (exited = err.message));

  const owned: OwnedProcess = {
    name: 'kafka',
    pid,
    cmdlineMatch: propsFile,
    stopSignal: keep ? 'SIGTERM' : 'SIGKILL',
    dirs: [dir],
    keepDirs: keep,
  };
  const stop = ownUntilStopped(
    owned,
    async () => {
      // Data is thrown away, so there is nothing to shut down cleanly for, unless kept.
      if (exited === undefined) killQuietly(pid, owned.stopSignal);
      if (!(await waitForPidExit(pid, keep ? 15_000 : 5_000))) killQuietly(pid, 'SIGKILL');
    },
    { logger, what: 'Kafka' },
  );

  const brokers = [`127.0.0.1:${port}`];
  try {
    await waitForKafka(
      brokers,
      timeoutMs,
      () => {
        if (exited === undefined && pidAlive(pid)) return;
        const tail = tailFile(logFile);
        if (/BindException|Address already in use/.test(tail))
          throw new PortTakenError(`port ${port} or ${controllerPort}`);
        throw new Error(`Kafka broker exited (${exited ?? 'gone'}) before it was ready. ${logFile}:\n${tail}`);
      },
      () => tailFile(logFile),
      sasl && saslOptions(sasl, KAFKA_ADMIN_USER),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  logger.debug?.(`Kafka broker pid ${pid} on ${brokers[0]}, dir ${dir}`);
  return { brokers, port, controllerPort, dir, pid, logFile, sasl, stop };
}

/**
 * Starts a Kafka server on `propsFile`, its output appended to `logFile`. Detached: its own process
 * group, so a Ctrl-C in the terminal reaches only the caller, which then tears the broker down in
 * order (and the group can be killed as a whole). Unreferenced: the caller owns its stop.
 */
export function spawnKafkaServer(jvm: KafkaJvmConfig, propsFile: string, logFile: string): ChildProcess {
  const out = openSync(logFile, 'a');
  try {
    const child = spawn('java', kafkaJvmArgs(jvm, 'kafka.Kafka', [propsFile]), {
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.unref();
    return child;
  } finally {
    closeSync(out);
  }
}

/**
 * Ready means an admin client can list topics: that needs the controller quorum, the broker
 * registered with it and the listener open, which a log line alone does not promise.
 */
export async function waitForKafka(
  brokers: string[],
  timeoutMs: number,
  checkAlive: () => void = () => undefined,
  logTail: () => string = () => '',
  sasl?: SASLOptions,
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'llm-router-infra-readiness',
    brokers,
    sasl,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no attempt';
  for (;;) {
    checkAlive();
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
      return;
    } catch (err) {
      lastError = (err as Error).message;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (Date.now() > deadline) {
      const tail = logTail();
      throw new Error(
        `Kafka at ${brokers.join(',')} not ready after ${Math.round(timeoutMs / 1000)} s (last error: ${lastError})` +
          (tail ? `. Log tail:\n${tail}` : ''),
      );
    }
    await sleep(250);
  }
}
