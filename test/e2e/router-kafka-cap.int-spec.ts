import { Topic } from '@llm-router/contracts';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { waitFor } from '../support/kafka-test-kit';
import { useStack } from '../support/use-stack';

const CAP_USD = 0.01;
/** Prices and dataset costs agree: a call costs 0.001 and its worst case (150 output tokens, a short prompt) under 0.002. */
const ARMS = [
  { id: 't/one', quality: 0.5, cost: 0.001, inputPerM: 10, outputPerM: 10 },
  { id: 't/two', quality: 0.7, cost: 0.001, inputPerM: 10, outputPerM: 10 },
];
const MAX_CALL_USD = 0.001;
const QUERIES = 60;

/**
 * The hard budget cap holds on the Kafka path too (issue 12 item 5): queries produced to
 * llm.queries for a capped scope are routed by two routers until the cap would be passed;
 * the rest are answered on llm.responses with insufficient_quota and call no model.
 */
describe('hard budget cap on the Kafka path', () => {
  const e2e = useStack({
    database: 'kafkacap',
    dataset: () => writeSyntheticDataset(100, ARMS),
    topics: [Topic.Responses],
    routers: 2,
    env: {
      SCOPE_BUDGETS: JSON.stringify({ kcap: { dayUsd: CAP_USD } }),
      DEFAULT_MAX_TOKENS: '150',
    },
  });

  it('routes until the cap, then answers insufficient_quota without calling a model', async () => {
    const run = `kc-${Date.now()}`;
    await e2e.producer.send({
      topic: Topic.Queries,
      messages: Array.from({ length: QUERIES }, (_, i) => ({
        key: `${run}-${i}`,
        value: JSON.stringify({
          id: `${run}-${i}`,
          scope: 'kcap',
          messages: [{ role: 'user', content: `Question ${i % 100}` }],
          datasetRow: i % 100,
        }),
      })),
    });
    const answers = await waitFor(
      'every query answered',
      () => {
        const mine = e2e.sink.of(Topic.Responses).filter((m) => String(m.value.id).startsWith(run));
        return new Set(mine.map((m) => m.value.id)).size >= QUERIES && mine;
      },
      120000,
    );
    const byId = new Map(answers.map((m) => [m.value.id as string, m.value]));
    const served = [...byId.values()].filter((r) => !r.error);
    const capped = [...byId.values()].filter((r) => String(r.error ?? '').startsWith('insufficient_quota'));
    expect(served.length + capped.length).toBe(QUERIES);
    expect(capped.length).toBeGreaterThan(0);
    expect(served.length).toBeGreaterThan(0);
    const spent = served.reduce((s, r) => s + r.costUsd, 0);
    // Reserving the worst case keeps the realised spend under the cap (never over it by more
    // than one call in flight per router, the bound).
    expect(spent).toBeLessThanOrEqual(CAP_USD + 2 * MAX_CALL_USD);
    expect(capped.every((r) => r.costUsd === 0)).toBe(true);
    const counter = await e2e.db.query(
      `SELECT spent_usd, reserved_usd FROM budget_counters WHERE subject = 'scope:kcap'`,
    );
    expect(counter.rows[0].spent_usd).toBeCloseTo(spent, 9);
    expect(counter.rows[0].reserved_usd).toBeCloseTo(0, 9);
  });
});
