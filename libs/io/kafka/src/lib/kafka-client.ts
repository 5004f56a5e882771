import { Consumer, ConsumerConfig, Kafka, KafkaConfig, logLevel, LogEntry } from 'kafkajs';

/** SCRAM-SHA-512: the only mechanism the brokers enable (docs/decisions/0021-kafka-sasl-and-acls.md). */
export interface KafkaSaslCredentials {
  mechanism: 'scram-sha-512';
  username: string;
  password: string;
}

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  /** The service's own principal; unset: an unauthenticated connection (development brokers). */
  sasl?: KafkaSaslCredentials;
  /** TLS to the brokers (SASL_SSL in production); the system's CAs verify them. */
  ssl?: boolean;
  /** How long a consumer's fetch waits at the broker for data (default DEFAULT_FETCH_MAX_WAIT_MS). */
  fetchMaxWaitMs?: number;
}

/**
 * A consumer's disconnect waits for its fetch in flight, and an idle consumer's fetch is a
 * long poll that the broker holds this long: with kafkajs' 5000 ms, each consumer of a
 * service added up to 5 s to its shutdown. Data still comes back at once (minBytes 1), so a
 * short wait only costs an idle consumer a few more fetch requests per second.
 */
export const DEFAULT_FETCH_MAX_WAIT_MS = 500;

/** The authentication part of a kafkajs configuration, shared by every client a service makes. */
export function kafkaSecurityOptions(conn: Pick<KafkaConnection, 'sasl' | 'ssl'>): Pick<KafkaConfig, 'sasl' | 'ssl'> {
  return {
    ...(conn.sasl ? { sasl: { ...conn.sasl } } : {}),
    ...(conn.ssl ? { ssl: true } : {}),
  };
}

type Log = {
  warn: (o: object, m: string) => void;
  error: (o: object, m: string) => void;
  debug?: (o: object, m: string) => void;
};

/**
 * The reason a service gives when it abandons a batch because it is stopping: kafkajs logs the
 * handler's rejection as "Error when calling eachBatch", and a stop is not an error (the batch
 * is left uncommitted on purpose, for redelivery).
 */
export const STOPPING_REASON = 'service stopping: batch left for redelivery';

/** Group rebalances, a coordinator still loading and a deliberate stop are routine: not errors. */
const ROUTINE = new RegExp(
  `rebalanc|coordinator is loading|coordinator is not available|not the correct coordinator|${STOPPING_REASON}`,
  'i',
);

/** kafkajs log lines go to the service's structured logger, routine retries at debug. */
export function kafkaLogCreator(log?: Log) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      if (!log) return;
      const routine =
        ROUTINE.test(`${message} ${String(rest['error'] ?? '')}`) || /partitioner|Limiting retries/.test(message);
      if (routine) log.debug?.({ kafka: rest }, message);
      else if (level <= logLevel.ERROR) log.error({ kafka: rest }, message);
      else log.warn({ kafka: rest }, message);
    };
}

/** A kafkajs client whose consumers fetch with the connection's short wait unless told otherwise. */
class ServiceKafka extends Kafka {
  constructor(
    config: KafkaConfig,
    private readonly fetchMaxWaitMs: number,
  ) {
    super(config);
  }

  override consumer(config: ConsumerConfig): Consumer {
    return super.consumer({ maxWaitTimeInMs: this.fetchMaxWaitMs, ...config });
  }
}

/**
 * A kafkajs client whose logs go to the service's structured logger instead of stdout, and
 * whose consumers stop within about `fetchMaxWaitMs` (see DEFAULT_FETCH_MAX_WAIT_MS).
 */
export function createKafka(conn: KafkaConnection, log?: Log): Kafka {
  return new ServiceKafka(
    {
      clientId: conn.clientId,
      brokers: conn.brokers,
      ...kafkaSecurityOptions(conn),
      retry: { retries: 8, initialRetryTime: 200 },
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(log),
    },
    fetchMaxWaitOf(conn),
  );
}

export function fetchMaxWaitOf(conn: Pick<KafkaConnection, 'fetchMaxWaitMs'>): number {
  return conn.fetchMaxWaitMs ?? DEFAULT_FETCH_MAX_WAIT_MS;
}
