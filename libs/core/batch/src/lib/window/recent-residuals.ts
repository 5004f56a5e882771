import { requireFinite, requireNonNegative } from '@llm-router/numerics';
import { WindowEstimates } from './window-estimates';

/**
 * Per arm: how the realised quality of the recent windows' calls compared with the estimates
 * they were planned on, with older windows fading by `decay` per window. A policy held by strong
 * priors (a warm start) keeps its estimates where the offline data put them while the mix drifts:
 * on val.jsonl sorted by difficulty its estimated upgrade gain stays at 0.08-0.16 in every window
 * while the true one climbs from 0 to 0.35, so the easy first windows buy upgrades worth nothing
 * (docs/decisions/0028). Adding each arm's recent mean residual to its estimates lets the plan
 * follow the drift a window late instead of not at all.
 */
export class RecentResiduals {
  /** Per arm id: the decayed sum of residuals and count of calls. */
  private readonly arms = new Map<string, ArmResiduals>();

  constructor(
    /** Weight a window's residuals keep per later window. */
    readonly decay = 0.8,
    /**
     * Calls' worth of a zero-residual prior. Small: a window sends a few dozen calls to its dearer
     * arm, and a prior of 20 calls damped their residual by a quarter to a half, so the plan kept
     * buying upgrades the last windows had shown to be worth little (warm by-difficulty,
     * docs/decisions/0031-batch-gains.md).
     */
    readonly priorCalls = 5,
  ) {}

  /** The state, as plain data (`RecentResiduals.restore` takes it back). */
  toJSON(): RecentResidualsState {
    const arms: Record<string, ArmResiduals> = {};
    for (const [arm, a] of this.arms) arms[arm] = { sum: a.sum, count: a.count };
    return { decay: this.decay, priorCalls: this.priorCalls, arms };
  }

  /**
   * An instance in the state `toJSON` gave, checked: a state read back from storage that is not
   * one (a count below 0, a sum that is not finite) throws, naming the field.
   */
  static restore(state: unknown): RecentResiduals {
    const s = state as Partial<RecentResidualsState> | null;
    if (typeof s !== 'object' || s === null) throw new Error('recent residuals: state is not an object');
    if (!(typeof s.decay === 'number' && s.decay > 0 && s.decay <= 1))
      throw new Error(`recent residuals: decay must be in (0, 1], got ${String(s.decay)}`);
    requireNonNegative('recent residuals: priorCalls', s.priorCalls as number);
    if (typeof s.arms !== 'object' || s.arms === null) throw new Error('recent residuals: arms is not an object');
    const r = new RecentResiduals(s.decay, s.priorCalls);
    for (const [arm, a] of Object.entries(s.arms as Record<string, Partial<ArmResiduals>>)) {
      const sum = requireFinite(`recent residuals: arms.${arm}.sum`, a?.sum as number);
      const count = requireNonNegative(`recent residuals: arms.${arm}.count`, a?.count as number);
      r.arms.set(arm, { sum, count });
    }
    return r;
  }

  /** A new window begins: what the earlier ones showed weighs `decay` times less. */
  nextWindow(): void {
    for (const a of this.arms.values()) {
      a.sum *= this.decay;
      a.count *= this.decay;
    }
  }

  /** One call of `arm`: the uncorrected estimate it was planned on, and the quality it realised. */
  observe(arm: string, estimate: number, realised: number): void {
    let a = this.arms.get(arm);
    if (!a) this.arms.set(arm, (a = { sum: 0, count: 0 }));
    a.sum += realised - estimate;
    a.count++;
  }

  /** Mean recent residual of `arm`, shrunk towards 0 (0 for an arm with no call yet). */
  correction(arm: string): number {
    const a = this.arms.get(arm);
    return a ? a.sum / (a.count + this.priorCalls) : 0;
  }

  /**
   * The estimates with every available entry corrected, kept on the quality scale [0, 1] (in
   * place); `arms[j]` is the arm of column j.
   */
  apply(e: WindowEstimates, arms: readonly string[]): void {
    const corrections = arms.map((a) => this.correction(a));
    for (let i = 0; i < e.n; i++)
      for (let j = 0; j < e.k; j++) {
        const x = i * e.k + j;
        if (e.available[x]) e.quality[x] = Math.min(1, Math.max(0, e.quality[x] + corrections[j]));
      }
  }
}

/** One arm's decayed sum of residuals and count of calls. */
export interface ArmResiduals {
  sum: number;
  count: number;
}

/** `RecentResiduals` as plain data: what a planner stores to keep its correction across a restart. */
export interface RecentResidualsState {
  decay: number;
  priorCalls: number;
  arms: Record<string, ArmResiduals>;
}
