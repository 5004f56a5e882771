import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { brokers } from './kafka-test-kit';

const ROOT = resolve(__dirname, '../..');

/** The dlq CLI as a user runs it (`npm run -s dlq -- ...` is `tsx tools/dlq/main.ts ...`): its stdout lines. */
export async function dlqCli(...args: string[]): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    join(ROOT, 'node_modules/.bin/tsx'),
    [join(ROOT, 'tools/dlq/main.ts'), ...args],
    { cwd: ROOT, env: { ...process.env, KAFKA_BROKERS: brokers().join(',') } },
  );
  return stdout.trim().split('\n');
}
