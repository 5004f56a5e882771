import { requireFinite, requireNonNegative } from '@llm-router/numerics';
import { KIND_PROMPTS, closingPhrase } from './kind-costs';
import { WindowEstimates } from './window-estimates';

/**
 * Per arm and kind of prompt: how the realised quality of the recent windows' calls compared
 * with the estimates they were planned on, with older windows fading by `decay` per window. A
 * policy held by strong priors (a warm start) keeps its estimates where the offline data put them
 * while the mix drifts: on val.jsonl sorted by difficulty its estimated upgrade gain stays at
 * 0.08-0.16 in every window while the true one climbs from 0 to 0.35, so the easy first windows
 * buy upgrades worth nothing (docs/decisions/0028). Adding the recent mean residual to the
 * estimates lets the plan follow the drift a window late instead of not at all.
 *
 * The residuals are kept per kind of prompt (`kindsOf`): what the last source's calls showed
 * about an arm says little about the next source's. Kept per arm alone, a run of one kind of
 * prompt moved the estimates of the next kind by the first's residual, and the plan of every
 * source's first windows rested on another source's surprise (docs/decisions/0044).
 */
export class RecentResiduals {
  /** Per arm id, per kind: the decayed sum of residuals and count of calls. */
  private readonly arms = new Map<string, Map<string, Residuals>>();
  /** Per closing phrase: prompts counted (`count`) that end with it. */
  private readonly closings = new Map<string, number>();

  constructor(
    /** Weight a window's residuals keep per later window. */
    readonly decay = 0.8,
    /**
     * Calls' worth of a zero-residual prior per kind. Small: a window sends a few calls of each
     * kind to its dearer arm, and a larger prior damped their residual so that the plan kept
     * buying upgrades the last windows had shown to be worth little (warm by-difficulty,
     * docs/decisions/0031-batch-gains.md, 0044).
     */
    readonly priorCalls = 1,
  ) {}

  /** The state, as plain data (`RecentResiduals.restore` takes it back). */
  toJSON(): RecentResidualsState {
    const arms: Record<string, Record<string, Residuals>> = {};
    for (const [arm, kinds] of this.arms) {
      arms[arm] = {};
      for (const [kind, r] of kinds) arms[arm][kind] = { sum: r.sum, count: r.count };
    }
    return { decay: this.decay, priorCalls: this.priorCalls, arms, closings: Object.fromEntries(this.closings) };
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
    const r = new RecentResiduals(s.decay, s.priorCalls);
    for (const [arm, kinds] of Object.entries(asObject(s.arms, 'arms'))) {
      const m = new Map<string, Residuals>();
      for (const [kind, a] of Object.entries(asObject(kinds, `arms.${arm}`))) {
        const field = `recent residuals: arms.${arm}.${kind}`;
        const x = a as Partial<Residuals> | null;
        m.set(kind, {
          sum: requireFinite(`${field}.sum`, x?.sum as number),
          count: requireNonNegative(`${field}.count`, x?.count as number),
        });
      }
      r.arms.set(arm, m);
    }
    for (const [closing, n] of Object.entries(asObject(s.closings, 'closings')))
      r.closings.set(closing, requireNonNegative(`recent residuals: closings.${closing}`, n as number));
    return r;
  }

  /**
   * Counts the prompts' closing phrases: the warm-start file's (the period's expected mix) before
   * the first window, then each window's prompts once they are sent, so that a window planned
   * again (after a failed send) does not count its prompts twice.
   */
  count(texts: Iterable<string>): void {
    for (const t of texts) this.see(closingPhrase(t));
  }

  /**
   * The kind of each prompt. A prompt's kind is its closing phrase (its last words: the
   * instruction a template ends with, "answer with the correct letter and explain why") once at
   * least two prompts counted before (`count`) have ended with it; every other prompt (free
   * text, a question of its own) is of one kind, FREE_FORM. Prompts of the same window do not make
   * each other a kind: two questions that happen to end alike would get a kind with no residuals
   * of its own (docs/decisions/0044).
   */
  kindsOf(texts: readonly string[]): string[] {
    return texts.map((t) => this.kindOfClosing(closingPhrase(t)));
  }

  /** A new window begins: what the earlier ones showed weighs `decay` times less. */
  nextWindow(): void {
    for (const [arm, kinds] of this.arms) {
      for (const [kind, r] of kinds) {
        r.sum *= this.decay;
        r.count *= this.decay;
        // A kind not called for many windows weighs nothing any more; forgetting it bounds the state.
        if (r.count < FORGOTTEN_CALLS) kinds.delete(kind);
      }
      if (kinds.size === 0) this.arms.delete(arm);
    }
  }

