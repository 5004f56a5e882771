import { MAX_PRICE_PER_M, PriceEvent, Topic, validate } from '@llm-router/contracts';

/** Where a price came from; also the `source` label of the Prometheus counters. */
export type SourceKind = 'file' | 'url' | 'admin' | 'config';

/** Why a price was not taken (the `reason` label of price_rejected_total). */
export type RejectReason =
  | 'not_finite'
  | 'negative'
  | 'absurd'
  | 'invalid'
  | 'jump'
  /** The model was removed through the admin API; only POST /admin/models brings it back. */
  | 'removed'
  /** A self-hosted model of SELF_HOSTED_MODELS: its price is constant, feeds do not move it. */
  | 'self_hosted';

/** A price as a source proposes it, before defaults and checks. */
export interface PriceProposal {
  model: string;
  inputPerM: number;
  outputPerM: number;
  effectiveFrom?: string;
  selfHosted?: boolean;
  concurrency?: number;
  discountTiers?: { fromCalls: number; factor: number }[];
  costFactor?: number;
  perCallUsd?: number;
  queueLimit?: number;
  queueTimeoutMs?: number;
  /** How the router calls the model (models file): endpoint, protocol, key variable, timeout. */
  endpoint?: string;
  protocol?: 'openai' | 'anthropic';
  keyEnv?: string;
  timeoutMs?: number;
}

/** Fields of a price that say how the model is called rather than what it costs. */
export const CALL_FIELDS = [
  'perCallUsd',
  'queueLimit',
  'queueTimeoutMs',
  'endpoint',
  'protocol',
  'keyEnv',
  'timeoutMs',
] as const;

export interface Rejection {
  ok: false;
  reason: RejectReason;
  message: string;
}

export type PriceCheck = { ok: true; price: PriceEvent } | Rejection;

/**
 * Prices below one cent per million tokens count as one cent when the jump factor is taken:
 * otherwise a free model getting any price at all (0 -> 0.01) would be an infinite jump, and
 * moves among near-free prices would all need confirmation.
 */
export const JUMP_FLOOR_PER_M = 0.01;

/** How many times larger the larger of two prices is (>= 1); both directions count, since a missing digit is as likely as an extra one. */
export function jumpFactor(from: number, to: number): number {
  const a = Math.max(from, JUMP_FLOOR_PER_M);
  const b = Math.max(to, JUMP_FLOOR_PER_M);
  return Math.max(a / b, b / a);
}

function checkNumber(field: string, v: unknown): Rejection | null {
  if (typeof v !== 'number')
    return {
      ok: false,
      reason: 'invalid',
      message: `${field}: must be a number (got ${JSON.stringify(v) ?? String(v)})`,
    };
  if (!Number.isFinite(v))
    return { ok: false, reason: 'not_finite', message: `${field}: must be a finite number (got ${v})` };
  if (v < 0) return { ok: false, reason: 'negative', message: `${field}: a price cannot be negative (got ${v})` };
  if (v > MAX_PRICE_PER_M)
    return {
      ok: false,
      reason: 'absurd',
      message: `${field}: ${v} USD per million tokens is absurd (the limit is ${MAX_PRICE_PER_M})`,
    };
  return null;
}

/**
 * Checks a proposed price: finite, non-negative, below MAX_PRICE_PER_M, a valid PriceEvent,
 * and not more than `maxJump` times above or below the current price unless `confirm`ed.
 * Returns the PriceEvent to publish (defaults applied) or why it is refused.
 */
export function checkPrice(
  proposal: PriceProposal,
  current: PriceEvent | undefined,
  opts: { source: string; maxJump: number; confirm?: boolean; now?: Date },
): PriceCheck {
  const bad = checkNumber('inputPerM', proposal.inputPerM) ?? checkNumber('outputPerM', proposal.outputPerM);
  if (bad) return bad;
  const candidate = validate(Topic.Prices, {
    ...proposal,
    effectiveFrom: proposal.effectiveFrom ?? (opts.now ?? new Date()).toISOString(),
    source: opts.source,
  });
  if (!candidate.ok) {
    return {
      ok: false,
      reason: 'invalid',
      message: candidate.error.issues.map((i) => `${i.path}: ${i.message}`).join('; '),
    };
  }
  if (current && !opts.confirm) {
    for (const field of ['inputPerM', 'outputPerM'] as const) {
      const f = jumpFactor(current[field], candidate.value[field]);
      if (f > opts.maxJump) {
        return {
          ok: false,
          reason: 'jump',
          message:
            `${field} of ${proposal.model} would move from ${current[field]} to ${candidate.value[field]} USD/M, ` +
            `a ${f.toFixed(1)}x jump (more than ${opts.maxJump}x): send it again with "confirm": true if it is right`,
        };
      }
    }
  }
  return { ok: true, price: candidate.value };
}

/** True when publishing `next` would tell consumers something new (source and timestamps do not count). */
export function samePrice(a: PriceEvent | undefined, b: PriceEvent): boolean {
  if (!a) return false;
  return (
    a.inputPerM === b.inputPerM &&
    a.outputPerM === b.outputPerM &&
    (a.selfHosted ?? false) === (b.selfHosted ?? false) &&
    (a.concurrency ?? null) === (b.concurrency ?? null) &&
    (a.costFactor ?? null) === (b.costFactor ?? null) &&
    JSON.stringify(a.discountTiers ?? []) === JSON.stringify(b.discountTiers ?? []) &&
    CALL_FIELDS.every((f) => (a[f] ?? null) === (b[f] ?? null))
  );
}
