import { applyWarmStart, policyFromState, PolicyState } from '@llm-router/bandits';
import type { DatasetRow } from '@llm-router/contracts';
import type { ScopeEngine } from './scope-engine';

/** A row of an offline reward file: the prompt, and every model's judged quality and cost on it. */
export type WarmStartRow = Pick<DatasetRow, 'prompt' | 'arms'>;

/**
 * Primes a scope's cost model with the offline rows' costs: per-model token usage, learned
 * against the list price in force, exactly as the replay's --warm-start does. Models without
 * a price are skipped (nothing about an unpriced model is known to route with anyway).
 */
export function primeCosts(engine: ScopeEngine, rows: readonly WarmStartRow[], only?: ReadonlySet<string>): void {
  for (const r of rows) {
    for (const [arm, o] of Object.entries(r.arms))
      if ((!only || only.has(arm)) && engine.costs.price(arm)) engine.costs.observe(arm, o.cost);
  }
}

/**
 * Primes a scope's policy and cost model from offline rows, as `npm run replay -- --warm-start`
 * primes the replay: the policy's own warmStart() (or full-information updates) on the
 * features the engine decides with, then the cost model. Where prices are known only priced
 * models are primed, so a model added later arrives cold.
 */
export function warmStartEngine(engine: ScopeEngine, rows: readonly WarmStartRow[]): void {
  const inRows = [...new Set(rows.flatMap((r) => Object.keys(r.arms)))];
  // An engine that sees no prices (the aggregator's: it only learns) primes every arm of the file.
  const priced = new Set(engine.costs.models().length > 0 ? engine.costs.models() : inRows);
  for (const arm of priced) if (!engine.policy.arms().includes(arm)) engine.policy.addArm(arm);
  const exclude = inRows.filter((a) => !priced.has(a));
  applyWarmStart(engine.policy, rows, {
    exclude,
    context: (r) => ({ text: r.prompt, features: engine.features(r.prompt) }),
  });
  primeCosts(engine, rows);
}

/**
 * Warm starts fitted once per policy: every scope of a process is primed from the same rows, so
 * the first scope primed with a given policy (name, options, arms, priced models) keeps its
 * primed state, and later scopes restore it instead of fitting again. A fit of `auto` on ~900
 * rows takes 0.5-0.9 s of the event loop, which a router paid inside the first query of every
 * new scope (docs/decisions/0040); a restore takes milliseconds.
 */
export class WarmStartTemplates {
  /** JSON: a restored policy must own its arrays, and JSON is the codec every policy round-trips. */
  private readonly states = new Map<string, string>();

  constructor(readonly rows: readonly WarmStartRow[]) {}

  /** Primes `engine`: restores the state kept for its policy, or fits it and keeps the state. */
  prime(engine: ScopeEngine): void {
    const kept = this.states.get(keyOf(engine));
    if (kept === undefined) return this.fit(engine);
    engine.policy = policyFromState(JSON.parse(kept) as PolicyState);
    primeCosts(engine, this.rows);
  }

  /** Fits and keeps the state for `engine`'s policy unless one is kept already (then `engine` is left as it is). */
  fit(engine: ScopeEngine): void {
    const key = keyOf(engine);
    if (this.states.has(key)) return;
    warmStartEngine(engine, this.rows);
    this.states.set(key, JSON.stringify(engine.snapshotState()));
  }

  /** Fits kept (one per distinct policy and set of priced models). */
  get size(): number {
    return this.states.size;
  }
}

/** What a fit depends on besides the rows: the policy (name and options), its arms and the priced models. */
function keyOf(engine: ScopeEngine): string {
  return JSON.stringify([engine.policyKey, [...engine.policy.arms()].sort(), [...engine.costs.models()].sort()]);
}
