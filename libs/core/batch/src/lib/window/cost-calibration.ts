import { BillTotals, costLevel } from '@llm-router/pricing';

/**
 * Calls per arm, its latest, that the level is measured on. What a model costs against its
 * estimate moves with the mix of prompts (mistral at 1.37 times its estimate on a new source,
 * while the level learnt on the period's cheaper sources was 0.88: docs/decisions/0037), and a
 * level over the whole period would follow such a change ever more slowly.
 */
export const CALIBRATION_CALLS = 200;

/**
 * Per arm, how realised costs compare with the costs the plan expected. A per-prompt expected
 * cost rests on a usage level that lags: a model nobody has called yet is assumed to use as
 * many tokens as the others (a reasoning flagship uses tens of times more), and a usage model
 * fitted against early expectations double-counts a level the cost model has since learnt.
 * Per-query routing corrects that after one call; a plan of hundreds of calls would not. The
 * planner multiplies its expected costs by `level`: realised over expected on the arm's recent
 * calls (libs/core/pricing `costLevel`). The batch-planner app measures its level the same way,
 * over each model's last BATCH_COST_LEVEL_CALLS billed calls.
 */
export class CostCalibration {
  private readonly calls: { realised: number; expected: number }[][];

  constructor(
    k: number,
    /** Calls of each arm the level is measured on, its latest. */
    readonly recentCalls = CALIBRATION_CALLS,
  ) {
    if (!Number.isInteger(recentCalls) || recentCalls < 1)
      throw new Error(`recent calls must be an integer >= 1, got ${recentCalls}`);
    this.calls = Array.from({ length: k }, () => []);
  }

  /** One call of `arm`: what it cost, and what the uncalibrated plan expected. */
  observe(arm: number, realised: number, expected: number): void {
    if (!(expected > 0) || !(realised >= 0) || !Number.isFinite(expected) || !Number.isFinite(realised)) return;
    const c = this.calls[arm];
    c.push({ realised, expected });
    if (c.length > this.recentCalls) c.shift();
  }

  /** Calls of `arm` its level is measured on (at most `recentCalls`). */
  bills(arm: number): number {
    return this.calls[arm].length;
  }

  /** Whether a call of `arm` has been seen: before that, its expected cost is the price list's guess. */
  priced(arm: number): boolean {
    return this.bills(arm) > 0;
  }

  /** Arms no call of which has been seen yet (see planWindow's `unpricedArms`). */
  unpricedArms(): number[] {
    return this.calls.flatMap((_, j) => (this.priced(j) ? [] : [j]));
  }

  /** What the recent calls of `arm` cost, what the plan expected of them, and how many they are. */
  recentBills(arm: number): BillTotals {
    let realisedUsd = 0;
    let expectedUsd = 0;
    for (const x of this.calls[arm]) {
      realisedUsd += x.realised;
      expectedUsd += x.expected;
    }
    return { realisedUsd, expectedUsd, calls: this.calls[arm].length };
  }

  /**
   * Realised over expected on the recent calls of `arm`, without the level's prior (null before
   * any): what KindLedger compares a kind's own ratio with, measured alike.
   */
  ratio(arm: number): number | null {
    const b = this.recentBills(arm);
    return b.expectedUsd > 0 ? b.realisedUsd / b.expectedUsd : null;
  }

  level(arm: number): number {
    return costLevel(this.recentBills(arm));
  }
}
