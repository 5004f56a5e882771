import { ArmId } from '@llm-router/bandits';
import { ReplayRow } from './replay';

/** How one mode served one source's rows. */
export interface ModeOnSource {
  meanQuality: number;
  /** USD its rows cost, as a share of the period's budget (null without one). */
  budgetShare: number | null;
  /** Per arm: the share of the source's rows sent to it. */
  shares: Record<ArmId, number>;
}

/** One source of a replayed file, as the per-query and the batch run served it. */
export interface SourceFigures {
  source: string;
  rows: number;
  /** Position of its first row in the replayed order. */
  firstRow: number;
  perQuery: ModeOnSource;
  batch: ModeOnSource;
  /**
   * The source's part of the run's gainPct: its rows' batch minus per-query quality over the
   * per-query run's total quality, in percent. The parts of all sources sum to gainPct.
   */
  gainPct: number;
}

/** A run's picks: the arm index (into `arms`) chosen at each step of the replayed order. */
export interface Picks {
  arms: readonly ArmId[];
  picks: ArrayLike<number>;
}

/**
 * Where batch routing gains or loses against per-query routing, source by source, in the order the
 * sources first appear: which sources took the money and what it bought. `ordered` is the
 * replayed order (`orderRows`); costs are the rows' own (a scenario's price event is not applied,
 * so callers report this for stationary runs). Rows without a source count as 'unknown'.
 */
export function sourceBreakdown(
  ordered: readonly ReplayRow[],
  perQuery: Picks,
  batch: Picks,
  budgetPerQueryUsd: number | null,
): SourceFigures[] {
  if (perQuery.picks.length !== ordered.length || batch.picks.length !== ordered.length)
    throw new Error(
      `sourceBreakdown: ${ordered.length} rows, but ${perQuery.picks.length} per-query and ${batch.picks.length} batch picks`,
    );
  const budgetUsd = budgetPerQueryUsd === null ? null : budgetPerQueryUsd * ordered.length;
  const bySource = new Map<string, { firstRow: number; rows: number[] }>();
  ordered.forEach((r, i) => {
    const key = r.source ?? 'unknown';
    const s = bySource.get(key) ?? { firstRow: i, rows: [] };
    s.rows.push(i);
    bySource.set(key, s);
  });
  let perQueryTotal = 0;
  ordered.forEach((r, i) => (perQueryTotal += r.arms[perQuery.arms[perQuery.picks[i]]].reward));
  const served = (run: Picks, rows: readonly number[]) => {
    let quality = 0;
    let cost = 0;
    const counts: Record<ArmId, number> = Object.fromEntries(run.arms.map((a) => [a, 0]));
    for (const i of rows) {
      const arm = run.arms[run.picks[i]];
      const o = ordered[i].arms[arm];
      quality += o.reward;
      cost += o.cost;
      counts[arm] += 1;
    }
    const shares = Object.fromEntries(Object.entries(counts).map(([a, c]) => [a, c / rows.length]));
    return { quality, on: { meanQuality: quality / rows.length, budgetShare: budgetUsd && cost / budgetUsd, shares } };
  };
  return [...bySource.entries()].map(([source, { firstRow, rows }]) => {
    const p = served(perQuery, rows);
    const b = served(batch, rows);
    return {
      source,
      rows: rows.length,
      firstRow,
      perQuery: p.on,
      batch: b.on,
      gainPct: (100 * (b.quality - p.quality)) / perQueryTotal,
    };
  });
}
