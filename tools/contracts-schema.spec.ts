import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { schemaFileName, topicJsonSchemas } from '@llm-router/contracts';

const DIR = resolve(__dirname, '../docs/schemas');

/** docs/schemas is what non-TypeScript producers read: it must say what the code accepts. */
describe('docs/schemas', () => {
  const schemas = topicJsonSchemas();

  it.each(Object.keys(schemas))('holds the current schema of %s (npm run contracts:schema)', (topic) => {
    const onDisk = JSON.parse(readFileSync(join(DIR, schemaFileName(topic)), 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(schemas[topic])));
  });

  it('holds no schema of a topic that is gone', () => {
    expect(readdirSync(DIR).sort()).toEqual(Object.keys(schemas).map(schemaFileName).sort());
  });
});
