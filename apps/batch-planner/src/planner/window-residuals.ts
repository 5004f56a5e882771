import { FREE_FORM, RecentResiduals, RecentResidualsState } from '@llm-router/batch';

/** A dispatched call whose reward has not been read yet. */
interface SentCall {
  model: string;
  /** The policy's estimate the window was planned on (WindowAssignment.estimate). */
  estimate: number;
  /** The kind of its prompt the window was planned with (WindowAssignment.kind). */
  kind: string;
  /** Windows begun since it was sent. */
  age: number;
}

/**
 * A scope's recent-residual correction, live: the batch replay corrects each window's estimates
 * by how the calls of the windows before it did against the estimates they were planned on
 * (libs/core/batch `RecentResiduals`, on with a warm start). The replay knows a call's quality
 * as soon as it is made; the planner remembers each call it sends and reads its reward when the
 * next window is planned (the feedback wait has then let the rewards of the window before come
 * in). Calls whose reward has not come after `MAX_AGE` windows are forgotten: by then their
 * residual would weigh little, and without feedback they would be held forever.
 *
 * The state serialises (`toJSON`, `WindowResiduals.restore`): the planner stores it after each
 * round it sends (ResidualStore), so that a restarted planner goes on correcting where the last one
 * stopped and still reads the rewards of the calls that one sent.
 */
export class WindowResiduals {
  readonly residuals: RecentResiduals;
  private readonly sent = new Map<string, SentCall>();

  constructor(residuals = new RecentResiduals()) {
    this.residuals = residuals;
  }

  /** The state, as plain data. */
  toJSON(): WindowResidualsState {
    return {
      residuals: this.residuals.toJSON(),
      sent: [...this.sent].map(([decisionId, c]) => ({ decisionId, ...c })),
    };
  }

  /** An instance in the state `toJSON` gave; a state that is not one throws, naming what is wrong. */
  static restore(state: unknown): WindowResiduals {
    const s = state as Partial<WindowResidualsState> | null;
    if (typeof s !== 'object' || s === null) throw new Error('window residuals: state is not an object');
    const r = new WindowResiduals(RecentResiduals.restore(s.residuals));
    if (!Array.isArray(s.sent)) throw new Error('window residuals: sent is not an array');
    for (const c of s.sent as Partial<SentCallState>[]) {
      const ok =
        typeof c?.decisionId === 'string' &&
        typeof c.model === 'string' &&
        typeof c.kind === 'string' &&
        typeof c.estimate === 'number' &&
        Number.isFinite(c.estimate) &&
        Number.isInteger(c.age) &&
        (c.age as number) >= 0;
      if (!ok) throw new Error(`window residuals: not a sent call: ${JSON.stringify(c)}`);
      const { decisionId, model, kind, estimate, age } = c as SentCallState;
      r.sent.set(decisionId, { model, kind, estimate, age });
    }
    return r;
  }

  /** A call was dispatched under `decisionId`, its prompt of `kind` (FREE_FORM when the plan named none). */
  dispatched(decisionId: string, model: string, estimate: number, kind = FREE_FORM): void {
    this.sent.set(decisionId, { model, kind, estimate, age: 0 });
  }

  /** Decisions whose reward is awaited. */
  awaited(): string[] {
    return [...this.sent.keys()];
  }

  /**
   * A new window begins, with the qualities the awaited calls realised (those rewarded so far):
   * their residuals count, then the older windows fade, as the replay observes a window's calls
   * before the next window begins.
   */
  nextWindow(realised: ReadonlyMap<string, number>): void {
    this.learn(realised, true);
    this.residuals.nextWindow();
  }

  /**
   * The rest of a window is planned after its exploration sub-round: the residuals of the calls
   * rewarded so far count at once, and nothing fades, as the replay observes the sub-round's
   * calls within the window.
   */
  withinWindow(realised: ReadonlyMap<string, number>): void {
    this.learn(realised, false);
  }

  private learn(realised: ReadonlyMap<string, number>, windowEnds: boolean): void {
    for (const [id, call] of this.sent) {
      const quality = realised.get(id);
      if (quality !== undefined && Number.isFinite(quality)) {
        this.residuals.observe(call.model, call.kind, call.estimate, quality);
        this.sent.delete(id);
      } else if (windowEnds && ++call.age > MAX_AGE) this.sent.delete(id);
    }
  }
}

/** Windows a call's reward is awaited for. */
const MAX_AGE = 3;

/** A sent call as stored. */
export interface SentCallState extends SentCall {
  decisionId: string;
}

/** `WindowResiduals` as plain data (the batch_residuals row of a scope). */
export interface WindowResidualsState {
  residuals: RecentResidualsState;
  /** The calls whose reward is awaited. */
  sent: SentCallState[];
}
