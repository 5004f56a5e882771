import { DECISION_KEEP_MARGIN_S, PRUNE_RULES, pruneAgeS, pruneStatement } from './prune-rules';

describe('prune rules', () => {
  const rule = (table: string) => PRUNE_RULES.find((r) => r.table === table)!;

  it('never prunes the state exactly-once replays from', () => {
    const tables = PRUNE_RULES.map((r) => r.table);
    expect(tables).not.toContain('consumer_offsets');
    expect(tables).not.toContain('policy_state');
    expect(tables.sort()).toEqual(
      [
        'batch_bills',
        'decisions',
        'feedback_log',
        'pending_feedback',
        'price_history',
        'rewards',
        'router_answers',
        'stored_prompts',
      ].sort(),
    );
  });

  it('deletes decisions before rewards, which wait for theirs to go', () => {
    const tables = PRUNE_RULES.map((r) => r.table);
    expect(tables.indexOf('decisions')).toBeLessThan(tables.indexOf('rewards'));
    expect(rule('rewards').where).toMatch(/NOT EXISTS \(SELECT 1 FROM decisions/);
  });

  it('keeps a decision at least FEEDBACK_TTL_S plus the margin, however short the retention', () => {
    const short = { RETENTION_DAYS: 0.01, FEEDBACK_TTL_S: 7200 };
    expect(pruneAgeS(rule('decisions'), short)).toBe(7200 + DECISION_KEEP_MARGIN_S);
    expect(pruneAgeS(rule('router_answers'), short)).toBeCloseTo(864, 6);
    const usual = { RETENTION_DAYS: 30, FEEDBACK_TTL_S: 3600 };
    expect(pruneAgeS(rule('decisions'), usual)).toBe(30 * 86_400);
  });

  it('deletes a bounded number of rows per statement', () => {
    expect(pruneStatement(rule('router_answers'))).toBe(
      'DELETE FROM router_answers WHERE ctid = ANY(ARRAY(SELECT ctid FROM router_answers WHERE answered_at < now() - make_interval(secs => $1) LIMIT $2))',
    );
  });
});
