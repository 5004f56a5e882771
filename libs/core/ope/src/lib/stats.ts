import { normalQuantile } from '@llm-router/numerics';

// Re-exported: part of this library's API since before it moved to numerics.
export { normalQuantile };

/** z such that a two-sided normal interval mean +- z*se has coverage `level`. */
export function zFor(level: number): number {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1), got ${level}`);
  return normalQuantile(0.5 + level / 2);
}

/** Mean and standard error of the mean (sample sd with n-1; Infinity below 2 samples). */
export function meanAndStdError(xs: ArrayLike<number>): { mean: number; stdError: number } {
  const n = xs.length;
  if (n === 0) return { mean: NaN, stdError: Infinity };
  let m = 0;
  for (let i = 0; i < n; i++) m += xs[i];
  m /= n;
  if (n < 2) return { mean: m, stdError: Infinity };
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i] - m) * (xs[i] - m);
  return { mean: m, stdError: Math.sqrt(ss / (n - 1) / n) };
}
