import { EntityManager } from 'typeorm';
import { DecisionEvent, ScoreFeedback } from '@llm-router/contracts';

/** What learning needs of a logged decision: the context it decided on, its prices and its bill. */
export type LoggedDecision = Pick<
  DecisionEvent,
  'decisionId' | 'scope' | 'arm' | 'features' | 'textFeatures' | 'priceSnapshot' | 'lambda' | 'realisedCostUsd' | 'ts'
>;

export interface RewardRow {
  decisionId: string;
  scope: string;
  arm: string;
  quality: number;
  costUsd: number;
  lambda: number;
  reward: number;
  source: string;
}

/** A reward the ledger accepted, with its place in the order of application. */
export interface AppliedReward extends RewardRow {
  seq: string;
}

export interface WaitingFeedback {
  quality: number;
  costUsd?: number;
  source: string;
}

/** Columns of a logged decision as learning reads them back. */
const DECISION_COLUMNS = `d.decision_id, d.scope, d.arm, d.features, d.text_features, d.price_snapshot, d.lambda, d.realised_cost_usd, d.decided_at`;

interface DecisionRow {
  decision_id: string;
  scope: string;
  arm: string;
  features: Record<string, number> | null;
  text_features: { indices: number[]; values: number[] } | null;
  price_snapshot: Record<string, number>;
  lambda: number;
  realised_cost_usd: number | null;
  decided_at: Date;
}

function loggedDecision(r: DecisionRow): LoggedDecision {
  return {
    decisionId: r.decision_id,
    scope: r.scope,
    arm: r.arm,
    features: r.features ?? undefined,
    textFeatures: r.text_features ?? undefined,
    priceSnapshot: r.price_snapshot,
    lambda: r.lambda,
    realisedCostUsd: r.realised_cost_usd ?? undefined,
    ts: r.decided_at.toISOString(),
  };
}

/** TypeORM answers INSERT ... RETURNING with the rows, UPDATE and DELETE ... RETURNING with [rows, affected]. */
const returned = <T>(r: T[] | [T[], number]): T[] =>
  r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number' ? (r[0] as T[]) : (r as T[]);

/**
 * The aggregator's statements, one per kind per Kafka batch whatever its size: rows go in as
 * one jsonb array (jsonb_array_elements ... WITH ORDINALITY keeps the log order), conflicts are
 * decided by the keys (ON CONFLICT DO NOTHING), and RETURNING says which rows took effect.
 * Every method runs inside the caller's transaction.
 */
export class SetBasedLedger {
  /** Logs the decisions; returns those not logged before, in log order (a repeat in the batch counts once). */
  async insertDecisions(em: EntityManager, decisions: DecisionEvent[]): Promise<DecisionEvent[]> {
    if (decisions.length === 0) return [];
    const rows = decisions.map((d) => ({
      decision_id: d.decisionId,
      request_id: d.requestId,
      scope: d.scope,
      policy: d.policy,
      policy_version: d.policyVersion,
      arm: d.arm,
      propensity: d.propensity,
      scores: d.scores,
      features: d.features ?? null,
      price_snapshot: d.priceSnapshot,
      lambda: d.lambda,
      mode: d.mode,
      batch_id: d.batchId ?? null,
      decided_at: d.ts,
      text_features: d.textFeatures ?? null,
      realised_cost_usd: d.realisedCostUsd ?? null,
      usage: d.usage ?? null,
      fallback_from: d.fallbackFrom ?? null,
    }));
    const inserted: { decision_id: string }[] = await em.query(
      `INSERT INTO decisions (decision_id, request_id, scope, policy, policy_version, arm, propensity, scores, features,
         price_snapshot, lambda, mode, batch_id, decided_at, text_features, realised_cost_usd, usage, fallback_from)
       SELECT decision_id, request_id, scope, policy, policy_version, arm, propensity, scores, features,
         price_snapshot, lambda, mode, batch_id, decided_at, text_features, realised_cost_usd, usage, fallback_from
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(elem, ord),
         jsonb_to_record(e.elem) AS x(decision_id text, request_id text, scope text,
         policy text, policy_version integer, arm text, propensity double precision, scores jsonb, features jsonb,
         price_snapshot jsonb, lambda double precision, mode text, batch_id text, decided_at timestamptz,
         text_features jsonb, realised_cost_usd double precision, usage jsonb, fallback_from text)
       ORDER BY ord
       ON CONFLICT (decision_id) DO NOTHING RETURNING decision_id`,
      [JSON.stringify(rows)],
    );
    const fresh = new Set(inserted.map((r) => r.decision_id));
    return decisions.filter((d) => fresh.delete(d.decisionId));
  }

