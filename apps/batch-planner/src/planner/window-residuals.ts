import { RecentResiduals } from '@llm-router/batch';

/** A dispatched call whose reward has not been read yet. */
interface SentCall {
  model: string;
  /** The policy's estimate the window was planned on (WindowAssignment.estimate). */
  estimate: number;
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
 * State lives in the process: a restarted planner starts from no correction, as the replay's
 * first window does.
 */
export class WindowResiduals {
  readonly residuals: RecentResiduals;
  private readonly sent = new Map<string, SentCall>();

  constructor(residuals = new RecentResiduals()) {
    this.residuals = residuals;
  }

  /** A call was dispatched under `decisionId`. */
  dispatched(decisionId: string, model: string, estimate: number): void {
    this.sent.set(decisionId, { model, estimate, age: 0 });
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
        this.residuals.observe(call.model, call.estimate, quality);
        this.sent.delete(id);
      } else if (windowEnds && ++call.age > MAX_AGE) this.sent.delete(id);
    }
  }
}

/** Windows a call's reward is awaited for. */
const MAX_AGE = 3;
