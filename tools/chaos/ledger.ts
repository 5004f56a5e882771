/**
 * What the PostgreSQL ledger says about a run's scope: the rewards applied, whether any was
 * counted twice, and whether any request got two different decisions. The services' own
 * figures (metrics, /stats) are never read: they are what is being checked.
 */
import type { Client } from 'pg';

export interface LedgerFigures {
  /** Rows in rewards for the scope (one per decision: the primary key). */
  rewardsApplied: number;
  /** The aggregator's counter in policy_state; null when the scope has no state row. */
  policyRewardsApplied: number | null;
  /**
   * Decisions whose reward went into the policy more than once: the policy's counter above the
   * ledger's rows, or an arm's pulls in arm_stats above that arm's reward rows; the larger.
   */
  rewardsDoubleCounted: number;
  /** Request ids with more than one decision id (or arm) recorded in decisions. */
  requestsWithConflictingDecisions: string[];
  /** Distinct request ids with a decision recorded. */
  decisionsRecorded: number;
  /** Decision ids that have a reward row. */
  rewardedDecisions: Set<string>;
  /** Reward rows per feedback source (the load labels its feedback `replay`). */
  rewardSources: Record<string, number>;
}

export async function readLedger(db: Client, scope: string): Promise<LedgerFigures> {
  const rewards = await db.query<{ decision_id: string; arm: string; source: string }>(
    'SELECT decision_id, arm, source FROM rewards WHERE scope = $1',
    [scope],
  );
  const policy = await db.query<{ rewards_applied: number }>(
    'SELECT rewards_applied FROM policy_state WHERE scope = $1',
    [scope],
  );
  const pulls = await db.query<{ arm: string; pulls: number }>('SELECT arm, pulls FROM arm_stats WHERE scope = $1', [
    scope,
  ]);
  const conflicts = await db.query<{ request_id: string }>(
    `SELECT request_id FROM decisions WHERE scope = $1 GROUP BY request_id
     HAVING count(DISTINCT decision_id) > 1 OR count(DISTINCT arm) > 1`,
    [scope],
  );
  const recorded = await db.query<{ n: number }>(
    'SELECT count(DISTINCT request_id)::int AS n FROM decisions WHERE scope = $1',
    [scope],
  );
  const rewardSources: Record<string, number> = {};
  for (const r of rewards.rows) rewardSources[r.source] = (rewardSources[r.source] ?? 0) + 1;
  const rewardRowsByArm = new Map<string, number>();
  for (const r of rewards.rows) rewardRowsByArm.set(r.arm, (rewardRowsByArm.get(r.arm) ?? 0) + 1);
  const policyRewardsApplied = policy.rows[0]?.rewards_applied ?? null;
  return {
    rewardsApplied: rewards.rows.length,
    policyRewardsApplied,
    rewardsDoubleCounted: doubleCounted(
      rewards.rows.length,
      policyRewardsApplied,
      rewardRowsByArm,
      new Map(pulls.rows.map((p) => [p.arm, p.pulls])),
    ),
    requestsWithConflictingDecisions: conflicts.rows.map((r) => r.request_id),
    decisionsRecorded: recorded.rows[0].n,
    rewardedDecisions: new Set(rewards.rows.map((r) => r.decision_id)),
    rewardSources,
  };
}

/**
 * Counters that went up more often than the ledger has rows: each excess is a reward applied
 * again. Fewer is not double counting (the counter lags the rows only when a flush is pending).
 */
export function doubleCounted(
  rewardRows: number,
  policyRewardsApplied: number | null,
  rewardRowsByArm: ReadonlyMap<string, number>,
  pullsByArm: ReadonlyMap<string, number>,
): number {
  const policyExcess = Math.max(0, (policyRewardsApplied ?? 0) - rewardRows);
  let armExcess = 0;
  for (const [arm, pulls] of pullsByArm) armExcess += Math.max(0, pulls - (rewardRowsByArm.get(arm) ?? 0));
  return Math.max(policyExcess, armExcess);
}

/** When each of these decisions' rewards was applied (ms since epoch), those that have one. */
export async function rewardTimes(db: Client, decisionIds: string[]): Promise<Map<string, number>> {
  if (decisionIds.length === 0) return new Map();
  const r = await db.query<{ decision_id: string; at: number }>(
    'SELECT decision_id, (extract(epoch from applied_at) * 1000)::float8 AS at FROM rewards WHERE decision_id = ANY($1)',
    [decisionIds],
  );
  return new Map(r.rows.map((x) => [x.decision_id, x.at]));
}

export interface LoopSample {
  sentAt: number;
  answeredAt: number;
  decisionId: string;
}

/**
 * Seconds from a fault until the system worked end to end again: the earliest moment at which
 * some query sent after the fault had been answered and its reward applied. Null while none has.
 */
export function recoverySeconds(
  faultAt: number,
  samples: readonly LoopSample[],
  rewardAt: ReadonlyMap<string, number>,
): number | null {
  let done = Infinity;
  for (const s of samples) {
    if (s.sentAt < faultAt) continue;
    const applied = rewardAt.get(s.decisionId);
    if (applied !== undefined) done = Math.min(done, Math.max(s.answeredAt, applied));
  }
  return Number.isFinite(done) ? Math.max(0, (done - faultAt) / 1000) : null;
}

/** Where in the pipeline a query that never got an answer stopped, as far as the database knows. */
export interface LostTrace {
  requestId: string;
  /** The router answered it and stored the answer (router_answers): the answer was lost after that. */
  storedAnswer: boolean;
  /** The aggregator recorded a decision for it. */
  decisionRecorded: boolean;
  /** A batch-mode query still waiting in the planner's batch_pending. */
  batchPending: boolean;
}

export async function traceLost(db: Client, scope: string, requestIds: string[]): Promise<LostTrace[]> {
  const ids = async (sql: string) =>
    new Set((await db.query<{ id: string }>(sql, [scope, requestIds])).rows.map((r) => r.id));
  const answered = await ids('SELECT request_id AS id FROM router_answers WHERE scope = $1 AND request_id = ANY($2)');
  const decided = await ids('SELECT request_id AS id FROM decisions WHERE scope = $1 AND request_id = ANY($2)');
  const pending = await ids(`SELECT request_id AS id FROM batch_pending WHERE scope = $1 AND request_id = ANY($2)`);
  return requestIds.map((requestId) => ({
    requestId,
    storedAnswer: answered.has(requestId),
    decisionRecorded: decided.has(requestId),
    batchPending: pending.has(requestId),
  }));
}

/** Why acknowledged feedback has no reward row: its decision never reached the ledger, or it is still pending. */
export interface MissingRewardTrace {
  decisionId: string;
  decisionRecorded: boolean;
  feedbackPending: boolean;
}

export async function traceMissingRewards(db: Client, decisionIds: string[]): Promise<MissingRewardTrace[]> {
  const decided = new Set(
    (
      await db.query<{ id: string }>('SELECT decision_id AS id FROM decisions WHERE decision_id = ANY($1)', [
        decisionIds,
      ])
    ).rows.map((r) => r.id),
  );
  const pending = new Set(
    (
      await db.query<{ id: string }>(
        `SELECT substr(match_key, 3) AS id FROM pending_feedback WHERE match_key = ANY($1)`,
        [decisionIds.map((d) => `d:${d}`)],
      )
    ).rows.map((r) => r.id),
  );
  return decisionIds.map((decisionId) => ({
    decisionId,
    decisionRecorded: decided.has(decisionId),
    feedbackPending: pending.has(decisionId),
  }));
}
