import { z } from 'zod';
import { TopicName } from './topics';
import { MessageInputOf, MessageOf, TOPIC_SCHEMAS } from './registry';
import { decodeSnapshotBytes, encodeSnapshotBytes, isBinarySnapshot } from './snapshot-codec';

/** A message that does not match its topic's schema; `issues` name the exact path. */
export class ContractError extends Error {
  constructor(
    readonly topic: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`invalid ${topic} message: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'ContractError';
  }
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: ContractError };

function pathOf(path: PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** Validates a value against its topic's schema, applying defaults. */
export function validate<T extends TopicName>(topic: T, value: unknown): Decoded<MessageOf<T>> {
  const schema = TOPIC_SCHEMAS[topic].schema as unknown as z.ZodType<MessageOf<T>>;
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    error: new ContractError(
      topic,
      result.error.issues.map((i) => ({ path: pathOf(i.path), message: i.message })),
    ),
  };
}

/**
 * Parses raw Kafka bytes: JSON, or the binary snapshot encoding (encodeBinary), then the
 * topic's schema. Never throws. Binary blocks come back as number[], as JSON would give them.
 */
export function decode<T extends TopicName>(
  topic: T,
  bytes: Buffer | Uint8Array | string | null | undefined,
): Decoded<MessageOf<T>> {
  if (bytes === null || bytes === undefined) {
    return {
      ok: false,
      error: new ContractError(topic, [{ path: '(root)', message: 'empty message (tombstone or null value)' }]),
    };
  }
  let json: unknown;
  try {
    json = typeof bytes === 'string' ? JSON.parse(bytes) : decodeSnapshotBytes(bytes, { typedArrays: false }).value;
  } catch (e) {
    const what = typeof bytes !== 'string' && isBinarySnapshot(bytes) ? 'not a valid binary snapshot' : 'not JSON';
    return {
      ok: false,
      error: new ContractError(topic, [{ path: '(root)', message: `${what}: ${(e as Error).message}` }]),
    };
  }
  return validate(topic, json);
}

/**
 * Like encode, in the binary snapshot encoding (docs/decisions/0018): for messages made of
 * long numeric arrays (policy.updates), whose JSON text is megabytes to write and to parse.
 */
export function encodeBinary<T extends TopicName>(
  topic: T,
  value: MessageInputOf<T>,
): { key: string; value: Uint8Array; message: MessageOf<T> } {
  const result = validate(topic, value);
  if (!result.ok) throw result.error;
  const key = (TOPIC_SCHEMAS[topic].key as (m: MessageOf<T>) => string)(result.value);
  return { key, value: encodeSnapshotBytes(result.value), message: result.value };
}

/** Validates and serialises a message with its record key. Throws ContractError when invalid. */
export function encode<T extends TopicName>(
  topic: T,
  value: MessageInputOf<T>,
): { key: string; value: string; message: MessageOf<T> } {
  const result = validate(topic, value);
  if (!result.ok) throw result.error;
  return { ...encodeTyped(topic, result.value), message: result.value };
}

/**
 * Serialises a message that the caller's own typed code built as the topic's parsed type
 * (MessageOf: defaults applied) without validating it again, for a service's hot path
 * (docs/decisions/0029). The type guarantees the shape, not the value ranges: consumers still
 * validate every message they decode, so a bad value goes to the dead-letter topic there.
 * Anything made from outside input goes through encode.
 */
export function encodeTyped<T extends TopicName>(topic: T, message: MessageOf<T>): { key: string; value: string } {
  const key = (TOPIC_SCHEMAS[topic].key as (m: MessageOf<T>) => string)(message);
  return { key, value: JSON.stringify(message) };
}
