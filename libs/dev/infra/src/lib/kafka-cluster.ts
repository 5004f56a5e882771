import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownUntilStopped } from './cleanup';
import { generateClusterId, kafkaJvmArgs, kafkaServerProperties } from './kafka-config';
import { spawnKafkaServer, waitForKafka } from './kafka-local';
import type { InfraLogger } from './logger';
import { kafkaLog4jPath } from './paths';
import { freePorts } from './ports';
import { killQuietly, pidAlive, run, tailFile, waitForPidExit } from './proc';

/**
 * Replication a cluster of `size` nodes gets: every partition (internal topics included) on
 * min(3, size) brokers, and a write acknowledged by all only when min(2, size) of them have it,
 * so one broker can die without losing an acknowledged record or refusing writes.
 */
export function clusterReplication(size: number): { replicationFactor: number; minInsyncReplicas: number } {
  return { replicationFactor: Math.min(3, size), minInsyncReplicas: Math.min(2, size) };
}

/** server.properties of node `index` (0-based) of a combined-mode KRaft cluster on loopback ports. */
export function clusterNodeProperties(
  nodes: readonly { port: number; controllerPort: number }[],
  index: number,
  logDir: string,
  heapOverrides: Record<string, string | number | boolean> = {},
): string {
  const { replicationFactor, minInsyncReplicas } = clusterReplication(nodes.length);
  return kafkaServerProperties({
    port: nodes[index].port,
    controllerPort: nodes[index].controllerPort,
    logDir,
    overrides: {
      'node.id': index + 1,
      'controller.quorum.voters': nodes.map((n, i) => `${i + 1}@127.0.0.1:${n.controllerPort}`).join(','),
      'default.replication.factor': replicationFactor,
      'min.insync.replicas': minInsyncReplicas,
      'offsets.topic.replication.factor': replicationFactor,
      'transaction.state.log.replication.factor': replicationFactor,
      'transaction.state.log.min.isr': minInsyncReplicas,
      'share.coordinator.state.topic.replication.factor': replicationFactor,
      'share.coordinator.state.topic.min.isr': minInsyncReplicas,
      // A killed broker is fenced (its partitions get new leaders) after 4 s instead of 9 s.
      'broker.session.timeout.ms': 4000,
      'broker.heartbeat.interval.ms': 1000,
      // A restarted broker takes its partitions' leadership back soon, as in production.
      'leader.imbalance.check.interval.seconds': 10,
      ...heapOverrides,
    },
  });
}

export interface ClusterNode {
  /** KRaft node id (1-based). */
  nodeId: number;
  port: number;
  controllerPort: number;
  /** 0 while the node is down. */
  pid: number;
  logFile: string;
  running(): boolean;
  /** Starts the node (again) on the same ports and log dir; resolves when it serves clients. */
  start(): Promise<void>;
  /** Graceful: SIGTERM (controlled shutdown moves leadership away first), waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, no controlled shutdown. */
  kill(): Promise<void>;
}

export interface LocalKafkaCluster {
  brokers: string[];
  nodes: ClusterNode[];
  dir: string;
  /** Stops every node and removes the cluster's dir. Idempotent. */
  stop(): Promise<void>;
}

export interface LocalKafkaClusterOptions {
  libDir: string;
  logger: InfraLogger;
  /** Nodes, each a broker and a controller quorum voter; default 3. */
  size?: number;
  timeoutMs?: number;
  /** JVM flags after the defaults (a smaller heap for three JVMs on one machine); default -Xmx384m. */
  jvmExtra?: string[];
}

/**
 * A KRaft cluster of combined broker+controller nodes from the cached jars, on free loopback
 * ports, in one temp dir: one log dir per node, all formatted with one cluster id. Each node
 * can be stopped, killed and started again on the same ports and data, which is what a chaos
 * run needs; the whole cluster is torn down (and its dir removed) by stop() or when the owner
 * exits, as for the single local broker.
 */
