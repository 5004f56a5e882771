// Run: npx tsx libs/dev/infra/examples/basic.ts (starts Kafka and PostgreSQL, or uses KAFKA_BROKERS and DATABASE_URL)
import { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { allTopics } from '@llm-router/contracts';
import { startInfrastructure } from '../src';

async function main() {
  const infra = await startInfrastructure({ partitionsCap: 2 });
  try {
    // Every topic of the contracts exists when it returns, dead-letter topics included.
    const admin = new Kafka({ clientId: 'example', brokers: infra.kafkaBrokers }).admin();
    await admin.connect();
    const topics = new Set(await admin.listTopics());
    await admin.disconnect();
    console.log(
      'topics of the contracts present: %s',
      allTopics().every((t) => topics.has(t.name)),
    );

    const db = new Client({ connectionString: infra.databaseUrl });
    await db.connect();
    console.log((await db.query('select version()')).rows[0].version);
    await db.end();
  } finally {
    await infra.stop();
  }
}

main();