  /** One call of `arm` on a prompt of `kind`: the uncorrected estimate it was planned on, and the quality it realised. */
  observe(arm: string, kind: string, estimate: number, realised: number): void {
    let kinds = this.arms.get(arm);
    if (!kinds) this.arms.set(arm, (kinds = new Map()));
    let r = kinds.get(kind);
    if (!r) kinds.set(kind, (r = { sum: 0, count: 0 }));
    r.sum += realised - estimate;
    r.count++;
  }

  /**
   * Mean recent residual of `arm` on prompts of `kind`, shrunk towards 0 (0 for a kind it has not
   * been called on lately). Without a kind: over all its recent calls (what the planner logs).
   */
  correction(arm: string, kind?: string): number {
    const kinds = this.arms.get(arm);
    if (!kinds) return 0;
    if (kind !== undefined) {
      const r = kinds.get(kind);
      return r ? r.sum / (r.count + this.priorCalls) : 0;
    }
    let sum = 0;
    let count = 0;
    for (const r of kinds.values()) {
      sum += r.sum;
      count += r.count;
    }
    return sum / (count + this.priorCalls);
  }

  /**
   * The estimates with every available entry corrected by its arm's residual on the query's kind
   * (`kinds[i]`, from `kindsOf`), kept on the quality scale [0, 1] (in place); `arms[j]` is the
   * arm of column j.
   */
  apply(e: WindowEstimates, arms: readonly string[], kinds: readonly string[]): void {
    if (kinds.length !== e.n) throw new Error(`recent residuals: ${kinds.length} kinds for ${e.n} queries`);
    for (let i = 0; i < e.n; i++)
      for (let j = 0; j < e.k; j++) {
        const x = i * e.k + j;
        if (e.available[x]) e.quality[x] = Math.min(1, Math.max(0, e.quality[x] + this.correction(arms[j], kinds[i])));
      }
  }

  private see(closing: string): void {
    const n = this.closings.get(closing);
    if (n !== undefined) {
      this.closings.set(closing, n + 1);
      return;
    }
    if (this.closings.size >= MAX_CLOSINGS) {
      // Free text ends in phrases of its own: those seen once make room; templates stay.
      for (const [c, m] of this.closings) if (m < KIND_PROMPTS) this.closings.delete(c);
      if (this.closings.size >= MAX_CLOSINGS) return;
    }
    this.closings.set(closing, 1);
  }

  private kindOfClosing(closing: string): string {
    return (this.closings.get(closing) ?? 0) >= KIND_PROMPTS ? closing : FREE_FORM;
  }
}

/**
 * Settings of the correction, as the batch-planner's BATCH_RECENT_CORRECTION and the replay's and
 * e2e's --recent-correction take them: `auto` = on with a warm start (docs/decisions/0028).
 */
export const RECENT_CORRECTION_SETTINGS = ['auto', 'on', 'off'] as const;
export type RecentCorrectionSetting = (typeof RECENT_CORRECTION_SETTINGS)[number];

/** Whether a setting turns the correction on, given whether the policy was warm-started. */
export function recentCorrectionFor(setting: RecentCorrectionSetting, warmStarted: boolean): boolean {
  return setting === 'on' || (setting === 'auto' && warmStarted);
}

/** The kind of every prompt whose closing phrase no other prompt has shown. */
export const FREE_FORM = '(free form)';

/** Closing phrases counted at most (the state is stored after every round). */
export const MAX_CLOSINGS = 1024;

/** A kind whose decayed count of calls falls below this is forgotten. */
const FORGOTTEN_CALLS = 1e-3;

/** A stored field that must be an object, or an error naming it. */
function asObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw new Error(`recent residuals: ${field} is not an object`);
  return value as Record<string, unknown>;
}

/** One arm's decayed sum of residuals and count of calls on one kind of prompt. */
export interface Residuals {
  sum: number;
  count: number;
}

/** `RecentResiduals` as plain data: what a planner stores to keep its correction across a restart. */
export interface RecentResidualsState {
  decay: number;
  priorCalls: number;
  /** Per arm, per kind of prompt. */
  arms: Record<string, Record<string, Residuals>>;
  /** Per closing phrase, prompts counted that end with it. */
  closings: Record<string, number>;
}
