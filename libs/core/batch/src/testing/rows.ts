import { BatchProblem } from '../lib/problem';

/** Small hand-made instance from plain arrays: one row of qualities and one of costs per query. */
export function problemFromRows(
  quality: number[][],
  cost: number[][],
  extra: Partial<BatchProblem> = {},
): BatchProblem {
  const n = quality.length;
  const k = quality[0].length;
  return { n, k, quality: Float64Array.from(quality.flat()), cost: Float64Array.from(cost.flat()), ...extra };
}
