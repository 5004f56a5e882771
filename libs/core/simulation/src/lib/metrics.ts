/** Nearest-rank quantile of an unsorted sample (q in [0, 1]); null for an empty sample. */
export function quantile(values: ArrayLike<number>, q: number): number | null {
  const n = values.length;
  if (n === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  return sorted[rank];
}

/**
 * EVAL.md: the first step after T at which `arm` holds at least half of the last `window`
 * decisions, counted from T. Reported as the number of decisions taken since the event up to
 * and including that step (a switch on the very first affected decision that completes the
 * window gives window/2, never window/2 - 1), null if it never happens.
 *
 * `picks[t]` is the arm index chosen at step t (0-based); steps t >= at are affected.
 */
export function adaptSteps(picks: ArrayLike<number>, arm: number, at: number, window = 100): number | null {
  const need = window / 2;
  let inWindow = 0;
  for (let t = 0; t < picks.length; t++) {
    if (picks[t] === arm) inWindow++;
    if (t >= window && picks[t - window] === arm) inWindow--;
    if (t >= at && inWindow >= need) return t - at + 1;
  }
  return null;
}

/** Fraction of decisions per arm, every arm listed (zero shares included). */
export function armShares(picks: ArrayLike<number>, arms: readonly string[]): Record<string, number> {
  const counts = new Array<number>(arms.length).fill(0);
  for (let t = 0; t < picks.length; t++) counts[picks[t]]++;
  const out: Record<string, number> = {};
  const n = Math.max(1, picks.length);
  arms.forEach((a, i) => (out[a] = counts[i] / n));
  return out;
}
