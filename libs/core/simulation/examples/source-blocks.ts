// Run: npx tsx libs/core/simulation/examples/source-blocks.ts
import { createPolicy } from '@llm-router/bandits';
import { QueryFeaturizer } from '@llm-router/features';
import { budgetPacing, runBatchComparison } from '../src'; // in your code: '@llm-router/simulation'
import { PRICES, type SourceName, syntheticRows } from './synthetic-sources';

/**
 * Routing query by query and in batch windows on streams of sources in blocks, cold (no warm
 * start), in the file's order, at three budgets and two seeds: a mix that changes at once, the
 * case a pacer and a planner meet when an application's traffic shifts. It found the per-query
 * pacer's dropped clip (docs/decisions/0060) and the window that spent the period's money on
 * one source (0059). gainPct is batch over per-query mean quality; `online` and `offline` are the
 * source-level bounds of docs/decisions/0042.
 */
const STREAMS: Record<string, [SourceName, number][]> = {
  'code, trivia, math': [
    ['code', 1000],
    ['trivia', 1000],
    ['math', 1000],
  ],
  'math, trivia, code': [
    ['math', 1000],
    ['trivia', 1000],
    ['code', 1000],
  ],
  'easy, hard': [
    ['easy', 1500],
    ['hard', 1500],
  ],
  'hard, easy': [
    ['hard', 1500],
    ['easy', 1500],
  ],
  'easy, then some hard': [
    ['easy', 2700],
    ['hard', 300],
  ],
};

async function main() {
  const featurizer = new QueryFeaturizer({ dim: 64 });
  const f = (x: number | null | undefined, d = 3) => (x == null ? '-' : x.toFixed(d));
  console.log(
    'stream'.padEnd(22),
    'budget'.padEnd(7),
    'seed',
    'per-query (ratio)'.padEnd(18),
    'batch (ratio)'.padEnd(15),
    'gainPct'.padStart(7),
    'online'.padStart(7),
    'offline'.padStart(8),
  );
  for (const [name, blocks] of Object.entries(STREAMS)) {
    const sources = blocks.flatMap(([s, n]) => Array<SourceName>(n).fill(s));
    for (const budget of [0.0005, 0.001, 0.003]) {
      for (const seed of [1, 2]) {
        const r = await runBatchComparison(syntheticRows(sources, 7 * seed), {
          policy: (init) => createPolicy('auto', { ...init, d: 64 }),
          budget,
          pacer: budgetPacing(),
          prices: PRICES,
          featurize: (t) => featurizer.featurize(t),
          seed,
          order: 'file',
          batchSize: 100,
        });
        console.log(
          name.padEnd(22),
          String(budget).padEnd(7),
          String(seed).padEnd(4),
          `${f(r.perQuery.meanQuality)} (${f(r.perQuery.budgetRatio, 2)})`.padEnd(18),
          `${f(r.batch.meanQuality)} (${f(r.batch.budgetRatio, 2)})`.padEnd(15),
          f(r.gainPct, 2).padStart(7),
          f(r.sourceBound?.onlineGainPct, 2).padStart(7),
          f(r.sourceBound?.offlineGainPct, 2).padStart(8),
        );
      }
    }
  }
}

void main();
