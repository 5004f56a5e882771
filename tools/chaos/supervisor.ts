/**
 * Runs the four services as child processes from their sources and keeps them running, as an
 * orchestrator would: a service the run SIGKILLs, or one that exits by itself, is started
 * again on the same port. Each start is a new incarnation with its own log file, so the log of
 * the process that died stays for the post-mortem.
 */
import { freePort } from '@llm-router/infra';
import { startServiceProcess, stopServices, type RunningService } from '../lib/services';
import { SERVICES, type ServiceName } from './plan';

interface Slot {
  app: ServiceName;
  port: number;
  incarnation: number;
  current?: RunningService;
  /** The start under way, if any. */
  starting?: Promise<RunningService>;
  /** Set while the run itself kills it: that exit is expected. */
  killing: boolean;
}

export class Supervisor {
  private readonly slots = new Map<ServiceName, Slot>();
  /** Exits the run did not cause: a service that died of a fault elsewhere (a finding). */
  readonly unexpectedExits: {
    service: ServiceName;
    at: number;
    code: number | null;
    signal: string | null;
    log: string;
  }[] = [];
  readonly restarts: Record<string, number> = {};
  private stopping = false;

  constructor(
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    private readonly onEvent: (msg: string) => void,
  ) {}

  /** Starts all four; price-watcher first, so that prices are out before the first query. */
  async startAll(): Promise<void> {
    for (const app of SERVICES) this.slots.set(app, { app, port: await freePort(), incarnation: 0, killing: false });
    await this.start('price-watcher');
    await Promise.all((['reward-aggregator', 'batch-planner', 'router'] as const).map((a) => this.start(a)));
  }

  /** SIGKILL, then start again; resolves when the new incarnation is healthy. */
  async kill(app: ServiceName): Promise<void> {
    const slot = this.slot(app);
    const proc = slot.current?.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      slot.killing = true;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
      slot.killing = false;
    }
    await this.start(app);
  }

  /** Resolves when every service is up (a restart under way included). */
  async allHealthy(): Promise<void> {
    await Promise.all([...this.slots.values()].map((s) => s.starting));
  }

  logFiles(): string[] {
    return [...this.slots.values()].flatMap((s) =>
      Array.from({ length: s.incarnation }, (_, i) => `${this.logDir}/${s.app}-${i + 1}.log`),
    );
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.slots.values()].map((s) => s.starting?.catch(() => undefined)));
    await stopServices([...this.slots.values()].flatMap((s) => (s.current ? [s.current] : [])));
  }

  private slot(app: ServiceName): Slot {
    const slot = this.slots.get(app);
    if (!slot) throw new Error(`unknown service ${app}`);
    return slot;
  }

  private start(app: ServiceName): Promise<RunningService> {
    const slot = this.slot(app);
    slot.starting ??= this.startIncarnation(slot).finally(() => (slot.starting = undefined));
    return slot.starting;
  }

  private async startIncarnation(slot: Slot): Promise<RunningService> {
    // A start can fail while the infrastructure is down (the service gives up on its
    // database or broker): try again, as an orchestrator's restart policy would.
    for (let attempt = 1; ; attempt++) {
      slot.incarnation += 1;
      if (slot.incarnation > 1) this.restarts[slot.app] = (this.restarts[slot.app] ?? 0) + 1;
      const name = `${slot.app}-${slot.incarnation}`;
      try {
        const running = await startServiceProcess({ app: slot.app, name, env: this.env }, slot.port, this.logDir, {
          timeoutMs: 120_000,
        });
        slot.current = running;
        running.proc.once('exit', (code, signal) => this.onExit(slot, running, code, signal));
        return running;
      } catch (e) {
        if (this.stopping || attempt >= 5) throw e;
        this.onEvent(`${name} did not start (${(e as Error).message}); starting it again`);
        await new Promise((r) => setTimeout(r, 2000 * attempt));
      }
    }
  }

  private onExit(slot: Slot, running: RunningService, code: number | null, signal: string | null): void {
    if (slot.killing || this.stopping || slot.current !== running) return;
    this.unexpectedExits.push({ service: slot.app, at: Date.now(), code, signal, log: running.logFile });
    this.onEvent(`${running.name} exited by itself (${signal ?? `code ${code}`}); see ${running.logFile}`);
    void this.start(slot.app).catch((e) => this.onEvent(`${slot.app} could not be restarted: ${(e as Error).message}`));
  }
}
