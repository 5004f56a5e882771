import { randomBatchProblem, solveHeuristic, BatchProblem, checkAssignment } from '@llm-router/batch';
const seed = 50, n = 3, k = 3;
const base = randomBatchProblem({ n, k, seed, budgetFraction: null });
const p: BatchProblem = { ...base, capacity: [2, Infinity, Infinity], tiers: [[{ fromCalls: 2, factor: 0.6 }], [], []], budget: 0.0016009940731062369 };
(globalThis as any).__dbg = true;
console.log(solveHeuristic(p).assignment, checkAssignment(p, Int32Array.from([0,1,0])));
