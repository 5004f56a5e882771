import type { ArmId } from '@llm-router/bandits';

/** One prompt with the judged quality of several arms (full information, e.g. a reward dataset row). */
export interface RewardRow {
  features: ArrayLike<number>;
  /** Quality per arm in [0, 1]; arms not judged on this prompt are simply absent. */
  rewards: Readonly<Record<ArmId, number>>;
}

/** "winner beat loser on this prompt". */
export interface PreferencePair {
  features: ArrayLike<number>;
  winner: ArmId;
  loser: ArmId;
  /** Training weight (default 1). */
  weight?: number;
}

export interface PairsOptions {
  /** A reward difference must exceed this to count as a win (default 0: any strict win; ties are skipped). */
  minMargin?: number;
  /**
   * 'uniform' (default): every win weighs 1, as in RouteLLM's Bradley-Terry router.
   * 'margin': weight = reward difference, so that 1.0 vs 0.2 teaches more than 0.81 vs 0.80.
   */
  weighting?: 'uniform' | 'margin';
}

/**
 * Every ordered pair of arms on every row whose rewards differ by more than minMargin, as
 * (winner, loser). Rows are visited in order and arms in key order, so the output is a pure
 * function of the input.
 */
export function pairsFromRewards(rows: Iterable<RewardRow>, opts: PairsOptions = {}): PreferencePair[] {
  const minMargin = opts.minMargin ?? 0;
  const byMargin = opts.weighting === 'margin';
  const out: PreferencePair[] = [];
  for (const row of rows) {
    const arms = Object.keys(row.rewards).filter((a) => Number.isFinite(row.rewards[a]));
    for (let i = 0; i < arms.length; i++) {
      for (let j = i + 1; j < arms.length; j++) {
        const d = row.rewards[arms[i]] - row.rewards[arms[j]];
        if (Math.abs(d) <= minMargin) continue;
        const [winner, loser] = d > 0 ? [arms[i], arms[j]] : [arms[j], arms[i]];
        out.push(
          byMargin
            ? { features: row.features, winner, loser, weight: Math.abs(d) }
            : { features: row.features, winner, loser },
        );
      }
    }
  }
  return out;
}
