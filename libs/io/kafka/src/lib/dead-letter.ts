import { KafkaMessage } from 'kafkajs';
import { ContractError, DeadLetter, dlqTopic } from '@llm-router/contracts';
import { MessageProducer } from './producer';

/** Why a message was dead-lettered, coarse enough to be a metric label. */
export type DeadLetterReason = 'schema' | 'database' | 'processing';

/** SQLSTATE of a PostgreSQL error, whether raw (pg) or wrapped by TypeORM (QueryFailedError.driverError). */
export function sqlState(error: unknown): string | undefined {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function deadLetterReason(error: unknown): DeadLetterReason {
  if (error instanceof ContractError) return 'schema';
  return sqlState(error) ? 'database' : 'processing';
}

export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Parks a message that cannot be processed on `<topic>.dlq`, bytes intact, with the reason. */
export async function sendToDeadLetter(
  producer: MessageProducer,
  consumer: string,
  topic: string,
  partition: number,
  message: Pick<KafkaMessage, 'key' | 'value' | 'offset'>,
  error: string,
): Promise<void> {
  const letter: DeadLetter = {
    topic,
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString('utf8') : null,
    valueBase64: message.value ? message.value.toString('base64') : '',
    error,
    consumer,
    ts: new Date().toISOString(),
  };
  await producer.sendRaw(dlqTopic(topic), letter.key, JSON.stringify(letter), {
    'x-error': error.slice(0, 1000),
    'x-original-topic': topic,
    'x-original-partition': String(partition),
    'x-original-offset': message.offset,
  });
}
