import type { StoredDecision } from './switch-gate';

/**
 * Runs one SQL statement and answers with its rows: a TypeORM DataSource or EntityManager as
 * it is, or a wrapped pg Client. The caller does the I/O; this library only says what to ask.
 */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

interface Row {
  decision_id: string;
  policy: string;
  arm: string;
  propensity: number;
  features: Record<string, number> | null;
  text_features: { indices: number[]; values: number[] } | null;
  price_snapshot: Record<string, number>;
  lambda: number;
  quality: number;
  cost_usd: number;
  reward: number;
}

/**
 * The rewarded decisions of a scope that its policy made, oldest first: the log off-policy
 * evaluation replays (the aggregator's switch gate and `npm run ope -- --from-db` read it here,
 * so both judge the same records). Left out: fallbacks (the arm that answered is not the one
 * the policy chose) and caller-chosen models (policy 'explicit', propensity 1 by fiat).
 * `limit` keeps the most recent decisions.
 */
export async function readScopeDecisionLog(
  db: SqlRunner,
  scope: string,
  opts: { limit: number },
): Promise<StoredDecision[]> {
  const rows = (await db.query(
    `SELECT d.decision_id, d.policy, d.arm, d.propensity, d.features, d.text_features, d.price_snapshot, d.lambda,
            r.quality, r.cost_usd, r.reward
       FROM decisions d JOIN rewards r ON r.decision_id = d.decision_id
      WHERE d.scope = $1 AND d.fallback_from IS NULL AND d.policy <> 'explicit'
      ORDER BY d.decided_at DESC, d.decision_id DESC
      LIMIT $2`,
    [scope, opts.limit],
  )) as Row[];
  return rows.reverse().map((r) => ({
    decisionId: r.decision_id,
    policy: r.policy,
    arm: r.arm,
    propensity: r.propensity,
    features: r.features,
    textFeatures: r.text_features,
    priceSnapshot: r.price_snapshot,
    lambda: r.lambda,
    quality: r.quality,
    costUsd: r.cost_usd,
    reward: r.reward,
  }));
}
