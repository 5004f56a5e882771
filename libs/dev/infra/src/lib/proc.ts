import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Blocks the thread: only for `exit` handlers, where nothing asynchronous runs any more. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function onPath(command: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, command)));
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else, which still means alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A daemonized process (the postmaster) is reaped by PID 1, which in some containers takes
  // seconds; until then it is a zombie that signal 0 still reaches, but it is gone for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs: trust signal 0
  }
}

export function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

export async function waitForPidExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

export function waitForPidExitSync(pid: number, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) return false;
    sleepSync(20);
  }
  return true;
}

/** Last `maxLines` lines of a (log) file, for error messages; '' when it does not exist. */
export function tailFile(path: string, maxLines = 40, maxBytes = 16_384): string {
  if (!existsSync(path)) return '';
  const size = statSync(path).size;
  const length = Math.min(size, maxBytes);
  const buffer = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8').split('\n').slice(-maxLines).join('\n').trimEnd();
}

export interface RunResult {
  code: number;
  output: string;
}

/**
 * Runs a command to completion and captures stdout+stderr together (the order a human would have
 * seen), rejecting with that output when it fails: install and format steps are only debuggable
 * with it.
 */
export function run(
  command: string,
  args: string[],
  options: SpawnOptions & { allowFailure?: boolean } = {},
): Promise<RunResult> {
  const { allowFailure, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...spawnOptions,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => chunks.push(c));
    child.stderr?.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      const exit = code ?? (signal ? 128 : 1);
      if (exit !== 0 && !allowFailure) {
        const tail = output.trimEnd().split('\n').slice(-40).join('\n');
        reject(new Error(`${[command, ...args].join(' ')} failed (${signal ?? `exit ${exit}`}):\n${tail}`));
      } else {
        resolve({ code: exit, output });
      }
    });
  });
}

export function runSyncQuietly(command: string, args: string[], timeoutMs = 10_000): number {
  const result = spawnSync(command, args, {
    stdio: 'ignore',
    timeout: timeoutMs,
  });
  return result.status ?? 1;
}
