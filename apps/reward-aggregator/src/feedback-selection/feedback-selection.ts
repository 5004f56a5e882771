import { EntityManager } from 'typeorm';
import { FeedbackEvent, FeedbackSource, isPairwise, PairwiseFeedback, ScoreFeedback } from '@llm-router/contracts';
import { loggedContext, ScopeEngine } from '@llm-router/engine';
import { learnFromPreference } from '@llm-router/preference';
import { DecisionEntity } from '@llm-router/persistence';

/**
 * Which source's score becomes a decision's one reward: the client's (or a replay's, which
 * stands for one) over the judge's over the heuristic's.
 */
export const PRECEDENCE: Record<FeedbackSource, number> = { user: 3, replay: 3, judge: 2, heuristic: 1 };
const TOP = 3;

/**
 * feedback_log.state: 'offered' (top precedence, handed to the ledger, which applies it or
 * finds the decision already rewarded), 'late' (client feedback after the grace, while a
 * lower source had waited for it), 'held' (judge or heuristic, waiting), 'released' (held,
 * then re-published as the reward), 'superseded' (held, but another source was applied),
 * 'expired' (held, its decision never came); pairwise: 'learned', 'logged' (the policy cannot
 * learn from a comparison, or both answers came from one arm), 'unmatched', 'cross-scope'.
 */
export type FeedbackLogState =
  | 'offered'
  | 'late'
  | 'held'
  | 'released'
  | 'superseded'
  | 'expired'
  | 'learned'
  | 'logged'
  | 'unmatched'
  | 'cross-scope';

/**
 * Logs a batch's score feedback in feedback_log (in the batch's transaction, with its offsets;
 * one statement each way whatever the batch's size) and says, per feedback, whether the
 * ledger applies it now. Judge and heuristic scores are held: the release job re-publishes the
 * best one when FEEDBACK_GRACE_S has passed without client feedback. Client feedback after
 * the grace of a decision some source had to wait for is logged 'late' and not applied,
 * judged by when the client gave it (ts), so a replay of the log decides the same way; a score
 * held earlier in the same batch counts as one logged before.
 */
export async function admitScores(
  em: EntityManager,
  batch: readonly ScoreFeedback[],
  graceS: number,
): Promise<boolean[]> {
  // Already logged when they were held: these are their releases.
  const fresh = batch.filter((f) => !f.graceElapsed);
  const topIds = [
    ...new Set(fresh.flatMap((f) => (PRECEDENCE[f.source] === TOP && f.decisionId ? [f.decisionId] : []))),
  ];
  const decided = new Map<string, { decidedAt: number; waited: boolean }>();
  if (topIds.length > 0) {
    const rows: { decision_id: string; decided_at: Date; waited: boolean }[] = await em.query(
      `SELECT d.decision_id, d.decided_at,
              EXISTS (SELECT 1 FROM feedback_log fl WHERE fl.decision_id = d.decision_id AND fl.kind = 'score'
                        AND fl.state IN ('held', 'released')) AS waited
         FROM decisions d WHERE d.decision_id = ANY($1)`,
      [topIds],
    );
    for (const r of rows) decided.set(r.decision_id, { decidedAt: new Date(r.decided_at).getTime(), waited: r.waited });
  }
  const heldHere = new Set<string>();
  const rows: FeedbackLogRow[] = fresh.map((f) => {
    let state: FeedbackLogState = PRECEDENCE[f.source] === TOP ? 'offered' : 'held';
    if (state === 'held' && f.decisionId) heldHere.add(f.decisionId);
    const d = state === 'offered' && f.decisionId ? decided.get(f.decisionId) : undefined;
    if (d && (d.waited || heldHere.has(f.decisionId!)) && d.decidedAt + graceS * 1000 < Date.parse(f.ts))
      state = 'late';
    return {
      kind: 'score',
      source: f.source,
      scope: f.scope ?? null,
      decision_id: f.decisionId ?? null,
      request_id: f.requestId ?? null,
      quality: f.quality,
      cost_usd: f.costUsd ?? null,
      evaluation_cost_usd: f.evaluationCostUsd ?? null,
      state,
      given_at: f.ts,
    };
  });
  await logFeedback(em, rows);
  const state = new Map(fresh.map((f, i) => [f, rows[i].state]));
  return batch.map((f) => (f.graceElapsed ? true : state.get(f) === 'offered'));
}

/**
 * The batch with `graceElapsed` kept only on the aggregator's own releases (FeedbackReleaseService),
 * and the count of those it was dropped from. A release re-publishes a score the aggregator held,
 * for a decision past FEEDBACK_GRACE_S; any client that may write feedback.rewards could set the
 * flag too (HTTP refuses it) and have a judge's score applied at once, ahead of the user's. A
 * release is genuine when feedback_log holds a score of its source and quality for its decision
 * (by decision id, or by the decision's request id), held or released, and the decision is past
 * the grace. 'held' counts too: the release is published before its transaction marks the row
 * released and commits, so the ledger may read it first. Anything else is admitted as the fresh
 * feedback it is: held for the grace, or applied by precedence.
 */
