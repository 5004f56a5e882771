// Run: npx tsx libs/core/pacing/examples/basic.ts
import { BudgetPacer, SpendLedger } from '../src'; // in your code: '@llm-router/pacing'

// $50 a day, about 20k queries a day: the ledger turns what is left into a per-query target,
// the pacer turns the target into the lambda of  score = quality - lambda * cost.
const ledger = new SpendLedger({ budgetUsd: 50, period: 'day' });
const pacer = new BudgetPacer({ eta: 0.05 });

const models = [
  { id: 'small', quality: 0.79, cost: 0.00003 },
  { id: 'large', quality: 0.925, cost: 0.0005 },
  { id: 'pro', quality: 0.935, cost: 0.015 },
];

let now = Date.parse('2025-06-01T00:00:00Z');
const perDay = 20000;
const picks: Record<string, number> = {};
let middayLambda = 0;
for (let i = 0; i < perDay; i++, now += 86_400_000 / perDay) {
  pacer.setTarget(ledger.targetPerQuery(now, perDay));
  // Per-query noise, as real prompts differ in length and difficulty.
  const jitter = 0.5 + ((i * 7919) % 1000) / 1000;
  const best = models.reduce((a, b) =>
    b.quality - pacer.lambda * b.cost * jitter > a.quality - pacer.lambda * a.cost * jitter ? b : a,
  );
  picks[best.id] = (picks[best.id] ?? 0) + 1;
  const cost = best.cost * jitter;
  ledger.record(cost, now);
  pacer.update(cost);
  if (i === perDay / 2) middayLambda = pacer.lambda;
}
const end = now - 1;
console.log('spent today: $%s of $50', ledger.spent(end).toFixed(2));
console.log('mean cost per query: $%s (target $%s)', pacer.meanCost.toFixed(6), (50 / perDay).toFixed(6));
console.log('lambda at noon: %s; picks: %j', middayLambda.toFixed(3), picks);
console.log('state for policy.updates: %j', pacer.toState());
