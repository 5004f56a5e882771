import { KafkaMessage } from 'kafkajs';
import { decode, MessageOf, TopicName } from '@llm-router/contracts';
import { MessageProducer } from './producer';
import { DeadLetterReason, deadLetterReason, errorMessage, sendToDeadLetter, sqlState } from './dead-letter';

/** How often a failing message is tried again before it is dead-lettered. */
export interface RetryPolicy {
  /** Tries after the first one. */
  retries: number;
  /** Wait before the first retry; doubled before each next one. */
  backoffMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 3, backoffMs: 200 };

type Log = { warn: (o: object, m: string) => void; error: (o: object, m: string) => void };

export interface PoisonGuardOptions {
  retry?: RetryPolicy;
  /** Called once per dead-lettered message (the services count them per topic and reason). */
  onDeadLetter?: (topic: string, reason: DeadLetterReason) => void;
  log?: Log;
}

/**
 * SQLSTATE classes that say the database, not the message, is the problem: connection (08),
 * serialization/deadlock (40), resources (53), operator intervention such as a restart (57),
 * system errors (58).
 */
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '40', '53', '57', '58']);
const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

/**
 * An error that another try can cure without the message changing: a database that is down or
 * restarting, a lost connection, or one marked `transient` by the code that threw it (a stale
 * writer that reloads its state). Such a message is never dead-lettered: its consumer waits.
 */
export function isTransient(error: unknown): boolean {
  const e = error as { transient?: unknown; code?: unknown } | null;
  if (e?.transient === true) return true;
  const state = sqlState(error);
  if (state) return TRANSIENT_SQLSTATE_CLASSES.has(state.slice(0, 2));
  if (typeof e?.code === 'string' && TRANSIENT_NODE_CODES.has(e.code)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect/i.test(errorMessage(error));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What keeps one message from stopping a partition: a message is decoded against its topic's
 * schema (invalid: dead-lettered at once), processed with a bounded retry, and when it still
 * fails for a reason of its own it goes to `<topic>.dlq` with the error and its source
 * partition and offset; the consumer moves on. Transient failures are rethrown instead, so the
 * consumer retries them without losing the message.
 */
export class PoisonGuard {
  readonly retry: RetryPolicy;

  constructor(
    private readonly producer: MessageProducer,
    /** Recorded in each dead letter: which consumer refused the message. */
    readonly consumer: string,
    private readonly opts: PoisonGuardOptions = {},
  ) {
    this.retry = opts.retry ?? DEFAULT_RETRY_POLICY;
  }

  /** The decoded message, or null after dead-lettering it when it does not match its schema. */
  async decode<T extends TopicName>(topic: T, partition: number, message: KafkaMessage): Promise<MessageOf<T> | null> {
    const r = decode(topic, message.value);
    if (r.ok) return r.value;
    await this.deadLetter(topic, partition, message, r.error);
    return null;
  }

  /**
   * Runs `attempt` until it succeeds, the retries are spent or `retryIf` says another try cannot
   * help; throws the last error.
   */
  async retrying<R>(
    attempt: () => Promise<R>,
    opts: { onRetry?: () => Promise<void>; retryIf?: (error: unknown) => boolean } = {},
  ): Promise<R> {
    for (let i = 0; ; i++) {
      try {
        return await attempt();
      } catch (e) {
        if (i >= this.retry.retries || (opts.retryIf && !opts.retryIf(e))) throw e;
        this.opts.log?.warn({ err: errorMessage(e), attempt: i + 1 }, 'message failed, retrying');
        await sleep(this.retry.backoffMs * 2 ** i);
        await opts.onRetry?.();
      }
    }
  }

  /** Decodes and handles one record: a bad one ends on the dead-letter topic, a transient failure is rethrown. */
  async process<T extends TopicName>(
    topic: T,
    partition: number,
    message: KafkaMessage,
    handler: (value: MessageOf<T>) => Promise<unknown>,
  ): Promise<void> {
    const value = await this.decode(topic, partition, message);
    if (value === null) return;
    try {
      await this.retrying(() => handler(value));
    } catch (e) {
      if (isTransient(e)) throw e;
      await this.deadLetter(topic, partition, message, e);
    }
  }

  async deadLetter(topic: string, partition: number, message: KafkaMessage, error: unknown): Promise<void> {
    const reason = deadLetterReason(error);
    this.opts.log?.warn(
      { topic, partition, offset: message.offset, reason, err: errorMessage(error) },
      'message sent to dead-letter topic',
    );
    await sendToDeadLetter(this.producer, this.consumer, topic, partition, message, errorMessage(error));
    this.opts.onDeadLetter?.(topic, reason);
  }
}
