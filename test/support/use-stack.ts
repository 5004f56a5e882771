import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { Producer } from 'kafkajs';
import { parseDataset, type DatasetRow } from '@llm-router/contracts';
import { collect, plainProducer, resetTopics } from './kafka-test-kit';
import { freshDatabase } from './database';
import { startStack, Stack, StackOptions } from './stack';

export interface UseStackOptions extends Omit<StackOptions, 'databaseUrl' | 'dataPath' | 'modelsPath'> {
  /** Prefix of the file's fresh database name. */
  database: string;
  /** Topics the sink collects from before the stack starts. */
  topics: string[];
  /** Writes the dataset and models file the stack replays and prices from. */
  dataset: () => { dataPath: string; modelsPath: string };
}

/** Set in beforeAll: read them inside tests and hooks, not at describe time. */
export interface StackHandles {
  stack: Stack;
  producer: Producer;
  sink: Awaited<ReturnType<typeof collect>>;
  /** A connection to the file's fresh database. */
  db: Client;
}

/**
 * The set-up of an end-to-end file: fresh topics and database, a sink on `topics`, the stack
 * on the dataset, a plain producer and a database client; all torn down after the file.
 */
export function useStack(o: UseStackOptions): StackHandles {
  const { database, topics, dataset, ...stackOptions } = o;
  const h = {} as StackHandles;
  beforeAll(async () => {
    await resetTopics();
    const databaseUrl = await freshDatabase(database);
    const data = dataset();
    h.sink = await collect(topics);
    h.stack = await startStack({ ...stackOptions, databaseUrl, dataPath: data.dataPath, modelsPath: data.modelsPath });
    h.producer = await plainProducer();
    h.db = new Client({ connectionString: databaseUrl });
    await h.db.connect();
  });
  afterAll(async () => {
    await h.producer?.disconnect();
    await h.sink?.stop();
    await h.stack?.stop();
    await h.db?.end();
  });
  return h;
}

/** The rows of a dataset file (the project's `parseDataset`): what the replay provider answers from. */
export function datasetRows(dataPath: string): DatasetRow[] {
  return parseDataset(readFileSync(dataPath, 'utf8'));
}

/** The prompts of a dataset file, by row: what to ask the replay provider for an answer it has. */
export function promptsOf(dataPath: string): string[] {
  return datasetRows(dataPath).map((r) => r.prompt);
}