export async function startLocalKafkaCluster(options: LocalKafkaClusterOptions): Promise<LocalKafkaCluster> {
  const { libDir, logger } = options;
  const size = options.size ?? 3;
  const timeoutMs = options.timeoutMs ?? Number(process.env['KAFKA_START_TIMEOUT_MS'] ?? 120_000);
  const dir = mkdtempSync(join(tmpdir(), 'llm-router-kafka-cluster-'));
  const ports = await freePorts(2 * size);
  const endpoints = Array.from({ length: size }, (_, i) => ({ port: ports[2 * i], controllerPort: ports[2 * i + 1] }));
  const log4j = kafkaLog4jPath();
  const jvm = {
    libDir,
    log4jConfig: existsSync(log4j) ? log4j : undefined,
    extra: [
      ...(options.jvmExtra ?? ['-Xmx384m']),
      ...(process.env['KAFKA_JVM_OPTS'] ?? '').split(/\s+/).filter(Boolean),
    ],
  };
  const clusterId = generateClusterId();
  const nodes: ClusterNode[] = [];
  const stopAll = async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await Promise.all(
      endpoints.map(async (_, i) => {
        const nodeDir = join(dir, `node-${i + 1}`);
        mkdirSync(nodeDir, { recursive: true });
        const propsFile = join(nodeDir, 'server.properties');
        writeFileSync(propsFile, clusterNodeProperties(endpoints, i, join(nodeDir, 'data')));
        await run('java', kafkaJvmArgs(jvm, 'kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', propsFile]));
        nodes[i] = clusterNode(i + 1, endpoints[i], nodeDir, propsFile, jvm, logger, timeoutMs);
      }),
    );
    // Every node must serve: a client that bootstraps from any one of them works.
    await Promise.all(nodes.map((n) => n.start()));
    const brokers = endpoints.map((e) => `127.0.0.1:${e.port}`);
    logger.debug?.(`Kafka cluster of ${size} on ${brokers.join(',')}, dir ${dir}`);
    let stopped: Promise<void> | undefined;
    return { brokers, nodes, dir, stop: () => (stopped ??= stopAll()) };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function clusterNode(
  nodeId: number,
  endpoint: { port: number; controllerPort: number },
  nodeDir: string,
  propsFile: string,
  jvm: Parameters<typeof kafkaJvmArgs>[0],
  logger: InfraLogger,
  timeoutMs: number,
): ClusterNode {
  const logFile = join(nodeDir, 'kafka.log');
  // The stop of the current process (ownership, watchdog); undefined while the node is down.
  let current: { pid: number; stop: () => Promise<void>; signal: NodeJS.Signals } | undefined;

  const node: ClusterNode = {
    nodeId,
    ...endpoint,
    pid: 0,
    logFile,
    running: () => current !== undefined && pidAlive(current.pid),
    async start() {
      if (node.running()) return;
      const pid = spawnKafkaServer(jvm, propsFile, logFile).pid;
      if (pid === undefined) throw new Error(`could not spawn java for Kafka node ${nodeId}`);
      const state: { pid: number; signal: NodeJS.Signals; stop: () => Promise<void> } = {
        pid,
        signal: 'SIGKILL',
        stop: async () => undefined,
      };
      state.stop = ownUntilStopped(
        // keepDirs: a node's data must survive its restarts; the cluster's stop removes the dir.
        {
          name: `kafka-${nodeId}`,
          pid,
          cmdlineMatch: propsFile,
          stopSignal: 'SIGKILL',
          dirs: [nodeDir],
          keepDirs: true,
        },
        async () => {
          killQuietly(pid, state.signal);
          if (!(await waitForPidExit(pid, state.signal === 'SIGTERM' ? 30_000 : 5_000))) killQuietly(pid, 'SIGKILL');
        },
        { logger: { ...logger, info: () => undefined }, what: `Kafka node ${nodeId}` },
      );
      current = state;
      node.pid = pid;
      await waitForKafka(
        [`127.0.0.1:${endpoint.port}`],
        timeoutMs,
        () => {
          if (!node.running())
            throw new Error(`Kafka node ${nodeId} exited before it was ready. ${logFile}:\n${tailFile(logFile)}`);
        },
        () => tailFile(logFile),
      );
    },
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
  };

  async function halt(signal: NodeJS.Signals): Promise<void> {
    const state = current;
    if (!state) return;
    state.signal = signal;
    await state.stop();
    current = undefined;
    node.pid = 0;
  }
  return node;
}
