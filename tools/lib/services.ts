import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export interface ServiceSpec {
  app: 'router' | 'price-watcher' | 'reward-aggregator' | 'batch-planner';
  name: string;
  env: Record<string, string>;
}

export interface RunningService {
  name: string;
  port: number;
  url: string;
  proc: ChildProcess;
  logFile: string;
}

export interface StartServiceOptions {
  timeoutMs?: number;
  /** Also receives each line the service writes (stdout and stderr), e.g. to show it prefixed. */
  onLine?: (line: string) => void;
  /** Gets the process as soon as it runs, before it is healthy (to stop it while it starts). */
  onSpawn?: (proc: ChildProcess) => void;
  /** Options of the node process itself (e.g. --cpu-prof, which NODE_OPTIONS does not take). */
  nodeArgs?: string[];
}

const ROOT = resolve(__dirname, '../..');

/**
 * Starts a service from its TypeScript sources (SWC registers the decorators' metadata that
 * Nest's injection needs), logs to a file, and waits for /health to answer 200.
 */
export async function startServiceProcess(
  spec: ServiceSpec,
  port: number,
  logDir: string,
  options: StartServiceOptions = {},
): Promise<RunningService> {
  const { timeoutMs = 90000, onLine, onSpawn, nodeArgs = [] } = options;
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${spec.name}.log`);
  const out = createWriteStream(logFile);
  const proc = spawn(
    process.execPath,
    [...nodeArgs, '-r', '@swc-node/register', join(ROOT, 'apps', spec.app, 'src', 'main.ts')],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        // The demo, e2e and chaos runs are development: without keys. The HTTP bench overrides it with ROUTER_API_KEYS.
        ALLOW_NO_AUTH: 'true',
        ...spec.env,
        HTTP_PORT: String(port),
        SWC_NODE_PROJECT: join(ROOT, 'tsconfig.typecheck.json'),
        KAFKA_CLIENT_ID: spec.name,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  onSpawn?.(proc);
  proc.stdout!.pipe(out);
  proc.stderr!.pipe(out);
  if (onLine) {
    for (const stream of [proc.stdout!, proc.stderr!])
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
  }
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${spec.name} exited with code ${proc.exitCode}; see ${logFile}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.status === 200) return { name: spec.name, port, url, proc, logFile };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  proc.kill('SIGKILL');
  throw new Error(`${spec.name} did not become healthy within ${timeoutMs} ms; see ${logFile}`);
}

export async function stopServices(services: RunningService[]): Promise<void> {
  await Promise.all(
    services.map(
      (s) =>
        new Promise<void>((done) => {
          if (s.proc.exitCode !== null) return done();
          const t = setTimeout(() => s.proc.kill('SIGKILL'), 10000);
          s.proc.once('exit', () => {
            clearTimeout(t);
            done();
          });
          s.proc.kill('SIGTERM');
        }),
    ),
  );
}
