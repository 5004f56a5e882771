import { z } from 'zod';
import { TOPIC_SCHEMAS } from './registry';
import { DeadLetter } from './messages/dead-letter';

/** JSON Schema (draft 2020-12) of every topic's message, for non-TypeScript producers. */
export function topicJsonSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [topic, { schema }] of Object.entries(TOPIC_SCHEMAS)) {
    out[topic] = z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' });
  }
  out['<topic>.dlq'] = z.toJSONSchema(DeadLetter, { io: 'input' });
  return out;
}

/** The file docs/schemas keeps a topic's schema in (`<topic>.dlq` -> `topic.dlq.schema.json`). */
export function schemaFileName(topic: string): string {
  return `${topic.replace(/[<>]/g, '')}.schema.json`;
}
