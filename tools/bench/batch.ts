/**
 * Batch-routing benchmark: the Lagrangian heuristic against HiGHS solved to optimality on the
 * same seeded instance (n=1000 queries, k=8 models, binding budget, two capacity-limited
 * models). Used by tools/bench/main.ts; runnable alone with `npx tsx tools/bench/batch.ts`.
 */
import { checkAssignment, randomBatchProblem, solveHeuristic, solveIlp } from '@llm-router/batch';

export interface BenchBatchOptions {
  n?: number;
  k?: number;
  seed?: number;
  /** Timed heuristic runs after warm-up (the median is reported). */
  runs?: number;
  warmup?: number;
  ilpTimeLimitMs?: number;
  /** Skip HiGHS (optimum, gapPct, ilpMs become null). */
  skipIlp?: boolean;
}

export async function benchBatch(opts: BenchBatchOptions = {}): Promise<Record<string, unknown>> {
  const n = opts.n ?? 1000;
  const k = opts.k ?? 8;
  const seed = opts.seed ?? 42;
  // The two best-value models are the capacity-limited ones (self-hosted GPUs), so the limit
  // binds; the budget sits at 30% of the way from the cheapest bill to the quality-greedy one.
  const capacity = { [k - 3]: Math.round(n * 0.1), [k - 2]: Math.round(n * 0.06) };
  const problem = randomBatchProblem({ n, k, seed, budgetFraction: 0.3, capacity });

  const warmup = opts.warmup ?? 5;
  const runs = opts.runs ?? 15;
  for (let r = 0; r < warmup; r++) solveHeuristic(problem);
  const times: number[] = [];
  let h = solveHeuristic(problem);
  for (let r = 0; r < runs; r++) {
    h = solveHeuristic(problem);
    times.push(h.ms);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];

  const counts = new Array<number>(k).fill(0);
  for (const j of h.assignment) if (j >= 0) counts[j]++;
  const capacityBinding = Object.entries(capacity).every(([j, c]) => counts[Number(j)] === c);

  let optimum: number | null = null;
  let ilpMs: number | null = null;
  let ilpBound: number | null = null;
  let ilpWarnings: string[] = [];
  if (!opts.skipIlp) {
    const t0 = performance.now();
    const ilp = await solveIlp(problem, { mipRelGap: 1e-9, timeLimitMs: opts.ilpTimeLimitMs ?? 60_000 });
    ilpMs = performance.now() - t0;
    optimum = ilp.objective;
    ilpBound = ilp.bound;
    ilpWarnings = ilp.warnings;
    if (!checkAssignment(problem, ilp.assignment).feasible) ilpWarnings.push('ILP assignment infeasible');
  }
  const gapPct = optimum === null ? null : (100 * (optimum - h.objective)) / Math.abs(optimum);

  return {
    n,
    k,
    seed,
    ms,
    msMin: times[0],
    msMax: times[times.length - 1],
    runs,
    objective: h.objective,
    optimum,
    gapPct,
    ilpMs,
    ilpBound,
    heuristicBound: h.bound,
    heuristicBoundGapPct: h.gapPct,
    feasible: h.feasible && checkAssignment(problem, h.assignment).feasible,
    budget: problem.budget,
    totalCost: h.totalCost,
    capacity,
    capacityBinding,
    warnings: [...h.warnings, ...ilpWarnings],
  };
}

if (require.main === module) {
  benchBatch().then((r) => console.log(JSON.stringify(r)));
}
