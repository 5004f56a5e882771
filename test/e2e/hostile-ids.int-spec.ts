import { randomBytes } from 'node:crypto';
import { DeadLetter, dlqTopic, MAX_ID_CHARS, Topic } from '@llm-router/contracts';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { waitFor } from '../support/kafka-test-kit';
import { promptsOf, useStack } from '../support/use-stack';

const TOO_LONG = `must be at most ${MAX_ID_CHARS} characters`;

/**
 * Letters that do not repeat: PostgreSQL compresses an index entry before it measures it, so
 * 'x'.repeat(10_000) (what the fuzzers send) fits in a btree row and only an id that does not
 * compress finds the limit.
 */
const randomLetters = (n: number) => Array.from(randomBytes(n), (b) => String.fromCharCode(97 + (b % 26))).join('');

/**
 * Ids a client chooses (feedback, decision and request ids in feedback) are bounded where they
 * enter: over HTTP a 400 naming the field, over Kafka the dead-letter topic with the same reason,
 * and the feedback behind them keeps being applied.
 */
describe('ids longer than any the system issues are refused at the door', () => {
  let prompts: string[] = [];
  const e2e = useStack({
    database: 'hostileids',
    dataset: () => {
      const d = writeSyntheticDataset(20);
      prompts = promptsOf(d.dataPath);
      return d;
    },
    topics: [Topic.Responses, dlqTopic(Topic.Feedback)],
  });
  let base = '';
  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  /** A decision of the router's, on the dataset's row `row`. */
  const ask = async (row: number) => {
    const res = await post('/v1/chat/completions', { messages: [{ role: 'user', content: prompts[row] }] });
    expect(res.status).toBe(200);
    return res.headers.get('x-router-decision-id')!;
  };
  const rewarded = async (decisionId: string) =>
    (await e2e.db.query('SELECT count(*)::int AS n FROM rewards WHERE decision_id = $1', [decisionId])).rows[0].n === 1;

  beforeAll(async () => {
    base = await e2e.stack.url(e2e.stack.routers[0]);
    await waitFor('models priced', async () => (await (await fetch(`${base}/v1/models`)).json()).data.length > 0);
  });

  it.each(['decision_id', 'feedbackId'])('POST /v1/feedback answers 400 for a %s of 3,000 letters', async (field) => {
    const decisionId = await ask(1);
    const res = await post('/v1/feedback', { decision_id: decisionId, quality: 0.7, [field]: randomLetters(3000) });
    expect(res.status).toBe(400);
    expect((await res.json()).message).toContain(`${field}: ${TOO_LONG}`);
  });

  it('POST /v1/feedback/pairwise answers 400 for a winner id of 3,000 letters', async () => {
    const loser = await ask(2);
    const res = await post('/v1/feedback/pairwise', {
      winner_decision_id: randomLetters(3000),
      loser_decision_id: loser,
    });
    expect(res.status).toBe(400);
    expect((await res.json()).message).toContain(`winner_decision_id: ${TOO_LONG}`);
  });

  it('parks feedback.rewards records with such ids on the dead-letter topic and applies the next feedback', async () => {
    const ts = () => new Date().toISOString();
    const hostile = [
      { decisionId: randomLetters(3000), quality: 0.5, ts: ts() },
      { requestId: randomLetters(3000), quality: 0.5, ts: ts() },
      { decisionId: 'dec_0000000000000000', feedbackId: randomLetters(3000), quality: 0.5, ts: ts() },
      { kind: 'pairwise', winnerDecisionId: randomLetters(3000), loserDecisionId: 'dec_1', ts: ts() },
    ];
    await e2e.producer.send({
      topic: Topic.Feedback,
      messages: hostile.map((value, i) => ({ key: `hostile-${i}`, value: JSON.stringify(value) })),
    });
    const parked = () =>
      e2e.sink
        .of(dlqTopic(Topic.Feedback))
        .map((r) => r.value as DeadLetter)
        .filter((d) => d.key?.startsWith('hostile-'));
    await waitFor('every hostile record to be parked', () => parked().length === hostile.length, 60_000);
    for (const d of parked()) expect(d.error).toContain(TOO_LONG);

    const decisionId = await ask(3);
    await e2e.producer.send({
      topic: Topic.Feedback,
      messages: [{ key: 'default', value: JSON.stringify({ decisionId, scope: 'default', quality: 0.9, ts: ts() }) }],
    });
    await waitFor('the next feedback to be applied', () => rewarded(decisionId), 60_000);
  });
});
