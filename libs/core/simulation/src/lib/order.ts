import { Rng } from '@llm-router/bandits';

export type RowOrder = 'shuffled' | 'by-source' | 'by-difficulty' | 'file';

export const ROW_ORDERS: readonly RowOrder[] = ['shuffled', 'by-source', 'by-difficulty', 'file'];

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

/** What `orderRows` reads of a row: its source, and the quality every arm reached on it. */
export interface OrderableRow {
  source?: string;
  arms: Readonly<Record<string, { reward: number }>>;
}

/** 1 - the mean quality over the arms the row offers: 0 when every model gets it right. */
export function rowDifficulty(r: OrderableRow): number {
  const rewards = Object.values(r.arms).map((a) => a.reward);
  if (rewards.length === 0) return 0;
  return 1 - rewards.reduce((s, x) => s + x, 0) / rewards.length;
}

/**
 * Row order of a replay. Both adversarial orders shuffle first, so which rows tie (and, for
 * `by-source`, which source comes first) varies with the seed:
 * - `by-source`: rows grouped by source, so that each window holds one kind of query;
 * - `file`: the file's own order, unshuffled (how `npm run e2e` replays exactly the sequence it sent);
 * - `by-difficulty`: easiest first (by `rowDifficulty`, stable on ties). A per-query pacer
 *   spends its target on early queries that the cheap model already answers, and has to
 *   hold back when the hard ones arrive; the label is never shown to a policy.
 */
export function orderRows<T extends OrderableRow>(rows: readonly T[], order: RowOrder, seed: number): T[] {
  if (order === 'file') return [...rows];
  const shuffled = seededShuffle(rows, seed);
  switch (order) {
    case 'shuffled':
      return shuffled;
    case 'by-difficulty': {
      const keyed = shuffled.map((r) => ({ r, d: rowDifficulty(r) }));
      keyed.sort((a, b) => a.d - b.d);
      return keyed.map((x) => x.r);
    }
    case 'by-source': {
      const groups = new Map<string, T[]>();
      for (const r of shuffled) {
        const key = r.source ?? 'unknown';
        let g = groups.get(key);
        if (!g) groups.set(key, (g = []));
        g.push(r);
      }
      return [...groups.values()].flat();
    }
    default:
      throw new Error(`unknown row order: ${String(order)}`);
  }
}