export async function genuineReleases(
  em: EntityManager,
  batch: readonly FeedbackEvent[],
  graceS: number,
): Promise<{ batch: FeedbackEvent[]; forged: number }> {
  const claimed = batch.filter((f): f is ScoreFeedback => !isPairwise(f) && f.graceElapsed === true);
  if (claimed.length === 0) return { batch: [...batch], forged: 0 };
  const ids = [...new Set(claimed.flatMap((f) => (f.decisionId ? [f.decisionId] : [])))];
  const rows: { decision_id: string; source: string; quality: number }[] =
    ids.length === 0
      ? []
      : await em.query(
          `SELECT d.decision_id, fl.source, fl.quality
             FROM decisions d
             JOIN feedback_log fl ON fl.decision_id = d.decision_id
                                  OR (fl.decision_id IS NULL AND fl.request_id = d.request_id)
            WHERE d.decision_id = ANY($1) AND d.decided_at < now() - make_interval(secs => $2)
              AND fl.kind = 'score' AND fl.state IN ('held', 'released')`,
          [ids, graceS],
        );
  const held = new Set(rows.map((r) => releaseKey(r.decision_id, r.source, r.quality)));
  let forged = 0;
  const out = batch.map((f): FeedbackEvent => {
    if (isPairwise(f) || !f.graceElapsed) return f;
    if (f.decisionId && held.has(releaseKey(f.decisionId, f.source, f.quality))) return f;
    forged++;
    const { graceElapsed: _forged, ...fresh } = f;
    return fresh;
  });
  return { batch: out, forged };
}

function releaseKey(decisionId: string, source: string, quality: number): string {
  return JSON.stringify([decisionId, source, quality]);
}

/**
 * A pairwise preference: kept in feedback_log, and learned by the scope's policy when both
 * decisions are known, in one scope, from different arms, and the policy learns from
 * comparisons (the preference router). The context is the winner's as it was decided on
 * (the same prompt as the loser's in an A/B comparison). A preference that arrives before
 * its decisions is logged as 'unmatched', not retried.
 */
export async function learnPairwise(
  em: EntityManager,
  f: PairwiseFeedback,
  featureDim: number,
  engineOf: (scope: string) => Promise<ScopeEngine>,
  touched: Set<string>,
): Promise<void> {
  const rows = await em.find(DecisionEntity, {
    where: [{ decisionId: f.winnerDecisionId }, { decisionId: f.loserDecisionId }],
  });
  const winner = rows.find((r) => r.decisionId === f.winnerDecisionId);
  const loser = rows.find((r) => r.decisionId === f.loserDecisionId);
  let state: FeedbackLogState = 'unmatched';
  if (winner && loser && winner.scope !== loser.scope) state = 'cross-scope';
  else if (winner && loser) {
    const engine = await engineOf(winner.scope);
    const ctx = loggedContext(
      { features: winner.features ?? undefined, textFeatures: winner.textFeatures ?? undefined },
      featureDim,
    );
    state = learnFromPreference(engine.policy, ctx, winner.arm, loser.arm) ? 'learned' : 'logged';
    if (state === 'learned') touched.add(winner.scope);
  }
  await logFeedback(em, [
    {
      kind: 'pairwise',
      source: f.source,
      scope: winner?.scope ?? f.scope ?? null,
      winner_decision_id: f.winnerDecisionId,
      loser_decision_id: f.loserDecisionId,
      state,
      given_at: f.ts,
    },
  ]);
}

type FeedbackLogRow = {
  kind: 'score' | 'pairwise';
  source: FeedbackSource;
  scope: string | null;
  state: FeedbackLogState;
  given_at: string;
} & Partial<
  Record<'decision_id' | 'request_id' | 'winner_decision_id' | 'loser_decision_id', string | null> &
    Record<'quality' | 'cost_usd' | 'evaluation_cost_usd', number | null>
>;

/** Appends rows to feedback_log in one statement, in the order given (their ids follow it). */
async function logFeedback(em: EntityManager, rows: FeedbackLogRow[]): Promise<void> {
  if (rows.length === 0) return;
  await em.query(
    `INSERT INTO feedback_log (kind, source, scope, decision_id, request_id, winner_decision_id, loser_decision_id,
       quality, cost_usd, evaluation_cost_usd, state, given_at)
     SELECT kind, source, scope, decision_id, request_id, winner_decision_id, loser_decision_id,
       quality, cost_usd, evaluation_cost_usd, state, given_at
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(elem, ord),
         jsonb_to_record(e.elem) AS x(kind text, source text, scope text, decision_id text, request_id text,
           winner_decision_id text, loser_decision_id text, quality double precision, cost_usd double precision,
           evaluation_cost_usd double precision, state text, given_at timestamptz)
      ORDER BY ord`,
    [JSON.stringify(rows)],
  );
}

/** A held score whose grace has passed, with the decision it belongs to. */
export interface DueFeedback {
  id: string;
  source: FeedbackSource;
  quality: number;
  cost_usd: number | null;
  decision_id: string;
  scope: string;
}

/** Of the held scores of one decision, the one that becomes its reward: highest precedence, then the first received. */
export function chooseHeld(held: readonly DueFeedback[]): DueFeedback {
  return held.reduce((best, f) =>
    PRECEDENCE[f.source] > PRECEDENCE[best.source] ||
    (PRECEDENCE[f.source] === PRECEDENCE[best.source] && BigInt(f.id) < BigInt(best.id))
      ? f
      : best,
  );
}
