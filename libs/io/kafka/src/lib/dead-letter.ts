import { IHeaders, KafkaMessage } from 'kafkajs';
import { ContractError, DeadLetter, deadLetterMaxBytes, dlqTopic } from '@llm-router/contracts';

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

/** Where a dead letter is written: one record per request (MessageProducer.sendAlone). */
export interface DeadLetterSink {
  sendAlone(topic: string, key: string | null, value: string, headers: IHeaders): Promise<void>;
}

/** Characters of the error a letter keeps: a schema error lists every issue, and a record can hold many. */
export const MAX_DEAD_LETTER_ERROR_CHARS = 4000;

/** Characters of the original key a letter without its bytes keeps (the key may be what made the record large). */
const MAX_OMITTED_KEY_CHARS = 1000;

/**
 * Parks a message that cannot be processed on `<topic>.dlq`, bytes intact, with the reason. A
 * letter larger than the dead-letter topic takes (`deadLetterMaxBytes`; or refused by the broker
 * for its size, on a topic created before that limit) would fail again at every try and stop the
 * partition: it is parked without the bytes instead, saying how many there were and where the
 * record stays (its source topic, until the retention ends).
 */
export async function sendToDeadLetter(
  sink: DeadLetterSink,
  consumer: string,
  topic: string,
  partition: number,
  message: Pick<KafkaMessage, 'key' | 'value' | 'offset'>,
  error: string,
): Promise<void> {
  const dlq = dlqTopic(topic);
  const reason =
    error.length > MAX_DEAD_LETTER_ERROR_CHARS ? `${error.slice(0, MAX_DEAD_LETTER_ERROR_CHARS)}...` : error;
  const letter: DeadLetter = {
    topic,
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString('utf8') : null,
    valueBase64: message.value ? message.value.toString('base64') : '',
    error: reason,
    consumer,
    ts: new Date().toISOString(),
  };
  const headers = {
    'x-error': reason.slice(0, 1000),
    'x-original-topic': topic,
    'x-original-partition': String(partition),
    'x-original-offset': message.offset,
  };
  const full = JSON.stringify(letter);
  const limit = deadLetterMaxBytes(topic);
  if (recordBytes(letter.key, full, headers) <= limit) {
    try {
      return await sink.sendAlone(dlq, letter.key, full, headers);
    } catch (e) {
      if (!isRecordTooLarge(e)) throw e;
    }
  }
  const size = message.value?.length ?? 0;
  const key =
    letter.key !== null && letter.key.length > MAX_OMITTED_KEY_CHARS
      ? letter.key.slice(0, MAX_OMITTED_KEY_CHARS)
      : letter.key;
  const omitted: DeadLetter = {
    ...letter,
    key,
    valueBase64: '',
    valueBytes: size,
    valueOmitted:
      `${size} bytes are too large for ${dlq}: the record stays at offset ${message.offset} of partition ` +
      `${partition} of ${topic} until its retention ends` +
      (key === letter.key ? '' : `; its key (${letter.key!.length} characters) is cut to ${MAX_OMITTED_KEY_CHARS}`),
  };
  await sink.sendAlone(dlq, key, JSON.stringify(omitted), headers);
}

/** Bytes of a record's key, value and headers, as the broker counts them give or take its framing. */
function recordBytes(key: string | null, value: string, headers: Record<string, string>): number {
  let n = Buffer.byteLength(value) + (key === null ? 0 : Buffer.byteLength(key)) + RECORD_FRAMING_BYTES;
  for (const [k, v] of Object.entries(headers)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/** A record batch's own bytes around one record, with margin. */
const RECORD_FRAMING_BYTES = 1024;

/** The broker refused the record for its size (MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE), as kafkajs reports it. */
export function isRecordTooLarge(error: unknown): boolean {
  const e = error as { type?: unknown; cause?: unknown; originalError?: unknown } | null;
  if (e?.type === 'MESSAGE_TOO_LARGE' || e?.type === 'RECORD_LIST_TOO_LARGE') return true;
  if (/larger than the max message size|request included message batches larger/i.test(errorMessage(error)))
    return true;
  return e?.cause !== undefined
    ? isRecordTooLarge(e.cause)
    : e?.originalError !== undefined && isRecordTooLarge(e.originalError);
}
