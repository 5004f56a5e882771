import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { pidAlive } from './proc';

/**
 * Where `npm start` keeps Kafka's log dir, the PostgreSQL cluster and what goes with them, so
 * that a restart finds its state: DATA_DIR, else $XDG_DATA_HOME/llm-router, else
 * ~/.local/share/llm-router.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['DATA_DIR']?.trim()) return resolve(env['DATA_DIR'].trim());
  const base = env['XDG_DATA_HOME']?.trim() ? resolve(env['XDG_DATA_HOME'].trim()) : join(homedir(), '.local', 'share');
  return join(base, 'llm-router');
}

/** The files and folders of a data dir; one place so that starting and clearing agree. */
export function dataDirLayout(root: string) {
  return {
    root,
    /** Written on first use: clearDataDir refuses to empty a folder without it. */
    marker: join(root, MARKER_FILE),
    kafkaDir: join(root, 'kafka'),
    /** A folder, or (root without access for the postgres user) a symlink to one it can reach. */
    postgresDir: join(root, 'postgres'),
    portsFile: join(root, 'ports.json'),
    lockFile: join(root, 'lock'),
  };
}

const MARKER_FILE = '.llm-router-data-dir';

const RememberedPorts = z.object({
  kafkaPort: z.number().int().min(1).max(65535),
  kafkaControllerPort: z.number().int().min(1).max(65535),
  postgresPort: z.number().int().min(1).max(65535),
});
export type RememberedPorts = z.infer<typeof RememberedPorts>;

/** The ports of the last start, or undefined when there was none or the file is unreadable. */
export function readRememberedPorts(file: string): RememberedPorts | undefined {
  try {
    const parsed = RememberedPorts.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function writeRememberedPorts(file: string, ports: RememberedPorts): void {
  writeFileSync(file, `${JSON.stringify(ports, null, 2)}\n`);
}

/**
 * The remembered ports where every one of them is free now (a set, since Kafka's broker and
 * controller ports go together), else freshly picked ones.
 */
export async function choosePorts<T extends Record<string, number>>(
  remembered: T | undefined,
  isFree: (port: number) => Promise<boolean>,
  pickFree: () => Promise<T>,
): Promise<T> {
  if (remembered) {
    const free = await Promise.all(Object.values(remembered).map(isFree));
    if (free.every(Boolean)) return remembered;
  }
  return pickFree();
}

/** Creates the data dir (and its marker) if needed. */
export function prepareDataDir(root: string): ReturnType<typeof dataDirLayout> {
  const layout = dataDirLayout(root);
  mkdirSync(root, { recursive: true });
  if (!existsSync(layout.marker))
    writeFileSync(layout.marker, 'llm-router state: npm start -- --fresh empties this folder\n');
  return layout;
}

/**
 * Empties a data dir, including a PostgreSQL cluster it links to elsewhere. Refuses a folder
 * that has files but no marker: a mistyped DATA_DIR must not wipe someone's home.
 */
export function clearDataDir(root: string): void {
  const layout = dataDirLayout(root);
  if (!existsSync(root)) return;
  if (readdirSync(root).length > 0 && !existsSync(layout.marker)) {
    throw new Error(`${root} is not an llm-router data dir (no ${MARKER_FILE} in it): not deleting it`);
  }
  const lock = readLockOwner(layout.lockFile);
  if (lock !== undefined && pidAlive(lock)) throw new Error(`${root} is in use by process ${lock}: stop it first`);
  if (existsSync(layout.postgresDir) && lstatSync(layout.postgresDir).isSymbolicLink()) {
    rmSync(resolve(root, readlinkSync(layout.postgresDir)), { recursive: true, force: true });
  }
  rmSync(root, { recursive: true, force: true });
}

function readLockOwner(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One process at a time per data dir: Kafka and PostgreSQL would refuse a second one anyway,
 * with messages about log-dir locks and postmaster.pid that do not say what to do. A lock left
 * by a process that is gone (SIGKILL) is taken over. Returns the release function.
 */
export function lockDataDir(root: string): () => void {
  const { lockFile } = dataDirLayout(root);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        if (readLockOwner(lockFile) === process.pid) rmSync(lockFile, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readLockOwner(lockFile);
      if (owner !== undefined && pidAlive(owner)) {
        throw new Error(`${root} is in use by process ${owner} (another npm start?); stop it or use another DATA_DIR`);
      }
      rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`could not lock ${lockFile}`);
}
