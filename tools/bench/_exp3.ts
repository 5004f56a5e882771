import { randomBatchProblem, solveHeuristic } from '@llm-router/batch';
const p = randomBatchProblem({ n: 1000, k: 8, seed: 1, budgetFraction: 0.3, capacity: { 5: 120, 6: 80 } });
for (let r = 0; r < 10; r++) solveHeuristic(p);
(globalThis as any).__stats = { rounds: 0, evals: 0, improve: 0, down: 0 };
solveHeuristic(p);
console.log((globalThis as any).__stats);
