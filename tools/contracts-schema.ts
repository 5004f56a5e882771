/** Writes the JSON Schema of every topic's message to docs/schemas/ (npm run contracts:schema). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { schemaFileName, topicJsonSchemas } from '@llm-router/contracts';

const opts = new Command('contracts:schema')
  .description('Write one JSON Schema file per Kafka topic message')
  .option('--out <dir>', 'output directory', 'docs/schemas')
  .parse()
  .opts<{ out: string }>();

mkdirSync(opts.out, { recursive: true });
for (const [topic, schema] of Object.entries(topicJsonSchemas())) {
  const file = join(opts.out, schemaFileName(topic));
  writeFileSync(file, JSON.stringify(schema, null, 2) + '\n');
  console.log(`wrote ${file}`);
}
