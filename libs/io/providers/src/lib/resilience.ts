import { ProviderError } from './chat-provider';

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before one probe is let through. */
  coolDownMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Per-model circuit breaker: after `failureThreshold` consecutive failures the model gets no
 * calls for `coolDownMs`; then a single probe call decides (success closes, failure re-opens).
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  state: BreakerState = 'closed';

  constructor(
    private readonly opts: BreakerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a call may go now; in half-open only the first caller (the probe) may. */
  tryAcquire(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open' && this.now() - this.openedAt >= this.opts.coolDownMs) {
      this.state = 'half-open';
      this.probing = false;
    }
    if (this.state === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  /** Whether a call could go now, without taking the probe. */
  wouldAdmit(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') return this.now() - this.openedAt >= this.opts.coolDownMs;
    return !this.probing;
  }

  success(): void {
    this.failures = 0;
    this.state = 'closed';
    this.probing = false;
  }

  failure(): void {
    this.failures++;
    if (this.state === 'half-open' || this.failures >= this.opts.failureThreshold) {
      this.state = 'open';
      this.openedAt = this.now();
      this.probing = false;
    }
  }

  summary() {
    return { state: this.state, consecutiveFailures: this.failures };
  }
}

/** Learned latency of one model: an EWMA and the p95 of the last `window` successful calls. */
export class LatencyTracker {
  private readonly samples: number[] = [];
  private ewmaMs: number | null = null;

  constructor(
    private readonly window = 100,
    private readonly alpha = 0.2,
    /** Fewer samples than this: the model is not judged (a new model gets its chance). */
    readonly minSamples = 5,
  ) {}

  observe(ms: number): void {
    this.samples.push(ms);
    if (this.samples.length > this.window) this.samples.shift();
    this.ewmaMs = this.ewmaMs === null ? ms : this.alpha * ms + (1 - this.alpha) * this.ewmaMs;
  }

  p95(): number | null {
    if (this.samples.length < this.minSamples) return null;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)];
  }

  /** False only when enough calls show the model's p95 above the SLO. */
  meets(sloMs: number): boolean {
    const p = this.p95();
    return p === null || p <= sloMs;
  }

  summary() {
    return { samples: this.samples.length, ewmaMs: this.ewmaMs, p95Ms: this.p95() };
  }
}

export interface GateLimits {
  concurrency: number;
  queueLimit: number;
  queueTimeoutMs: number;
}

/** A call that found the model's GPUs busy and its queue full or too slow: the next arm should take it. */
export class ModelBusy extends ProviderError {
  constructor(message: string) {
    super(message, true, 503);
    this.name = 'ModelBusy';
  }
}

/**
 * Concurrency C of a self-hosted model: at most C calls at once; the next ones wait in a
 * bounded queue for at most queueTimeoutMs, then fail with ModelBusy (the router falls back).
 */
export class ConcurrencyGate {
  private active = 0;
  private readonly waiting: { grant: () => void }[] = [];

  constructor(
    private limits: GateLimits,
    private readonly model: string,
  ) {}

  /** New limits (a hot-reloaded models file): a larger C lets queued calls in at once. */
  setLimits(limits: GateLimits): void {
    this.limits = limits;
    this.drain();
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active < this.limits.concurrency) {
      this.active++;
      return this.releaser();
    }
    if (this.waiting.length >= this.limits.queueLimit)
      throw new ModelBusy(`${this.model}: ${this.active} calls running and ${this.waiting.length} queued (the limit)`);
    await new Promise<void>((resolve, reject) => {
      const entry = {
        grant: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const leave = (e: Error) => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      };
      const timer = setTimeout(
        () => leave(new ModelBusy(`${this.model}: waited ${this.limits.queueTimeoutMs} ms for a free slot`)),
        this.limits.queueTimeoutMs,
      );
      const onAbort = () => {
        clearTimeout(timer);
        leave((signal!.reason as Error) ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
    return this.releaser();
  }

  summary() {
    return { active: this.active, queued: this.waiting.length, ...this.limits };
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.drain();
    };
  }

  private drain(): void {
    while (this.active < this.limits.concurrency && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()!.grant();
    }
  }
}
