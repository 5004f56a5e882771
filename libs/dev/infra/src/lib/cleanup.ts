import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import type { InfraLogger } from './logger';
import { killQuietly, pidAlive, waitForPidExit, waitForPidExitSync } from './proc';

/**
 * A local process that must not outlive the Node process that started it, and the temp dirs that
 * go with it. Both starters make their process a group leader (java via `detached`, postgres via
 * pg_ctl's setsid), so a last SIGKILL to the group also catches its children.
 */
export interface OwnedProcess {
  name: string;
  pid: number;
  /** Guards against pid reuse: only a process whose command line contains this is signalled. */
  cmdlineMatch: string;
  /** Polite-but-quick stop that needs no cooperation from us (postgres: SIGQUIT = immediate). */
  stopSignal: NodeJS.Signals;
  dirs: string[];
  keepDirs: boolean;
}

const owned = new Map<OwnedProcess, { watchdogPid?: number }>();
const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let hooksInstalled = false;

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export function isOurs(p: Pick<OwnedProcess, 'pid' | 'cmdlineMatch'>): boolean {
  return pidAlive(p.pid) && cmdlineOf(p.pid).includes(p.cmdlineMatch);
}

/** Synchronous, so it also works inside an `exit` handler. Idempotent. */
export function killAndRemoveSync(p: OwnedProcess): void {
  if (isOurs(p)) {
    killQuietly(p.pid, p.stopSignal);
    if (!waitForPidExitSync(p.pid, 5000)) killQuietly(p.pid, 'SIGKILL');
    waitForPidExitSync(p.pid, 2000);
  }
  // Stray children (postgres backends after a killed postmaster) share the leader's group.
  killQuietly(-p.pid, 'SIGKILL');
  if (!p.keepDirs) for (const dir of p.dirs) rmSync(dir, { recursive: true, force: true });
}

function teardownAllSync(): void {
  for (const p of [...owned.keys()]) {
    try {
      killAndRemoveSync(p);
    } catch {
      // Keep going: the other processes matter more than a tidy error here.
    }
    release(p);
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // A caller with its own handler (the infra CLI forwarding to its child) decides when to stop;
  // the exit hook and the watchdogs still catch whatever it leaves.
  if (process.listenerCount(signal) > 1) return;
  teardownAllSync();
  // Only we listened, so the default action (terminate) was suppressed by our listener: restore
  // it and re-raise, so the caller still dies of the signal as it would have without us.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

const signalHandlers = new Map(signals.map((s) => [s, () => onSignal(s)] as const));

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', teardownAllSync);
  for (const [signal, handler] of signalHandlers) process.on(signal, handler);
}

function uninstallHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.off('exit', teardownAllSync);
  for (const [signal, handler] of signalHandlers) process.off(signal, handler);
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A detached shell that outlives a SIGKILLed owner (where no handler runs) and then tears the
 * process down. It polls once a second, which costs nothing measurable.
 */
export function watchdogScript(ownerPid: number, p: OwnedProcess): string {
  const guard = `grep -qF -- ${shq(p.cmdlineMatch)} /proc/${p.pid}/cmdline 2>/dev/null`;
  const lines = [
    `while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done`,
    `if ${guard}; then kill -${p.stopSignal.replace(/^SIG/, '')} ${p.pid} 2>/dev/null`,
    `  i=0; while kill -0 ${p.pid} 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done`,
    'fi',
    `kill -KILL -- -${p.pid} 2>/dev/null`,
    ...(p.keepDirs ? [] : p.dirs.map((d) => `rm -rf -- ${shq(d)}`)),
  ];
  return lines.join('\n');
}

/** Registers p for teardown at exit/signal and starts its watchdog. */
export function own(p: OwnedProcess): void {
  installHooks();
  let watchdogPid: number | undefined;
  try {
    const child = spawn('sh', ['-c', watchdogScript(process.pid, p)], {
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
    watchdogPid = child.pid;
  } catch {
    // Without a watchdog only a SIGKILL of the owner leaks the process; the hooks still run.
  }
  owned.set(p, { watchdogPid });
}

/**
 * Owns p (see own) and returns its stop: `shutdown` asks the process to end its own way, then
 * stop waits for it, kills and removes what is left, forgets p, and says where kept data is.
 * Every call returns the same promise.
 */
export function ownUntilStopped(
  p: OwnedProcess,
  shutdown: () => Promise<void>,
  log: { logger: InfraLogger; what: string },
): () => Promise<void> {
  own(p);
  let stopped: Promise<void> | undefined;
  return () =>
    (stopped ??= (async () => {
      await shutdown();
      await waitForPidExit(p.pid, 5_000);
      killAndRemoveSync(p);
      release(p);
      if (p.keepDirs) log.logger.info(`${log.what} data and log kept in ${p.dirs.join(', ')}`);
    })());
}

/** Forgets p once it has been stopped the normal way. */
export function release(p: OwnedProcess): void {
  const entry = owned.get(p);
  if (!entry) return;
  owned.delete(p);
  if (entry.watchdogPid) killQuietly(entry.watchdogPid, 'SIGKILL');
  if (owned.size === 0) uninstallHooks();
}

export function ownedCount(): number {
  return owned.size;
}