  /**
   * Removes the feedback waiting for these decisions (named by decision id or by request id)
   * and returns it per decision id; the decision id's wins when both are waiting.
   */
  async takePending(em: EntityManager, decisions: DecisionEvent[]): Promise<Map<string, WaitingFeedback>> {
    const keys = decisions.flatMap((d) => [`d:${d.decisionId}`, `r:${d.requestId}`]);
    const rows = returned<{ match_key: string; quality: number; cost_usd: number | null; source: string }>(
      await em.query(
        `DELETE FROM pending_feedback WHERE match_key = ANY($1) RETURNING match_key, quality, cost_usd, source`,
        [keys],
      ),
    );
    const byKey = new Map(rows.map((r) => [r.match_key, r]));
    const out = new Map<string, WaitingFeedback>();
    for (const d of decisions) {
      const p = byKey.get(`d:${d.decisionId}`) ?? byKey.get(`r:${d.requestId}`);
      if (p) out.set(d.decisionId, { quality: p.quality, costUsd: p.cost_usd ?? undefined, source: p.source });
    }
    return out;
  }

  /** The logged decisions this feedback names: by decision id, or the first decision of a request id. */
  async findDecisions(
    em: EntityManager,
    feedback: ScoreFeedback[],
  ): Promise<{ byId: Map<string, LoggedDecision>; byRequest: Map<string, LoggedDecision> }> {
    const ids = [...new Set(feedback.flatMap((f) => (f.decisionId ? [f.decisionId] : [])))];
    const requests = [...new Set(feedback.flatMap((f) => (f.decisionId ? [] : [f.requestId!])))];
    const byId = new Map<string, LoggedDecision>();
    const byRequest = new Map<string, LoggedDecision>();
    if (ids.length > 0) {
      const rows: DecisionRow[] = await em.query(
        `SELECT ${DECISION_COLUMNS} FROM decisions d WHERE d.decision_id = ANY($1)`,
        [ids],
      );
      for (const r of rows) byId.set(r.decision_id, loggedDecision(r));
    }
    if (requests.length > 0) {
      const rows: (DecisionRow & { request_id: string })[] = await em.query(
        `SELECT DISTINCT ON (d.request_id) d.request_id, ${DECISION_COLUMNS} FROM decisions d
         WHERE d.request_id = ANY($1) ORDER BY d.request_id, d.decided_at ASC`,
        [requests],
      );
      for (const r of rows) byRequest.set(r.request_id, loggedDecision(r));
    }
    return { byId, byRequest };
  }

  /** Feedback whose decision is not logged yet waits (the first of duplicates is kept). */
  async park(em: EntityManager, feedback: ScoreFeedback[], ttlSeconds: number): Promise<void> {
    const rows = feedback.map((f) => ({
      match_key: f.decisionId ? `d:${f.decisionId}` : `r:${f.requestId}`,
      scope: f.scope ?? null,
      quality: f.quality,
      cost_usd: f.costUsd ?? null,
      source: f.source,
    }));
    await em.query(
      `INSERT INTO pending_feedback (match_key, scope, quality, cost_usd, source, expires_at)
       SELECT match_key, scope, quality, cost_usd, source, now() + make_interval(secs => $2)
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(elem, ord),
         jsonb_to_record(e.elem) AS x(match_key text, scope text, quality double precision,
         cost_usd double precision, source text)
       ORDER BY ord
       ON CONFLICT (match_key) DO NOTHING`,
      [JSON.stringify(rows), ttlSeconds],
    );
  }

