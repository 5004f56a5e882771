import { solveHeuristic } from '@llm-router/batch';
const p = { n: 3, k: 2, quality: Float64Array.from([0.9, 0.1, 0.2, 0.3, 0.8, 0.7]), cost: new Float64Array(6), capacity: [1, 1] };
console.log(solveHeuristic(p));
