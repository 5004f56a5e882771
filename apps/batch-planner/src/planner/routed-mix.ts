import type { QueryRequest } from '@llm-router/contracts';
import type { PromptKind } from '@llm-router/batch';
import { ContextualQueries, ROUTED_MIX_MAX, WindowContext, WindowEngine, windowContexts } from './window-problem';

/**
 * A scope's queries routed so far in a period, the latest `max` of them, with each one's context
 * and kind of prompt computed once, when it is dispatched. Every window re-estimates the mix for
 * its dual price and prices it per kind of prompt; featurising a thousand prompts again for each
 * round took 46-95 ms (tmp bench on val.jsonl's prompts), twice what estimating them takes.
 */
export class RoutedMix implements ContextualQueries {
  readonly queries: QueryRequest[] = [];
  readonly contexts: WindowContext[] = [];
  readonly promptKinds: PromptKind[] = [];

  constructor(
    /** The budget period the queries were routed in (a new period starts a new mix). */
    readonly period: string,
    private readonly max = ROUTED_MIX_MAX,
  ) {}

  /** Queries just dispatched, most recent last. */
  add(engine: Pick<WindowEngine, 'features'>, sent: readonly QueryRequest[]): void {
    const c = windowContexts(engine, sent);
    this.queries.push(...sent);
    this.contexts.push(...c.contexts);
    this.promptKinds.push(...c.promptKinds);
    const over = this.queries.length - this.max;
    if (over > 0) for (const a of [this.queries, this.contexts, this.promptKinds]) a.splice(0, over);
  }
}
