import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { Topic } from '@llm-router/contracts';
import { FakeOpenAiUpstream } from '@llm-router/providers';
import { waitFor } from '../support/kafka-test-kit';
import { useStack } from '../support/use-stack';
import { upstreamDataset } from '../support/upstream-models';

const REFUSAL = "I'm sorry, but I can't help with that.";
const JUDGE_REPLY = 'Sure. ```json\n{"score": 0.25, "reason": "a refusal of a harmless request"}\n```';

/** One upstream for both models: the answering model refuses, the judge grades. */
class RefusingUpstream extends FakeOpenAiUpstream {
  protected override async answer(path: string, body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    this.reply = body['model'] === 'up/judge' ? JUDGE_REPLY : REFUSAL;
    return super.answer(path, body, res);
  }
}
const upstream = new RefusingUpstream();

/**
 * The router's own feedback on the real stack: a heuristic and a sampled LLM judge score each
 * answer, the aggregator applies the client's thumbs over them, else the judge's after the
 * grace; pairwise preferences over HTTP reach the ledger.
 */
describe('router: heuristic, judge, thumbs and pairwise feedback', () => {
  beforeAll(() => upstream.start());
  afterAll(() => upstream.stop());

  const e2e = useStack({
    database: 'rfb',
    dataset: () => upstreamDataset(upstream, ['up/answer', 'up/judge']),
    topics: [Topic.Feedback, Topic.Responses],
    env: {
      JUDGE_MODEL: 'up/judge',
      JUDGE_SAMPLE: '1',
      JUDGE_PROMPT_FILE: join(__dirname, '../../prompts/judge.md'),
      FEEDBACK_GRACE_S: '2',
      FEEDBACK_RELEASE_INTERVAL_MS: '200',
      PROVIDER_RETRIES: '0',
      // A cap and a period budget that never bind: they show where the judge's spend is counted.
      SCOPE_BUDGETS: JSON.stringify({ default: { dayUsd: 100 } }),
      BUDGET_USD: '100',
    },
  });

  let base = '';
  const post = async (path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const ask = async (content: string) => {
    const res = await post('/v1/chat/completions', { model: 'up/answer', messages: [{ role: 'user', content }] });
    expect(res.status).toBe(200);
    return res.headers.get('x-router-decision-id')!;
  };
  const feedbackOn = (decisionId: string) =>
    e2e.sink
      .of(Topic.Feedback)
      .filter((m) => m.value.decisionId === decisionId)
      .map((m) => m.value);
  const rewardOf = async (id: string) =>
    (await e2e.db.query(`SELECT source, quality FROM rewards WHERE decision_id = $1`, [id])).rows[0];

  beforeAll(async () => {
    base = await e2e.stack.url(e2e.stack.routers[0]);
    await waitFor('models priced', async () => {
      const r = await (await fetch(`${base}/v1/models`)).json();
      return r.data.length === 3;
    });
  });

  it('publishes a heuristic and a judge score, and applies the judge after the grace', async () => {
    const decisionId = await ask('How do I boil an egg?');
    await waitFor('heuristic and judge feedback', () => feedbackOn(decisionId).length >= 2);
    const bySource = Object.fromEntries(feedbackOn(decisionId).map((f) => [f.source, f]));
    expect(bySource['heuristic']).toMatchObject({ quality: 0, scope: 'default' });
    expect(bySource['judge']).toMatchObject({ quality: 0.25, evaluationCostUsd: expect.any(Number) });
    expect(bySource['judge'].evaluationCostUsd).toBeGreaterThan(0);
    // The judge saw the prompt and the answer, through the repository's prompt.
    const judged = upstream.received.find((r) => (r.body as { model?: string }).model === 'up/judge')!;
    expect(JSON.stringify(judged.body)).toContain('How do I boil an egg?');
    expect(JSON.stringify(judged.body)).toContain("I'm sorry, but I can't help with that.");

    await waitFor('judge applied after the grace', async () => await rewardOf(decisionId));
    expect(await rewardOf(decisionId)).toEqual({ source: 'judge', quality: 0.25 });
    const log = await e2e.db.query(
      `SELECT source, state, evaluation_cost_usd FROM feedback_log WHERE decision_id = $1 ORDER BY source`,
      [decisionId],
    );
    expect(log.rows.map((r) => `${r.source}:${r.state}`)).toEqual(['heuristic:superseded', 'judge:released']);
    expect(log.rows[1].evaluation_cost_usd).toBeGreaterThan(0);
  });

  it('applies a thumbs up from the client over the judge and the heuristic', async () => {
    const decisionId = await ask('Name a prime number.');
    const res = await post('/v1/feedback', { decision_id: decisionId, thumbs: 'up' });
    expect(res.status).toBe(202);
    await waitFor('client reward', async () => await rewardOf(decisionId));
    expect(await rewardOf(decisionId)).toEqual({ source: 'user', quality: 1 });
    const downId = await ask('Name an even prime number.');
    expect((await post('/v1/feedback', { decisionId: downId, thumbs: 'down' })).status).toBe(202);
    await waitFor('thumbs down reward', async () => await rewardOf(downId));
    expect(await rewardOf(downId)).toEqual({ source: 'user', quality: 0 });
    expect((await post('/v1/feedback', { decision_id: decisionId, thumbs: 'sideways' })).status).toBe(400);
    expect((await post('/v1/feedback', { decision_id: decisionId, thumbs: 'up', quality: 1 })).status).toBe(400);
    expect((await post('/v1/feedback', { decision_id: decisionId, quality: 1, graceElapsed: true })).status).toBe(400);
  });

  it('takes a pairwise preference over HTTP to the ledger', async () => {
    const [winner, loser] = [await ask('Translate "cat" to French.'), await ask('Translate "dog" to French.')];
    // A preference that comes before its decisions is only logged ('unmatched'): wait for them.
    await waitFor('decisions in the ledger', async () =>
      (await e2e.db.query(`SELECT 1 FROM decisions WHERE decision_id = ANY($1)`, [[winner, loser]])).rows.length === 2
        ? true
        : undefined,
    );
    const res = await post('/v1/feedback/pairwise', { winner_decision_id: winner, loser_decision_id: loser });
    expect(res.status).toBe(202);
    const row = await waitFor('pairwise in feedback_log', async () => {
      const r = await e2e.db.query(
        `SELECT kind, source, state FROM feedback_log WHERE winner_decision_id = $1 AND loser_decision_id = $2`,
        [winner, loser],
      );
      return r.rows[0];
    });
    // Both answers came from one explicit model: kept, nothing for a policy to learn.
    expect(row).toEqual({ kind: 'pairwise', source: 'user', state: 'logged' });
    expect(
      (await post('/v1/feedback/pairwise', { winner_decision_id: winner, loser_decision_id: winner })).status,
    ).toBe(400);
  });

  it('judges a query redelivered over Kafka once: the replayed answer is not checked again', async () => {
    const id = 'redelivered-judged-once';
    const message = {
      key: id,
      value: JSON.stringify({
        id,
        messages: [{ role: 'user', content: 'Is a tomato a fruit?' }],
        // The refusing model, so that the heuristic flags the answer too.
        constraints: { model: 'up/answer' },
      }),
    };
    const responses = () => e2e.sink.of(Topic.Responses).filter((r) => r.key === id);
    await e2e.producer.send({ topic: Topic.Queries, messages: [message] });
    const first = await waitFor('first answer', () => responses()[0]);
    const decisionId = first.value.decisionId as string;
    await waitFor('first judge score', () => feedbackOn(decisionId).find((f) => f.source === 'judge'));
    // The same query again, as the broker redelivers it after a crash before the commit.
    await e2e.producer.send({ topic: Topic.Queries, messages: [message] });
    await waitFor('replayed answer', () => responses().length >= 2 || undefined);
    expect(responses()[1].value.decisionId).toBe(decisionId);
    // A later query's checks are published after the replay's would have been: once its judge
    // score is in, any second check of the replayed answer would be too.
    const later = await ask('Is a cucumber a fruit?');
    await waitFor('later judge score', () => feedbackOn(later).find((f) => f.source === 'judge'));
    expect(
      feedbackOn(decisionId)
        .map((f) => f.source)
        .sort(),
    ).toEqual(['heuristic', 'judge']);
    const judgeCallsAbout = (text: string) =>
      upstream.received.filter(
        (r) => (r.body as { model?: string }).model === 'up/judge' && JSON.stringify(r.body).includes(text),
      ).length;
    expect(judgeCallsAbout('Is a tomato a fruit?')).toBe(1);
  });

  it("counts the judge's calls against the scope's budget cap and the fleet's period budget", async () => {
    const sum = async (q: string) => Number((await e2e.db.query(q)).rows[0].usd ?? 0);
    const answersUsd = () => sum(`SELECT sum(realised_cost_usd) AS usd FROM decisions WHERE scope = 'default'`);
    const judgeUsd = () =>
      sum(`SELECT sum(evaluation_cost_usd) AS usd FROM feedback_log WHERE source = 'judge' AND scope = 'default'`);
    const capSpentUsd = () => sum(`SELECT sum(spent_usd) AS usd FROM budget_counters WHERE subject = 'scope:default'`);
    const fleetSpentUsd = async () => {
      const { rows } = await e2e.db.query(`SELECT pacer FROM policy_state WHERE scope = 'default'`);
      const periods: { spentUsd: number }[] = rows[0]?.pacer?.fleet?.ledger?.periods ?? [];
      return periods.reduce((t, p) => t + p.spentUsd, 0);
    };
    const last = await ask('What is the boiling point of water?');
    // Every sampled answer was judged: the spend of both the answers and the judge is settled.
    // The last answer's own judge row is awaited first: counting rows alone matched once while
    // the aggregator had written neither the last decision nor its judge (CI, a busy machine)
    // and the judge had not yet reserved, so the expected sum missed the last answer.
    await waitFor(
      'the last answer judged',
      async () =>
        (await e2e.db.query(`SELECT 1 FROM feedback_log WHERE source = 'judge' AND decision_id = $1`, [last])).rows[0],
    );
    await waitFor('every answer judged and every reservation settled', async () => {
      const judged = Number(
        (await e2e.db.query(`SELECT count(DISTINCT decision_id) AS n FROM feedback_log WHERE source = 'judge'`)).rows[0]
          .n,
      );
      const decided = Number((await e2e.db.query(`SELECT count(*) AS n FROM decisions`)).rows[0].n);
      const open = Number((await e2e.db.query(`SELECT count(*) AS n FROM budget_reservations`)).rows[0].n);
      return judged === decided && open === 0 ? true : undefined;
    });
    const judge = await judgeUsd();
    expect(judge).toBeGreaterThan(0);
    const expected = (await answersUsd()) + judge;
    await waitFor('the cap counted answers and judge', async () =>
      Math.abs((await capSpentUsd()) - expected) < 1e-12 ? true : undefined,
    );
    await waitFor('the fleet ledger counted answers and judge', async () =>
      Math.abs((await fleetSpentUsd()) - expected) < 1e-12 ? true : undefined,
    );
  });
});
