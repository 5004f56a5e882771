/**
 * `npm start` as a user runs it: a child process in its own process group (a terminal's
 * foreground job), on local Kafka and PostgreSQL in a temp DATA_DIR, stopped with SIGINT to the
 * group as Ctrl-C does. Then a second start on the same DATA_DIR: same key, not printed again.
 * Forced to local mode (as libs/dev/infra's own int-spec), since that is where state is kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { clearDataDir, freePorts, isPortFree, readRememberedPorts, dataDirLayout } from '@llm-router/infra';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';

const ROOT = resolve(__dirname, '../..');
const START_DEADLINE_MS = 420_000;
const STOP_DEADLINE_MS = 120_000;

jest.setTimeout(2 * (START_DEADLINE_MS + STOP_DEADLINE_MS));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Every live process below root in the process tree. */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const ppid = parentOf(pid);
    if (ppid !== undefined) parents.set(pid, ppid);
  }
  const below = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === root) return true;
    return false;
  };
  return [...parents.keys()].filter(below);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};

interface Run {
  proc: ChildProcess;
  output: () => string;
  /** npm's exit: code 0, or the SIGINT it got too and re-raises once its script has ended. */
  exited: Promise<string>;
}

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'llm-router-npm-start-'));
  const dataset = writeSyntheticDataset(200);
  let ports: number[];
  let current: Run | undefined;

  beforeAll(async () => {
    ports = await freePorts(4);
  });

  afterAll(async () => {
    if (current && current.proc.exitCode === null && current.proc.signalCode === null) {
      process.kill(-current.proc.pid!, 'SIGKILL');
      await current.exited;
    }
    clearDataDir(dataDir);
    rmSync(dataset.dir, { recursive: true, force: true });
  });

  function start(args: string[]): Run {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      INFRA_MODE: 'local',
      DATA_DIR: dataDir,
      PROVIDER: 'replay',
      REPLAY_DATASET: dataset.dataPath,
      MODELS_FILE: dataset.modelsPath,
      ROUTER_PORT: String(ports[0]),
      PRICE_WATCHER_PORT: String(ports[1]),
      REWARD_AGGREGATOR_PORT: String(ports[2]),
      BATCH_PLANNER_PORT: String(ports[3]),
      LOG_LEVEL: 'warn',
    };
    // The integration run's own broker and database must not turn this into env mode.
    delete env['KAFKA_BROKERS'];
    delete env['DATABASE_URL'];
    delete env['ROUTER_API_KEYS'];
    const proc = spawn('npm', ['start', '--', ...args], { cwd: ROOT, env, detached: true, stdio: 'pipe' });
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<string>((r) => proc.once('exit', (code, signal) => r(signal ?? `code ${code}`)));
    current = { proc, output: () => out, exited };
    return current;
  }

  async function waitUntilRunning(run: Run): Promise<void> {
    const deadline = Date.now() + START_DEADLINE_MS;
    while (!run.output().includes('llm-router is running')) {
      if (run.proc.exitCode !== null) throw new Error(`npm start exited (${run.proc.exitCode}):\n${run.output()}`);
      if (Date.now() > deadline)
        throw new Error(`npm start not running after ${START_DEADLINE_MS} ms:\n${run.output()}`);
      await sleep(500);
    }
  }

  /** Ctrl-C: SIGINT to the whole group; then everything it started must be gone. */
  async function interruptAndCheckGone(run: Run, owned: number[]): Promise<void> {
    process.kill(-run.proc.pid!, 'SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      run.exited,
      new Promise<string>((r) => (timer = setTimeout(() => r('still running'), STOP_DEADLINE_MS))),
    ]);
    clearTimeout(timer);
    const stoppedCleanly = ['code 0', 'SIGINT'].includes(exit) && run.output().includes('[start] stopped');
    expect({ exit, output: stoppedCleanly ? '' : run.output() }).toEqual({ exit, output: '' });
    expect(['code 0', 'SIGINT']).toContain(exit);
    const deadline = Date.now() + 30_000;
    while (owned.some(alive) && Date.now() < deadline) await sleep(200);
    expect(owned.filter(alive).map((pid) => `${pid} ${cmdline(pid)}`)).toEqual([]);
    for (const port of ports) expect(await isPortFree(port)).toBe(true);
    const remembered = readRememberedPorts(dataDirLayout(dataDir).portsFile)!;
    for (const port of Object.values(remembered)) expect(await isPortFree(port)).toBe(true);
  }

  /** The processes npm start owns now: its tree (services, Kafka) and the daemonized postmaster. */
  function ownedProcesses(run: Run): number[] {
    const postmaster = Number(
      readFileSync(join(realpathSync(dataDirLayout(dataDir).postgresDir), 'data', 'postmaster.pid'), 'utf8').split(
        '\n',
      )[0],
    );
    return [run.proc.pid!, ...descendants(run.proc.pid!), postmaster];
  }

  let firstKey = '';

  it('runs the four services until Ctrl-C, prints their URLs and a new API key once, then leaves nothing running', async () => {
    const run = start(['--fresh']);
    await waitUntilRunning(run);
    for (const port of ports) {
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(run.output()).toContain(`http://127.0.0.1:${port}`);
    }

    // The key: printed, kept for the user only, registered by hash, and handed to the router.
    const printed = run.output().match(/sk-router-[A-Za-z0-9_-]{43}/g) ?? [];
    expect(printed).toHaveLength(1);
    firstKey = printed[0] ?? '';
    const keyFile = join(dataDir, 'api-key');
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(firstKey);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'api-keys.json')).mode & 0o777).toBe(0o600);
    const registry = JSON.parse(readFileSync(join(dataDir, 'api-keys.json'), 'utf8'));
    expect(registry.keys).toEqual([
      { hash: createHash('sha256').update(firstKey).digest('hex'), scopes: ['default'], createdAt: expect.any(String) },
    ]);

    const owned = ownedProcesses(run);
    const router = owned.find((pid) => cmdline(pid).includes(join('apps', 'router', 'src', 'main.ts')));
    expect(router).toBeDefined();
    const routerEnv = readFileSync(`/proc/${router}/environ`, 'utf8').split('\0');
    expect(routerEnv).toContain(`ROUTER_API_KEYS=${JSON.stringify([{ key: firstKey, scopes: ['default'] }])}`);
    // Four services and the Kafka broker at least, besides npm and node themselves.
    expect(owned.filter((pid) => /main\.ts|kafka\.Kafka/.test(cmdline(pid))).length).toBeGreaterThanOrEqual(5);

    await interruptAndCheckGone(run, owned);
    expect(existsSync(join(dataDirLayout(dataDir).kafkaDir, 'data', 'meta.properties'))).toBe(true);
  });

  it('starts again on the same state without showing the key again', async () => {
    expect(firstKey).not.toBe('');
    const before = readRememberedPorts(dataDirLayout(dataDir).portsFile);
    const run = start([]);
    await waitUntilRunning(run);
    expect(run.output()).not.toContain(firstKey);
    expect(run.output()).toContain(`API key: in ${join(dataDir, 'api-key')} (not shown again)`);
    expect(readRememberedPorts(dataDirLayout(dataDir).portsFile)).toEqual(before);
    const router = ownedProcesses(run).find((pid) => cmdline(pid).includes(join('apps', 'router', 'src', 'main.ts')));
    expect(readFileSync(`/proc/${router}/environ`, 'utf8')).toContain(firstKey);
    await interruptAndCheckGone(run, ownedProcesses(run));
  });
});
