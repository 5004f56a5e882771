import { Id, MAX_ID_CHARS, MAX_PG_INTEGER, ModelId } from './common';
import { FeedbackEvent, MAX_EVALUATION_COST_USD } from './feedback';
import { QueryRequest } from './query-request';
import { ModelEvent } from './model-event';
import { PriceEvent } from './price-event';

describe('counts stored in PostgreSQL integer columns', () => {
  const price = { model: 'm', inputPerM: 0, outputPerM: 0, effectiveFrom: '2026-12-05T00:00:00Z', source: 't' };

  it('refuses a concurrency a PostgreSQL integer cannot hold, in price and catalog events alike', () => {
    expect(PriceEvent.safeParse({ ...price, selfHosted: true, concurrency: MAX_PG_INTEGER }).success).toBe(true);
    const huge = PriceEvent.safeParse({ ...price, selfHosted: true, concurrency: MAX_PG_INTEGER + 1 });
    expect(huge.success).toBe(false);
    expect(huge.error!.issues[0]).toMatchObject({
      path: ['concurrency'],
      message: `must be at most ${MAX_PG_INTEGER}`,
    });
    const event = { model: 'm', action: 'added', ts: '2026-12-05T00:00:00Z' };
    expect(ModelEvent.safeParse({ ...event, concurrency: 3_484_935_178_933_216 }).success).toBe(false);
    expect(ModelEvent.safeParse({ ...event, concurrency: 8 }).success).toBe(true);
  });
});

describe('identifiers stored in indexed PostgreSQL columns', () => {
  const longest = 'a'.repeat(MAX_ID_CHARS);
  const tooLong = 'a'.repeat(MAX_ID_CHARS + 1);

  it('takes an id or a model id of MAX_ID_CHARS characters and refuses one more, naming the bound', () => {
    for (const schema of [Id, ModelId]) {
      expect(schema.safeParse(longest).success).toBe(true);
      expect(schema.safeParse(tooLong).error!.issues[0].message).toBe(`must be at most ${MAX_ID_CHARS} characters`);
    }
  });

  it('refuses feedback whose decision, request, feedback or pairwise ids are longer, naming the field', () => {
    const ts = '2026-12-05T00:00:00Z';
    const cases: [Record<string, unknown>, string][] = [
      [{ decisionId: tooLong, quality: 0.5, ts }, 'decisionId'],
      [{ requestId: tooLong, quality: 0.5, ts }, 'requestId'],
      [{ decisionId: 'dec_1', feedbackId: tooLong, quality: 0.5, ts }, 'feedbackId'],
      [{ kind: 'pairwise', winnerDecisionId: tooLong, loserDecisionId: 'dec_1', ts }, 'winnerDecisionId'],
    ];
    for (const [value, field] of cases) {
      const r = FeedbackEvent.safeParse(value);
      expect(r.success).toBe(false);
      expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(field);
    }
    expect(FeedbackEvent.safeParse({ decisionId: longest, quality: 0.5, ts }).success).toBe(true);
  });

  it('bounds a query id as before', () => {
    const query = { messages: [{ role: 'user', content: 'hi' }] };
    expect(QueryRequest.safeParse({ ...query, id: longest }).success).toBe(true);
    expect(QueryRequest.safeParse({ ...query, id: tooLong }).success).toBe(false);
  });
});

describe("a judge's evaluation cost", () => {
  const judged = { decisionId: 'dec_1', quality: 0.5, source: 'judge', ts: '2026-12-05T00:00:00Z' };

  it(`is taken up to $${MAX_EVALUATION_COST_USD} and refused above, naming the bound`, () => {
    expect(FeedbackEvent.safeParse({ ...judged, evaluationCostUsd: MAX_EVALUATION_COST_USD }).success).toBe(true);
    const r = FeedbackEvent.safeParse({ ...judged, evaluationCostUsd: 1e300 });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({
      path: ['evaluationCostUsd'],
      message: `an evaluation costing more than $${MAX_EVALUATION_COST_USD} is not believed`,
    });
  });
});
