// Run: npx tsx libs/core/simulation/examples/basic.ts
import { createPolicy } from '@llm-router/bandits';
import { QueryFeaturizer } from '@llm-router/features';
import { Rng } from '@llm-router/numerics';
import type { ModelPrice } from '@llm-router/pricing';
import { budgetPacing, runBatchComparison, runReplay, type ReplayRow } from '../src'; // in your code: '@llm-router/simulation'

// A seeded stream of 3000 logged prompts from three sources, each scored on three models:
// the rows a replay needs (prompt, source, and every model's quality and cost on it).
const rng = new Rng(7);
const sources = [
  { name: 'code', text: 'Write a python function that', p: { small: 0.45, large: 0.85, pro: 0.92 } },
  { name: 'trivia', text: 'Which of the following is true of', p: { small: 0.8, large: 0.86, pro: 0.88 } },
  { name: 'math', text: 'Solve for x, showing each step:', p: { small: 0.35, large: 0.7, pro: 0.9 } },
] as const;
const unitCost = { small: 0.00002, large: 0.0005, pro: 0.01 };
const rows: ReplayRow[] = Array.from({ length: 3000 }, (_, i) => {
  const s = sources[i % sources.length];
  const arms: ReplayRow['arms'] = {};
  for (const [model, p] of Object.entries(s.p)) {
    const cost = unitCost[model as keyof typeof unitCost] * (0.5 + rng.next());
    arms[model] = { reward: rng.next() < p ? 1 : 0, cost };
  }
  return { prompt: `${s.text} item ${i}`, source: s.name, arms };
});
// List prices per million tokens; the replay learns each model's usage from the costs it sees.
const prices: ModelPrice[] = Object.entries(unitCost).map(([model, c]) => ({
  model,
  inputPerM: c * 1000,
  outputPerM: c * 1000,
}));

const featurizer = new QueryFeaturizer({ dim: 64 });
const options = {
  policy: ({ arms, seed }: { arms: string[]; seed: number }) => createPolicy('auto', { arms, seed, d: 64 }),
  budget: 0.001, // USD per query on average, held by the pacer
  pacer: budgetPacing(),
  prices,
  featurize: (t: string) => featurizer.featurize(t),
  seed: 1,
};

const perQuery = runReplay(rows, options);
console.log(
  'per query:  mean quality %s (%s of the oracle), budget ratio %s, shares %j',
  perQuery.meanQuality.toFixed(3),
  perQuery.pctOfOracle.toFixed(3),
  perQuery.budgetRatio?.toFixed(3),
  Object.fromEntries(Object.entries(perQuery.armShares).map(([a, s]) => [a, +s.toFixed(2)])),
);

// A 98% price cut of 'pro' at step 1500: how many decisions until it holds half of the picks.
const cut = runReplay(rows, {
  ...options,
  budget: null,
  lambda: 20,
  scenario: { name: 'price-cut', arm: 'pro', at: 1500, factor: 0.02 },
});
console.log('price cut:  pro adopted after %s decisions', cut.adaptSteps);

// The same rows grouped by source, routed per query and in windows of 100 by the batch planner.
void runBatchComparison(rows, { ...options, order: 'by-source', batchSize: 100 }).then((batch) =>
  console.log(
    'batch:      per query %s, batch %s (%s%%), budget ratio %s',
    batch.perQuery.meanQuality.toFixed(3),
    batch.batch.meanQuality.toFixed(3),
    batch.gainPct.toFixed(2),
    batch.batch.budgetRatio?.toFixed(3),
  ),
);
