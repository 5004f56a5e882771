// Run: npx tsx libs/core/simulation/examples/basic.ts
import { createPolicy } from '@llm-router/bandits';
import { QueryFeaturizer } from '@llm-router/features';
import { budgetPacing, runBatchComparison, runReplay } from '../src'; // in your code: '@llm-router/simulation'
import { PRICES as prices, type SourceName, syntheticRows } from './synthetic-sources';

// A seeded stream of 3000 logged prompts from three sources, each scored on three models:
// the rows a replay needs (prompt, source, and every model's quality and cost on it).
const kinds: SourceName[] = ['code', 'trivia', 'math'];
const rows = syntheticRows(
  Array.from({ length: 3000 }, (_, i) => kinds[i % kinds.length]),
  7,
);

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
