import { Injectable } from '@nestjs/common';
import { BudgetCap, ReservationHold } from './budget-cap';
import { Caller } from './api-key.guard';
import { DecisionOwners } from './decision-owners';
import { budgetExhausted, decisionNotFound, notDecisionOwner, rateLimited, scopeForbidden } from './openai-errors';
import { RateLimiter } from './rate-limiter';

export interface Admitted {
  hold: ReservationHold | null;
}

export interface Outcome {
  costUsd: number;
  tokens: number;
  /** Set when a decision was made and answered. */
  decisionId?: string;
  requestId: string;
}

/**
 * What happens around one HTTP call, in order: the key may use the scope (403), its rate
 * limits (429 + Retry-After), the scope's and key's budget caps on the call's worst case
 * (429 insufficient_quota); then, after the call, the realised cost, the tokens and the
 * decision's owner are recorded.
 */
@Injectable()
export class Admission {
  constructor(
    private readonly rates: RateLimiter,
    private readonly budget: BudgetCap,
    private readonly owners: DecisionOwners,
  ) {}

  /** The scope model "auto" means for this caller. */
  defaultScope(caller: Caller, fallback: string): string {
    return caller.key?.scopes[0] ?? fallback;
  }

  async admit(caller: Caller, scope: string, worstCaseUsd: number): Promise<Admitted> {
    const key = caller.key;
    if (key && !key.scopes.includes(scope))
      throw scopeForbidden(`this API key may not use scope "${scope}" (allowed: ${key.scopes.join(', ')})`);
    if (key) {
      const rate = await this.rates.admit(key.keyHash, key);
      if (!rate.ok) throw rateLimited(rate.reason, rate.retryAfterS);
    }
    const r = await this.budget.reserve(scope, key, worstCaseUsd);
    if (!r.ok) throw budgetExhausted(`budget cap reached: ${r.reason}`);
    return { hold: r.hold };
  }

  async complete(caller: Caller, admitted: Admitted, outcome: Outcome): Promise<void> {
    const key = caller.key;
    await Promise.all([
      this.budget.settle(admitted.hold, outcome.costUsd),
      // Token counts are read only by a tokens-per-minute limit: a key without one writes none
      // (one commit per request fewer; a limit added later counts from then on).
      key?.tpm ? this.rates.addTokens(key.keyHash, outcome.tokens) : undefined,
      key && outcome.decisionId ? this.owners.record(outcome.decisionId, outcome.requestId, key.keyHash) : undefined,
    ]);
  }

  /** 403 unless the caller made the decision (anyone may when there are no keys); 404 for no HTTP decision. */
  async checkFeedback(caller: Caller, ref: { decisionId?: string; requestId?: string }): Promise<void> {
    if (!caller.key) return;
    const owner = await this.owners.owner(ref);
    if (owner === undefined) throw decisionNotFound();
    if (owner !== caller.key.keyHash) throw notDecisionOwner();
  }
}
