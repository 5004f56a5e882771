/** How a window's wait for the rewards of the windows before it ended. */
export type FeedbackWaitOutcome =
  /** Nothing to wait for: no window dispatched yet, or waiting is off. */
  | 'none'
  /** The policy had learned as many rewards as the windows before it dispatched. */
  | 'learned'
  /** The wait ran out (or the planner stops); the window is planned on what the policy knows. */
  | 'timeout'
  /** The scope's last wait learned nothing at all: it gets no feedback, or none at this pace. */
  | 'quiet';

export interface FeedbackWaitOptions {
  /** Longest wait (BATCH_FEEDBACK_WAIT_MS); 0 = never waits. */
  waitMs: number;
  /** How often the policy's reward count is read. */
  pollMs: number;
  /** A stop ends the wait, as a timeout does. */
  signal?: AbortSignal;
}

/**
 * Per scope, the reward count a window's policy should have learned before the window is planned:
 * the count when the last window was dispatched plus its queries. The replay plans each window
 * on a policy that has learned from every earlier one; live, windows closed faster than their
 * rewards came back were planned on a policy many windows old (docs/decisions/0035, 0037).
 *
 * A scope with no feedback must not make every window wait out the timeout: once a whole wait
 * has passed without a single reward learned, the scope is quiet and its windows go at once
 * until its count moves again. Waiting is not skipped merely because no reward has been learned
 * yet: at the start of a run the first rewards are seconds away, and the windows planned
 * without them (on the warm start alone) cost a warm by-source run 0.03 of mean quality.
 */
export class FeedbackWait {
  private readonly marks = new Map<string, number>();
  /** Per quiet scope: its reward count when it fell quiet. */
  private readonly quietAt = new Map<string, number>();

  /**
   * A window (or part) was dispatched: `mark` is the reward count at which the scope's policy has
   * learned from it (the count when its window was planned plus the queries sent so far).
   */
  dispatched(scope: string, mark: number): void {
    this.marks.set(scope, mark);
  }

  /**
   * Resolves once `learned(mark)` reaches the scope's mark, the wait runs out, or the scope is
   * quiet. `learned` is given the mark so that it can put in a snapshot that reaches it at once.
   */
  async wait(
    scope: string,
    learned: (mark: number) => number,
    opts: FeedbackWaitOptions,
  ): Promise<FeedbackWaitOutcome> {
    const mark = this.marks.get(scope);
    if (mark === undefined || opts.waitMs <= 0) return 'none';
    const before = learned(mark);
    if (before >= mark) return 'learned';
    if (this.quietAt.get(scope) === before) return 'quiet';
    this.quietAt.delete(scope);
    const started = Date.now();
    while (learned(mark) < mark && Date.now() - started < opts.waitMs && !opts.signal?.aborted)
      await new Promise((r) => setTimeout(r, opts.pollMs));
    const now = learned(mark);
    if (now >= mark) return 'learned';
    if (now === before && !opts.signal?.aborted) this.quietAt.set(scope, now);
    return 'timeout';
  }
}
