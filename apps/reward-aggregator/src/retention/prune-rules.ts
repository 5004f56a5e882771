/**
 * What the retention sweep deletes (docs/decisions/0022-data-lifecycle.md). Each rule names a
 * table, the age below which its rows may go (`data`: RETENTION_DAYS; `decision`: RETENTION_DAYS
 * but never less than FEEDBACK_TTL_S plus DECISION_KEEP_MARGIN_S) and the condition a row must
 * meet, in which `$1` is that age in seconds. consumer_offsets and policy_state are never
 * pruned: they are what exactly-once replays from. spend_ledger, arm_stats and models are small
 * running state, not history.
 */
export interface PruneRule {
  table: string;
  age: 'data' | 'decision';
  where: string;
}

/**
 * Feedback may wait FEEDBACK_TTL_S for its decision, and a decision must still be there when its
 * feedback arrives: the hour covers consumer lag and clock skew between router and aggregator.
 */
export const DECISION_KEEP_MARGIN_S = 3600;

/** pg_try_advisory_lock key of the sweep: one aggregator instance sweeps at a time. */
export const RETENTION_LOCK_KEY = 724_022;

const olderThan = (column: string) => `${column} < now() - make_interval(secs => $1)`;

// Decisions go first: a reward is kept while its decision is, because that reward row is what
// refuses to count a late duplicate of its feedback twice.
export const PRUNE_RULES: readonly PruneRule[] = [
  // recorded_at (when this database got it), not decided_at: a backlog consumed late is kept as
  // long as any other decision, whatever the router's clock said.
  { table: 'decisions', age: 'decision', where: olderThan('recorded_at') },
  {
    table: 'rewards',
    age: 'data',
    where: `${olderThan('applied_at')} AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.decision_id = rewards.decision_id)`,
  },
  // The ledger expires (and counts) pending feedback after FEEDBACK_TTL_S; this is a backstop.
  { table: 'pending_feedback', age: 'decision', where: olderThan('received_at') },
  // Every source's score and every preference (docs/decisions/0023): kept as long as decisions,
  // so that a held score is never pruned before its grace and TTL have run out.
  { table: 'feedback_log', age: 'decision', where: olderThan('received_at') },
  { table: 'router_answers', age: 'data', where: olderThan('answered_at') },
  { table: 'stored_prompts', age: 'data', where: olderThan('stored_at') },
  { table: 'batch_bills', age: 'data', where: olderThan('recorded_at') },
  // The newest row of a model (by id, as the price-watcher loads it) is its price in force, however old.
  {
    table: 'price_history',
    age: 'data',
    where: `${olderThan('recorded_at')} AND EXISTS (SELECT 1 FROM price_history newer WHERE newer.model = price_history.model AND newer.id > price_history.id)`,
  },
];

export interface RetentionAges {
  RETENTION_DAYS: number;
  FEEDBACK_TTL_S: number;
}

/** The age in seconds past which a rule's rows may be deleted. */
export function pruneAgeS(rule: PruneRule, c: RetentionAges): number {
  const data = c.RETENTION_DAYS * 86_400;
  return rule.age === 'decision' ? Math.max(data, c.FEEDBACK_TTL_S + DECISION_KEEP_MARGIN_S) : data;
}

/**
 * One bounded DELETE: at most `$2` rows, found through the age index and deleted by ctid, so a
 * large backlog is pruned in many short transactions instead of one that holds its locks long.
 */
export function pruneStatement(rule: PruneRule): string {
  return `DELETE FROM ${rule.table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${rule.table} WHERE ${rule.where} LIMIT $2))`;
}
