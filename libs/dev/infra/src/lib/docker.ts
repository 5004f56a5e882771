import { generateClusterId, kafkaTuning } from './kafka-config';
import type { InfraLogger } from './logger';

/** Whether testcontainers finds a container engine; bounded, since a hung socket must not stall tests. */
export async function dockerAvailable(timeoutMs = 10_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    // Loaded lazily: testcontainers pulls in dockerode and friends, which local mode never needs.
    const { getContainerRuntimeClient } = await import('testcontainers');
    const probe = getContainerRuntimeClient().then(() => true);
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    return await Promise.race([probe, timeout]);
  } catch {
    return false;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** The apache/kafka image reads KAFKA_FOO_BAR as foo.bar (no property here has '_' or '-'). */
export function kafkaImageEnv(tuning: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tuning).map(([key, value]) => [`KAFKA_${key.toUpperCase().replace(/\./g, '_')}`, String(value)]),
  );
}

export interface DockerInfra {
  kafkaBrokers: string[];
  databaseUrl: string;
  stop(): Promise<void>;
}

const START_SCRIPT = '/tmp/llm-router-start.sh';
const WAITING = 'llm-router: waiting for start script';

export async function startDockerInfra(version: string, logger: InfraLogger): Promise<DockerInfra> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');

  const startKafka = async () => {
    // The advertised listener must carry the host port Docker maps, known only once the container
    // runs: the container waits for a start script that is copied in with that port.
    const container = await new GenericContainer(`apache/kafka:${version}`)
      .withExposedPorts(9092)
      .withEnvironment({
        CLUSTER_ID: generateClusterId(),
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT',
        KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9094',
        KAFKA_HEAP_OPTS: '-Xms128m -Xmx512m',
        ...kafkaImageEnv(kafkaTuning),
      })
      .withEntrypoint(['sh'])
      .withCommand([
        '-c',
        `echo '${WAITING}'; while [ ! -f ${START_SCRIPT} ]; do sleep 0.1; done; exec sh ${START_SCRIPT}`,
      ])
      .withWaitStrategy(Wait.forLogMessage(WAITING))
      .start();
    const brokers = [`${container.getHost()}:${container.getMappedPort(9092)}`];
    await container.copyContentToContainer([
      {
        content: `export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://${brokers[0]},BROKER://localhost:9093\nexec /etc/kafka/docker/run\n`,
        target: START_SCRIPT,
        mode: 0o755,
      },
    ]);
    return { container, brokers };
  };
  const startPostgres = () =>
    new PostgreSqlContainer('postgres:16')
      .withCommand([
        'postgres',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
      ])
      .start();

  const [kafka, postgres] = await Promise.allSettled([startKafka(), startPostgres()]);
  if (kafka.status === 'rejected' || postgres.status === 'rejected') {
    if (kafka.status === 'fulfilled') await kafka.value.container.stop().catch(() => undefined);
    if (postgres.status === 'fulfilled') await postgres.value.stop().catch(() => undefined);
    throw kafka.status === 'rejected' ? kafka.reason : (postgres as PromiseRejectedResult).reason;
  }
  logger.debug?.(`containers: kafka ${kafka.value.container.getId()}, postgres ${postgres.value.getId()}`);
  return {
    kafkaBrokers: kafka.value.brokers,
    databaseUrl: postgres.value.getConnectionUri(),
    stop: async () => {
      await Promise.all([kafka.value.container.stop(), postgres.value.stop()]);
    },
  };
}
