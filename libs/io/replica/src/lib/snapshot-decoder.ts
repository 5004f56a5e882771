import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PolicySnapshot } from '@llm-router/contracts';

export interface DecodeRequest {
  id: number;
  bytes: Uint8Array;
}

export type DecodeReply = { id: number; ok: true; snapshot: PolicySnapshot } | { id: number; ok: false; error: string };

/** The worker's first message: its modules are loaded and it takes records. */
export const WORKER_READY = 'snapshot-decoder ready';

/** What became of one submitted record. */
export type Decoded =
  | { ok: true; snapshot: PolicySnapshot }
  | { ok: false; error: string }
  /** A newer record of the same scope arrived before this one was decoded: it never will be. */
  | { ok: false; superseded: true };

/**
 * The worker's file: next to this module when it runs from source (swc-node, jest: .ts, with
 * SWC registered in the worker too), next to main.js in a webpack bundle (a second entry, see
 * tools/webpack/app-webpack.js).
 */
function workerScript(): { file: string; execArgv?: string[] } {
  for (const dir of [__dirname, ...(process.argv[1] ? [join(process.argv[1], '..')] : [])]) {
    const js = join(dir, 'snapshot-decoder.worker.js');
    if (existsSync(js)) return { file: js };
  }
  const ts = join(__dirname, 'snapshot-decoder.worker.ts');
  if (existsSync(ts)) return { file: ts, execArgv: ['--require', '@swc-node/register'] };
  throw new Error(`snapshot-decoder.worker not found next to ${__dirname}`);
}

interface Slot {
  /** The record being decoded now. */
  running: { id: number; done: (d: Decoded) => void } | null;
  /** The newest record that arrived meanwhile (older ones are superseded: only the last counts). */
  next: { bytes: Uint8Array; done: (d: Decoded) => void } | null;
}

/**
 * Decodes policy.updates records on a worker thread, one scope at a time: while a scope's
 * record is being decoded, only the newest of those arriving meanwhile is kept (a burst costs
 * at most two decodes), the others resolve as superseded. Scopes decode one after another on
 * the one worker.
 */
export class SnapshotDecoder {
  private worker: Worker | null = null;
  private readonly slots = new Map<string, Slot>();
  private readonly waiting = new Map<number, (d: Decoded) => void>();
  private seq = 0;
  private closed = false;
  private started?: Promise<void>;

  /**
   * Starts the worker and resolves once it is ready. Loading its modules takes a few hundred
   * milliseconds (seconds from source on a busy machine), which a lazy start put between a
   * cold scope's first snapshot and its router: call this at bootstrap.
   */
  ready(): Promise<void> {
    this.ensureWorker();
    return this.started ?? Promise.resolve();
  }

  /** Resolves with the decoded snapshot, or its error, or superseded. */
  decode(scope: string, bytes: Uint8Array): Promise<Decoded> {
    return new Promise((done) => {
      let slot = this.slots.get(scope);
      if (!slot) this.slots.set(scope, (slot = { running: null, next: null }));
      if (slot.running) {
        slot.next?.done({ ok: false, superseded: true });
        slot.next = { bytes, done };
      } else this.start(scope, slot, bytes, done);
    });
  }

  /** Scopes with a decode in flight (for tests and /health). */
  get inFlight(): number {
    return [...this.slots.values()].filter((s) => s.running).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    for (const done of this.waiting.values()) done({ ok: false, error: 'snapshot decoder closed' });
    this.waiting.clear();
    if (w) await w.terminate();
  }

  private start(scope: string, slot: Slot, bytes: Uint8Array, done: (d: Decoded) => void): void {
    const id = ++this.seq;
    slot.running = { id, done };
    this.waiting.set(id, (d) => {
      slot.running = null;
      done(d);
      const next = slot.next;
      slot.next = null;
      if (next) this.start(scope, slot, next.bytes, next.done);
      else this.slots.delete(scope);
    });
    if (this.closed) return this.finish({ id, ok: false, error: 'snapshot decoder closed' });
    // The worker gets its own copy: kafkajs' buffer may hold other records (and is not ours to transfer).
    const copy = Uint8Array.from(bytes);
    this.ensureWorker().postMessage({ id, bytes: copy } satisfies DecodeRequest, [copy.buffer]);
  }

  private finish(reply: DecodeReply): void {
    const done = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    if (reply.ok) serialiseAsArrays(reply.snapshot.state);
    done?.(reply.ok ? { ok: true, snapshot: reply.snapshot } : { ok: false, error: reply.error });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const { file, execArgv } = workerScript();
    const w = new Worker(file, { execArgv });
    w.unref();
    let isReady: () => void = () => undefined;
    this.started = new Promise((done) => (isReady = done));
    w.on('message', (reply: DecodeReply | typeof WORKER_READY) =>
      reply === WORKER_READY ? isReady() : this.finish(reply),
    );
    // A dead worker fails what it held; the next record starts a new one.
    const fail = (why: string) => {
      isReady();
      if (this.worker === w) this.worker = null;
      for (const id of [...this.waiting.keys()]) this.finish({ id, ok: false, error: why });
    };
    w.on('error', (e) => fail(`snapshot decoder failed: ${e.message}`));
    w.on('exit', (code) => !this.closed && fail(`snapshot decoder exited with code ${code}`));
    this.worker = w;
    return w;
  }
}

/** JSON of a Float64Array is an object of indices; these serialise as the arrays they were sent as. */
function toJSON(this: Float64Array): number[] {
  return Array.from(this);
}

/**
 * A policy may keep parts of the state it was restored from (auto keeps its priors), and its
 * toState then hands them on: marked here, they serialise as the JSON arrays they were.
 * Structured cloning drops own properties, so this runs on the receiving side (a walk over
 * the few hundred objects of the skeleton, not over the numbers).
 */
function serialiseAsArrays(v: unknown): void {
  // Not instanceof: a message from the worker may carry another realm's Float64Array (jest's sandbox).
  if (ArrayBuffer.isView(v)) Object.defineProperty(v, 'toJSON', { value: toJSON });
  else if (Array.isArray(v)) for (const x of v) serialiseAsArrays(x);
  else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) serialiseAsArrays(x);
}
