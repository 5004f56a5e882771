import { costLevel } from '@llm-router/pricing';

/**
 * Per arm, how realised costs compare with the costs the plan expected. A per-prompt expected
 * cost rests on a usage level that lags: a model nobody has called yet is assumed to use as
 * many tokens as the others (a reasoning flagship uses tens of times more), and a usage model
 * fitted against early expectations double-counts a level the cost model has since learnt.
 * Per-query routing corrects that after one call; a plan of hundreds of calls would not. The
 * planner multiplies its expected costs by `level`: realised over expected on the arm's recent
 * calls (libs/core/pricing `costLevel`).
 */
export class CostCalibration {
  private readonly calls: { realised: number; expected: number }[][];

  constructor(k: number) {
    this.calls = Array.from({ length: k }, () => []);
  }

  /** One call of `arm`: what it cost, and what the uncalibrated plan expected. */
  observe(arm: number, realised: number, expected: number): void {
    if (!(expected > 0) || !(realised >= 0)) return;
    const c = this.calls[arm];
    c.push({ realised, expected });
    if (c.length > CALIBRATION_CALLS) c.shift();
  }

  /** Whether a call of `arm` has been seen: before that, its expected cost is the price list's guess. */
  priced(arm: number): boolean {
    return this.calls[arm].length > 0;
  }

  /** Arms no call of which has been seen yet (see planWindow's `unpricedArms`). */
  unpricedArms(): number[] {
    return this.calls.flatMap((_, j) => (this.priced(j) ? [] : [j]));
  }

  level(arm: number): number {
    let realisedUsd = 0;
    let expectedUsd = 0;
    for (const x of this.calls[arm]) {
      realisedUsd += x.realised;
      expectedUsd += x.expected;
    }
    return costLevel({ realisedUsd, expectedUsd, calls: this.calls[arm].length });
  }
}

/** Recent calls per arm that the calibration keeps. */
const CALIBRATION_CALLS = 200;
