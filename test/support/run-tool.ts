import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one of the project's CLIs as a user does (`npm run -s <tool>`, here through tsx) on its
 * own local infrastructure: KAFKA_BROKERS and DATABASE_URL of the suite are cleared, since the
 * tool starts (and may restart) its own broker and database. SIGINT after `deadlineMs` lets it
 * tear them down.
 */
export function runTool(
  script: string,
  args: string[],
  deadlineMs: number,
  env: Record<string, string> = {},
): Promise<ToolRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), script, ...args], {
      cwd: ROOT,
      env: { ...process.env, KAFKA_BROKERS: '', DATABASE_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGINT'), deadlineMs);
    child.once('error', fail);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}