  /**
   * The reward ledger's insert: its primary key refuses a second reward for a decision, so
   * only the rows returned take effect, sorted by seq, which follows the log order (nextval
   * runs after the ORDER BY). A decision rewarded twice in one batch keeps its first reward.
   */
  async insertRewards(em: EntityManager, rows: RewardRow[]): Promise<AppliedReward[]> {
    if (rows.length === 0) return [];
    const inserted: {
      decision_id: string;
      scope: string;
      arm: string;
      quality: number;
      cost_usd: number;
      lambda: number;
      reward: number;
      source: string;
      seq: string;
    }[] = await em.query(
      `INSERT INTO rewards (decision_id, scope, arm, quality, cost_usd, lambda, reward, source, applied_at)
       SELECT decision_id, scope, arm, quality, cost_usd, lambda, reward, source, now()
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(elem, ord),
         jsonb_to_record(e.elem) AS x(decision_id text, scope text, arm text,
         quality double precision, cost_usd double precision, lambda double precision, reward double precision,
         source text)
       ORDER BY ord
       ON CONFLICT (decision_id) DO NOTHING
       RETURNING decision_id, scope, arm, quality, cost_usd, lambda, reward, source, seq`,
      [
        JSON.stringify(
          rows.map((r) => ({
            decision_id: r.decisionId,
            scope: r.scope,
            arm: r.arm,
            quality: r.quality,
            cost_usd: r.costUsd,
            lambda: r.lambda,
            reward: r.reward,
            source: r.source,
          })),
        ),
      ],
    );
    return inserted
      .map((r) => ({
        decisionId: r.decision_id,
        scope: r.scope,
        arm: r.arm,
        quality: r.quality,
        costUsd: r.cost_usd,
        lambda: r.lambda,
        reward: r.reward,
        source: r.source,
        seq: String(r.seq),
      }))
      .sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
  }

  /** The running figures per (scope, arm), summed per batch: one upsert. */
  async addArmStats(em: EntityManager, rewards: RewardRow[]): Promise<void> {
    if (rewards.length === 0) return;
    const sums = new Map<string, { scope: string; arm: string; pulls: number; q: number; c: number; r: number }>();
    for (const w of rewards) {
      const key = JSON.stringify([w.scope, w.arm]);
      const s = sums.get(key) ?? { scope: w.scope, arm: w.arm, pulls: 0, q: 0, c: 0, r: 0 };
      s.pulls += 1;
      s.q += w.quality;
      s.c += w.costUsd;
      s.r += w.reward;
      sums.set(key, s);
    }
    await em.query(
      `INSERT INTO arm_stats (scope, arm, pulls, sum_quality, sum_cost, sum_reward)
       SELECT scope, arm, pulls, q, c, r FROM jsonb_to_recordset($1::jsonb)
         AS x(scope text, arm text, pulls integer, q double precision, c double precision, r double precision)
       ON CONFLICT (scope, arm) DO UPDATE SET pulls = arm_stats.pulls + EXCLUDED.pulls,
         sum_quality = arm_stats.sum_quality + EXCLUDED.sum_quality, sum_cost = arm_stats.sum_cost + EXCLUDED.sum_cost,
         sum_reward = arm_stats.sum_reward + EXCLUDED.sum_reward`,
      [JSON.stringify([...sums.values()])],
    );
  }

  /** The scope's rewards applied after `seq`, with their decisions, in the order they were applied. */
  async rewardsAfter(
    em: EntityManager,
    scope: string,
    seq: string,
  ): Promise<{ decision: LoggedDecision; quality: number; costUsd: number; seq: string }[]> {
    const rows: (DecisionRow & { quality: number; cost_usd: number; seq: string })[] = await em.query(
      `SELECT ${DECISION_COLUMNS}, r.quality, r.cost_usd, r.seq FROM rewards r JOIN decisions d USING (decision_id)
       WHERE r.scope = $1 AND r.seq > $2 ORDER BY r.seq`,
      [scope, seq],
    );
    return rows.map((r) => ({
      decision: loggedDecision(r),
      quality: r.quality,
      costUsd: r.cost_usd,
      seq: String(r.seq),
    }));
  }
}
