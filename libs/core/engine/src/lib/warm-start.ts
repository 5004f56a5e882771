import { applyWarmStart } from '@llm-router/bandits';
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
