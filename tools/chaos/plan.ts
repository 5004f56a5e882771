/** The seeded schedule of faults of a chaos run: what breaks, and when. Pure. */
import { Rng } from '@llm-router/numerics';

export const SERVICES = ['router', 'price-watcher', 'reward-aggregator', 'batch-planner'] as const;
export type ServiceName = (typeof SERVICES)[number];

export type ChaosFault =
  /** SIGKILL a service; it is started again at once, as an orchestrator would. */
  | { kind: 'kill-service'; service: ServiceName }
  /** Hold feedback back, release it as one burst, SIGKILL the aggregator while it applies it. */
  | { kind: 'kill-aggregator-mid-batch' }
  /** SIGTERM one broker (controlled shutdown), start it again. */
  | { kind: 'restart-broker'; node: number }
  /** SIGKILL one broker, leave the cluster on the other two for `downSeconds`, start it again. */
  | { kind: 'kill-broker'; node: number; downSeconds: number }
  /** Fast shutdown of PostgreSQL, start it again on the same data. */
  | { kind: 'restart-postgres'; downSeconds: number };

export type PlannedFault = ChaosFault & { atSeconds: number };

export interface ChaosPlanOptions {
  seed: number;
  /** Length of the load phase in seconds; faults fall inside it. */
  durationSeconds: number;
  /** SIGKILLs of each service at random moments (the aggregator gets one more, mid-batch). */
  killsPerService: number;
  /** Also restart a broker and PostgreSQL once each and kill one broker. */
  infrastructure: boolean;
  /** Brokers in the cluster (node ids 1..brokers). */
  brokers: number;
  /** Keep only these faults (see faultName); default all. The others still draw their numbers, so the kept ones do not move. */
  only?: readonly string[];
}

/** The names --faults takes: a service name (its kills), or the fault kind. */
export const FAULT_NAMES = [...SERVICES, 'mid-batch', 'restart-broker', 'kill-broker', 'restart-postgres'] as const;

export function faultName(f: ChaosFault): string {
  switch (f.kind) {
    case 'kill-service':
      return f.service;
    case 'kill-aggregator-mid-batch':
      return 'mid-batch';
    default:
      return f.kind;
  }
}

/**
 * Every fault once in a seeded order, each at a seeded moment inside its own slot of the load
 * phase: the first and last tenth stay calm (a warm-up, and time to settle before the
 * drain), and faults do not pile on top of each other, so that each one's recovery can be
 * measured on its own. The run may still delay a fault until the previous one has recovered.
 */
export function planChaos(o: ChaosPlanOptions): PlannedFault[] {
  const rng = new Rng(o.seed);
  const faults: ChaosFault[] = [];
  for (const service of SERVICES)
    for (let i = 0; i < o.killsPerService; i++) faults.push({ kind: 'kill-service', service });
  faults.push({ kind: 'kill-aggregator-mid-batch' });
  if (o.infrastructure) {
    faults.push({ kind: 'restart-broker', node: 1 + rng.int(o.brokers) });
    faults.push({ kind: 'kill-broker', node: 1 + rng.int(o.brokers), downSeconds: 10 + rng.int(11) });
    faults.push({ kind: 'restart-postgres', downSeconds: 2 + rng.int(4) });
  }
  // Fisher-Yates with the run's generator: the order is part of what the seed fixes.
  for (let i = faults.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [faults[i], faults[j]] = [faults[j], faults[i]];
  }
  const start = 0.1 * o.durationSeconds;
  const slot = (0.8 * o.durationSeconds) / faults.length;
  return faults
    .map((f, i) => ({ ...f, atSeconds: round1(start + i * slot + rng.next() * 0.5 * slot) }))
    .filter((f) => !o.only || o.only.includes(faultName(f)));
}

/** What a fault is, in a few words, for the progress line and the report. */
export function describeFault(f: ChaosFault): string {
  switch (f.kind) {
    case 'kill-service':
      return `kill ${f.service}`;
    case 'kill-aggregator-mid-batch':
      return 'kill reward-aggregator mid-batch';
    case 'restart-broker':
      return `restart broker ${f.node}`;
    case 'kill-broker':
      return `kill broker ${f.node} for ${f.downSeconds} s`;
    case 'restart-postgres':
      return `restart postgres (down ${f.downSeconds} s)`;
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
