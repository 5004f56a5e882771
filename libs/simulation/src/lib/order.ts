import { Rng } from '@llm-router/bandits';

export type RowOrder = 'shuffled' | 'by-source';

/** Fisher-Yates with the replay's seeded PRNG: the same seed gives the same order on any machine. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const rng = new Rng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = out[i];
    out[i] = out[j];
    out[j] = tmp;
  }
  return out;
}

/**
 * Row order of a replay. `by-source` still shuffles first, so the order inside a source (and
 * which source comes first) varies with the seed; only the grouping is adversarial.
 */
export function orderRows<T extends { source?: string }>(rows: readonly T[], order: RowOrder, seed: number): T[] {
  const shuffled = seededShuffle(rows, seed);
  if (order === 'shuffled') return shuffled;
  const groups = new Map<string, T[]>();
  for (const r of shuffled) {
    const key = r.source ?? 'unknown';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  return [...groups.values()].flat();
}
