import { Kafka, logLevel, LogEntry } from 'kafkajs';

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
}

type Log = { warn: (o: object, m: string) => void; error: (o: object, m: string) => void; info?: (o: object, m: string) => void };

/** A kafkajs client whose logs go to the service's structured logger instead of stdout. */
export function createKafka(conn: KafkaConnection, log?: Log): Kafka {
  return new Kafka({
    clientId: conn.clientId,
    brokers: conn.brokers,
    retry: { retries: 8, initialRetryTime: 200 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        if (!log) return;
        if (level <= logLevel.ERROR) log.error({ kafka: rest }, message);
        else log.warn({ kafka: rest }, message);
      },
  });
}
