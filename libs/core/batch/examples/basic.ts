/**
 * npx tsx libs/core/batch/examples/basic.ts
 *
 * Six queries, three models, a budget that does not buy the best model for everyone, and a
 * self-hosted model that can take only two queries in this window.
 */
import { BatchProblem, solveBatch } from '../src'; // in your code: '@llm-router/batch'

const models = ['small', 'medium', 'large'];
// quality per query (rows) and model (columns)
const q = [
  [0.55, 0.8, 0.95],
  [0.9, 0.92, 0.93],
  [0.3, 0.6, 0.9],
  [0.7, 0.75, 0.8],
  [0.2, 0.7, 0.85],
  [0.6, 0.65, 0.9],
];
// cost in USD of each query on each model (longer prompts cost more everywhere)
const c = [
  [0.001, 0.004, 0.02],
  [0.001, 0.004, 0.02],
  [0.002, 0.008, 0.04],
  [0.001, 0.004, 0.02],
  [0.0005, 0.002, 0.01],
  [0.001, 0.004, 0.02],
];

const problem: BatchProblem = {
  n: q.length,
  k: models.length,
  quality: Float64Array.from(q.flat()),
  cost: Float64Array.from(c.flat()),
  budget: 0.06,
  capacity: [Infinity, 2, Infinity], // "medium" is self-hosted: two queries at a time
  tiers: [[], [], [{ fromCalls: 3, factor: 0.8 }]], // all-units: 3+ calls to "large" are 20% off, every one of them
  models,
};

async function main() {
  for (const solver of ['heuristic', 'ilp'] as const) {
    const s = await solveBatch(problem, { solver });
    const picks = Array.from(s.assignment, (j) => models[j]).join(', ');
    console.log(
      `${s.solver.padEnd(9)} quality ${s.objective.toFixed(3)} (bound ${s.bound?.toFixed(3)}, gap ${s.gapPct?.toFixed(2)}%)  cost $${s.totalCost.toFixed(4)} of $${problem.budget}  [${picks}]`,
    );
  }
}
main();
