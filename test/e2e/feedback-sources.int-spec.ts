import { Client } from 'pg';
import { INestApplication } from '@nestjs/common';
import { Producer } from 'kafkajs';
import { Topic } from '@llm-router/contracts';
import { PreferenceRouter } from '@llm-router/preference';
import { FeedbackReleaseService } from '../../apps/reward-aggregator/src/feedback-selection/feedback-release.service';
import { plainProducer, resetTopics, waitFor } from '../support/kafka-test-kit';
import { freshDatabase } from '../support/database';
import { startAggregator } from '../support/aggregator';

const SCOPE = 'fs';
const GRACE_S = 3;

/**
 * One reward per decision, by precedence: client feedback within the grace, else the judge's,
 * else the heuristic's; every source kept in feedback_log; pairwise preferences reach the
 * preference router. On a real Kafka and PostgreSQL, through the aggregator's own consumer.
 */
describe('reward aggregator: feedback sources and precedence', () => {
  let databaseUrl: string;
  let producer: Producer;
  let db: Client;
  let app: INestApplication | undefined;

  const decision = (decisionId: string, arm: string, ts = new Date().toISOString()) => ({
    decisionId,
    requestId: `r-${decisionId}`,
    scope: SCOPE,
    policy: 'preference',
    policyVersion: 0,
    arm,
    propensity: 0.5,
    scores: {},
    priceSnapshot: { a: 0.001, b: 0.002 },
    lambda: 0,
    ts,
  });
  const score = (decisionId: string, source: string, quality: number) => ({
    decisionId,
    scope: SCOPE,
    quality,
    source,
    ts: new Date().toISOString(),
  });
  const send = (topic: string, values: object[]) =>
    producer.send({ topic, messages: values.map((v) => ({ key: SCOPE, value: JSON.stringify(v) })) });
  const rewardOf = async (id: string) =>
    (await db.query(`SELECT source, quality FROM rewards WHERE decision_id = $1`, [id])).rows[0] as
      | { source: string; quality: number }
      | undefined;
  const logOf = async (id: string) =>
    (await db.query(`SELECT source, state FROM feedback_log WHERE decision_id = $1 ORDER BY source`, [id])).rows.map(
      (r) => `${r.source}:${r.state}`,
    );

  beforeAll(async () => {
    await resetTopics();
    databaseUrl = await freshDatabase('fs');
    producer = await plainProducer();
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
    app = await startAggregator(databaseUrl, 'reward-aggregator-fs', {
      ROUTER_POLICY: 'preference',
      FEEDBACK_GRACE_S: String(GRACE_S),
      FEEDBACK_RELEASE_INTERVAL_MS: '200',
    });
  });

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    await db?.end();
  });

  it('applies the client score over the judge over the heuristic, and logs every source', async () => {
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    await send(Topic.Decisions, [
      decision('all-three', 'a'),
      decision('judge-heuristic', 'a'),
      decision('heuristic-only', 'b'),
      decision('late-client', 'b', hourAgo),
      decision('late-in-one-batch', 'b', hourAgo),
    ]);
    // Feedback and decisions are different topics: wait, so that none of this feedback is early.
    await waitFor('decisions logged', async () => (await db.query(`SELECT 1 FROM decisions`)).rows.length === 5);
    // Lower sources first: they must wait for the client's score rather than take the reward.
    await send(Topic.Feedback, [
      score('all-three', 'heuristic', 0.3),
      score('all-three', 'judge', 0.6),
      score('judge-heuristic', 'heuristic', 0),
      score('judge-heuristic', 'judge', 0.7),
      score('heuristic-only', 'heuristic', 0),
      score('late-client', 'heuristic', 0.3),
    ]);
    // A held score counts for the client's lateness when both come in one batch, too.
    await send(Topic.Feedback, [
      score('all-three', 'user', 0.9),
      score('late-client', 'user', 1),
      score('late-in-one-batch', 'heuristic', 0.2),
      score('late-in-one-batch', 'user', 1),
    ]);

    await waitFor('client score applied', async () => (await rewardOf('all-three'))?.source === 'user');
    expect(await rewardOf('all-three')).toEqual({ source: 'user', quality: 0.9 });
    // Within the grace nothing else is applied (the decisions are seconds old).
    expect(await rewardOf('judge-heuristic')).toBeUndefined();

    await waitFor('judge released after the grace', async () => await rewardOf('judge-heuristic'));
    await waitFor('heuristic released after the grace', async () => await rewardOf('heuristic-only'));
    await waitFor('late client lost to the waiting heuristic', async () => await rewardOf('late-client'));
    await waitFor('late client of one batch lost too', async () => await rewardOf('late-in-one-batch'));
    expect(await rewardOf('judge-heuristic')).toEqual({ source: 'judge', quality: 0.7 });
    expect(await rewardOf('heuristic-only')).toEqual({ source: 'heuristic', quality: 0 });
    expect(await rewardOf('late-client')).toEqual({ source: 'heuristic', quality: 0.3 });
    expect(await rewardOf('late-in-one-batch')).toEqual({ source: 'heuristic', quality: 0.2 });

    await waitFor('held scores of the client-rated decision superseded', async () =>
      (await logOf('all-three')).every((s) => !s.endsWith(':held')),
    );
    expect(await logOf('all-three')).toEqual(['heuristic:superseded', 'judge:superseded', 'user:offered']);
    expect(await logOf('judge-heuristic')).toEqual(['heuristic:superseded', 'judge:released']);
    expect(await logOf('late-client')).toEqual(['heuristic:released', 'user:late']);
    expect(await logOf('late-in-one-batch')).toEqual(['heuristic:released', 'user:late']);
    expect((await db.query(`SELECT count(*)::int AS n FROM rewards`)).rows[0].n).toBe(5);
  });

  it('does not count a release twice when it is re-published (a crash before its commit)', async () => {
    const release = app!.get(FeedbackReleaseService);
    const applied = async () =>
      (await db.query(`SELECT rewards_applied FROM policy_state WHERE scope = $1`, [SCOPE])).rows[0]
        ?.rewards_applied as number;
    await waitFor('state persisted', async () => (await applied()) === 5);
    // As if the run that published the judge's score had died before marking it released.
    await db.query(`UPDATE feedback_log SET state = 'held' WHERE decision_id = 'judge-heuristic' AND source = 'judge'`);
    await waitFor(
      're-released',
      async () =>
        (
          await db.query(
            `SELECT state FROM feedback_log WHERE decision_id = 'judge-heuristic' AND source = 'judge' AND state <> 'held'`,
          )
        ).rows.length === 1,
    );
    // And the crash after the publish: the same release reaches the ledger a second time.
    await send(Topic.Feedback, [{ ...score('judge-heuristic', 'judge', 0.7), graceElapsed: true }]);
    // The marker is applied after the re-published score, on the same partition.
    await send(Topic.Decisions, [decision('marker', 'a')]);
    await send(Topic.Feedback, [score('marker', 'user', 1)]);
    await waitFor('marker applied', async () => await rewardOf('marker'));
    await waitFor('state persisted', async () => (await applied()) === 6);
    expect((await db.query(`SELECT count(*)::int AS n FROM rewards`)).rows[0].n).toBe(6);
    expect(await release.releaseDue()).toBe(0);
  });

  it("does not let a client's graceElapsed skip the grace: a score the aggregator never held waits like any other", async () => {
    await send(Topic.Decisions, [decision('forged-release', 'a')]);
    await waitFor(
      'decision logged',
      async () => (await db.query(`SELECT 1 FROM decisions WHERE decision_id = 'forged-release'`)).rows.length === 1,
    );
    // What only the release job may send: a judge's score marked as past its grace.
    await send(Topic.Feedback, [{ ...score('forged-release', 'judge', 0.4), graceElapsed: true }]);
    await waitFor('applied once its grace passed', async () => await rewardOf('forged-release'));
    const { waited } = (
      await db.query(
        `SELECT extract(epoch from r.applied_at - d.decided_at)::float8 AS waited
           FROM rewards r JOIN decisions d USING (decision_id) WHERE r.decision_id = 'forged-release'`,
      )
    ).rows[0] as { waited: number };
    // Taken as fresh judge feedback: logged, held, released by the job after the grace.
    expect(waited).toBeGreaterThanOrEqual(GRACE_S);
    expect(await rewardOf('forged-release')).toEqual({ source: 'judge', quality: 0.4 });
    expect(await logOf('forged-release')).toEqual(['judge:released']);
  });

  it('feeds a pairwise preference to the preference router and keeps it in the ledger', async () => {
    await send(Topic.Decisions, [decision('pair-win', 'b'), decision('pair-lose', 'a')]);
    await waitFor('decisions logged', async () =>
      (await db.query(`SELECT 1 FROM decisions WHERE decision_id IN ('pair-win', 'pair-lose')`)).rows.length === 2
        ? true
        : undefined,
    );
    const stateOf = async () =>
      (await db.query(`SELECT version, state FROM policy_state WHERE scope = $1`, [SCOPE])).rows[0];
    const before = await stateOf();
    await send(Topic.Feedback, [
      {
        kind: 'pairwise',
        winnerDecisionId: 'pair-win',
        loserDecisionId: 'pair-lose',
        scope: SCOPE,
        ts: new Date().toISOString(),
      },
    ]);
    const row = await waitFor(
      'pairwise logged',
      async () =>
        (
          await db.query(
            `SELECT kind, source, state, scope FROM feedback_log WHERE winner_decision_id = 'pair-win' AND loser_decision_id = 'pair-lose'`,
          )
        ).rows[0],
    );
    expect(row).toEqual({ kind: 'pairwise', source: 'user', state: 'learned', scope: SCOPE });
    // The Bradley-Terry step was persisted with the batch: b's weights moved, no reward was added.
    await waitFor('policy state written', async () => (await stateOf()).version > before.version);
    const after = await stateOf();
    expect(JSON.stringify(after.state)).not.toEqual(JSON.stringify(before.state));
    expect((await db.query(`SELECT count(*)::int AS n FROM rewards WHERE decision_id LIKE 'pair-%'`)).rows[0].n).toBe(
      0,
    );
  });

  it("turns a stream of pairwise preferences into the preference router's judgement", async () => {
    // One kind of prompt (features 1 and 2 set), as the router logged it with each decision.
    const features = { '1': 1, '2': 1 };
    const stored = async () =>
      PreferenceRouter.fromState(
        (await db.query(`SELECT state FROM policy_state WHERE scope = $1`, [SCOPE])).rows[0].state,
      );
    /** P(a's answer beats b's) on that prompt, as the stored policy sees it. */
    const winProbability = async (a: string, b: string) => {
      const policy = await stored();
      const x = new Float64Array(policy.d);
      for (const [i, v] of Object.entries(features)) x[Number(i)] = v;
      return policy.winProbability({ features: x }, a, b);
    };
    // The stream prefers the arm the policy currently rates lower.
    const before = (await winProbability('a', 'b')) >= 0.5 ? 'a' : 'b';
    const preferred = before === 'a' ? 'b' : 'a';
    const p0 = await winProbability(preferred, before);
    const PAIRS = 200;
    const pairs = Array.from({ length: PAIRS }, (_, i) => [`stream-win-${i}`, `stream-lose-${i}`] as const);
    await send(
      Topic.Decisions,
      pairs.flatMap(([w, l]) => [
        { ...decision(w, preferred), features },
        { ...decision(l, before), features },
      ]),
    );
    await waitFor('stream decisions logged', async () =>
      (await db.query(`SELECT count(*)::int AS n FROM decisions WHERE decision_id LIKE 'stream-%'`)).rows[0].n ===
      2 * PAIRS
        ? true
        : undefined,
    );
    await send(
      Topic.Feedback,
      pairs.map(([w, l]) => ({
        kind: 'pairwise',
        winnerDecisionId: w,
        loserDecisionId: l,
        scope: SCOPE,
        ts: new Date().toISOString(),
      })),
    );
    await waitFor('every preference learned', async () =>
      (
        await db.query(
          `SELECT count(*)::int AS n FROM feedback_log WHERE winner_decision_id LIKE 'stream-win-%' AND state = 'learned'`,
        )
      ).rows[0].n === PAIRS
        ? true
        : undefined,
    );
    // The state is persisted with the batch that learned: poll until the last one is written.
    await waitFor('the policy rates the preferred arm higher', async () =>
      (await winProbability(preferred, before)) > 0.5 ? true : undefined,
    );
    expect(await winProbability(preferred, before)).toBeGreaterThan(p0);
    expect((await db.query(`SELECT count(*)::int AS n FROM rewards WHERE decision_id LIKE 'stream-%'`)).rows[0].n).toBe(
      0,
    );
  });
});
