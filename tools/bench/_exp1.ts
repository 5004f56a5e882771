import { randomBatchProblem, solveHeuristic, solveIlp, checkAssignment } from '@llm-router/batch';
(async () => {
  for (const seed of [1, 2, 3]) {
    const p = randomBatchProblem({ n: 1000, k: 8, seed, budgetFraction: 0.3, capacity: { 5: 120, 6: 80 } });
    for (let r = 0; r < 3; r++) solveHeuristic(p);
    const h = solveHeuristic(p);
    console.log('heur', seed, h.ms.toFixed(2), h.objective.toFixed(4), h.bound?.toFixed(4), h.gapPct?.toFixed(4), h.feasible, h.totalCost, p.budget, h.warnings);
    const t = Date.now();
    const ilp = await solveIlp(p, { mipRelGap: 1e-9, timeLimitMs: 60000 });
    console.log('ilp', seed, Date.now() - t, ilp.ms.toFixed(0), ilp.objective.toFixed(4), ilp.bound, ilp.gapPct, ilp.feasible, ilp.warnings, 'heur vs opt %', (100 * (ilp.objective - h.objective) / ilp.objective).toFixed(4));
    console.log(checkAssignment(p, h.assignment).violations, checkAssignment(p, ilp.assignment).violations);
  }
})();
