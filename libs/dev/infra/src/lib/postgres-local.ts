import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { aptInstall } from './apt';
import { ownUntilStopped, type OwnedProcess } from './cleanup';
import type { InfraLogger } from './logger';
import { freePort, isPortFree } from './ports';
import { isRoot, onPath, run, sleep, tailFile } from './proc';

/**
 * The newest PostgreSQL server binaries: PG_BIN_DIR, else Debian's /usr/lib/postgresql/<v>/bin
 * (not on PATH there), else whatever initdb is on PATH.
 */
export function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['PG_BIN_DIR'] && existsSync(join(env['PG_BIN_DIR'], 'initdb'))) return env['PG_BIN_DIR'];
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a) || b.localeCompare(a));
    if (versions.length > 0) return join(root, versions[0], 'bin');
  }
  if (onPath('initdb') && onPath('pg_ctl')) return ''; // '' = resolve through PATH
  return undefined;
}

export async function ensurePostgresBinaries(logger: InfraLogger): Promise<string> {
  const found = findPostgresBinDir();
  if (found !== undefined) return found;
  await aptInstall(['postgresql'], logger, 'PostgreSQL not found (no initdb)');
  const installed = findPostgresBinDir();
  if (installed === undefined) throw new Error('apt-get installed postgresql but no initdb was found');
  return installed;
}

export interface LocalPostgres {
  databaseUrl: string;
  port: number;
  dir: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

export interface LocalPostgresOptions {
  binDir: string;
  logger: InfraLogger;
  keep?: boolean;
  timeoutMs?: number;
  /**
   * Persistent mode: the cluster lives here and the next start with the same dir reuses it (no
   * initdb); it is durable (fsync on) and stop is a fast, clean shutdown that keeps it.
   */
  dir?: string;
  /** Used when free (the last start's port, for a persistent dir); else a free one. */
  preferredPort?: number;
}

/**
 * Durability is worthless for a throwaway cluster and costs most of the write time on a busy
 * disk; connections are plenty because every service and test opens a pool.
 */
export function postgresTuning(socketDir: string, durable = false): string {
  return [
    durable ? '# libs/dev/infra: local cluster kept between starts' : '# libs/dev/infra: throwaway test cluster',
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${socketDir.replace(/'/g, "''")}'`,
    ...(durable ? [] : ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off']),
    'max_connections = 200',
    'shared_buffers = 32MB',
    "max_wal_size = '256MB'",
    'log_min_messages = warning',
    '',
  ].join('\n');
}

/**
 * A throwaway cluster: initdb into a temp dir, pg_ctl start on a free loopback port. With
 * options.dir, a kept cluster there instead (initdb only the first time).
 */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const { binDir, logger } = options;
  const persistent = options.dir !== undefined;
  const keep = persistent || (options.keep ?? false);
  const timeoutMs = options.timeoutMs ?? Number(process.env['PG_START_TIMEOUT_MS'] ?? 60_000);
  const bin = (name: string) => (binDir ? join(binDir, name) : name);
  // initdb refuses to run as root; the Debian package always creates the postgres user.
  const asOwner = (cmd: string, args: string[]): [string, string[]] =>
    isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];

  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'llm-router-pg-'));
  mkdirSync(dir, { recursive: true });
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const initialised = existsSync(join(data, 'PG_VERSION'));
  const initCluster = async () => {
    await run(
      ...asOwner(bin('initdb'), [
        '-D',
        data,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--locale=C',
        ...(persistent ? [] : ['--no-sync']),
      ]),
    );
    appendFileSync(join(data, 'postgresql.conf'), postgresTuning(dir, persistent));
  };
  let started = false;
  try {
    if (isRoot()) await run('chown', ['postgres:postgres', dir]);
    if (!initialised) await initCluster();

    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port =
        attempt === 1 && options.preferredPort !== undefined && (await isPortFree(options.preferredPort))
          ? options.preferredPort
          : await freePort();
      const result = await run(
        ...asOwner(bin('pg_ctl'), [
          '-D',
          data,
          '-l',
          logFile,
          '-w',
          '-t',
          String(Math.ceil(timeoutMs / 1000)),
          '-o',
          `-p ${port}`,
          'start',
        ]),
        { allowFailure: true },
      );
      if (result.code === 0) break;
      const tail = tailFile(logFile);
      if (attempt < 3 && /could not bind|Address already in use/.test(tail)) {
        logger.warn(`Postgres port ${port} was taken before it bound; retrying`);
        continue;
      }
      throw new Error(`pg_ctl start failed (exit ${result.code}): ${result.output.trim()}\n${logFile}:\n${tail}`);
    }
    started = true;

    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const owned: OwnedProcess = {
      name: 'postgres',
      pid,
      cmdlineMatch: data,
      // SIGQUIT = immediate shutdown: the postmaster still takes its backends down with it.
      stopSignal: keep ? 'SIGINT' : 'SIGQUIT',
      dirs: [dir],
      keepDirs: keep,
    };
    const stop = ownUntilStopped(
      owned,
      async () => {
        await run(...asOwner(bin('pg_ctl'), ['-D', data, '-m', keep ? 'fast' : 'immediate', '-w', 'stop']), {
          allowFailure: true,
        });
      },
      { logger, what: 'Postgres' },
    );

    const databaseUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    try {
      await waitForPostgres(databaseUrl, timeoutMs, () => tailFile(logFile));
    } catch (err) {
      await stop();
      throw err;
    }
    logger.debug?.(`Postgres pid ${pid} on 127.0.0.1:${port}, dir ${dir}`);
    return { databaseUrl, port, dir, pid, logFile, stop };
  } catch (err) {
    if (!started) {
      // pg_ctl can give up waiting while the postmaster goes on starting.
      await run(...asOwner(bin('pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']), { allowFailure: true });
      if (!keep) rmSync(dir, { recursive: true, force: true });
      // A cluster this failed start created (maybe half-way) must not pass for a good one next time.
      else if (persistent && !initialised) rmSync(data, { recursive: true, force: true });
    }
    throw err;
  }
}

/** Ready means a client connects and `select 1` answers. */
export async function waitForPostgres(
  databaseUrl: string,
  timeoutMs: number,
  logTail: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Client({
      connectionString: databaseUrl,
      connectionTimeoutMillis: 2000,
    });
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        const tail = logTail();
        throw new Error(
          `Postgres at ${databaseUrl} not ready after ${Math.round(timeoutMs / 1000)} s (${(err as Error).message})` +
            (tail ? `. Log tail:\n${tail}` : ''),
        );
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(200);
  }
}
