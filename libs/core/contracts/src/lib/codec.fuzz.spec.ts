import fc from 'fast-check';
// Test-only arbitraries shared with the HTTP and Kafka fuzz tests of test/e2e; never in the library's build.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { damagedBytes, mutation, mutate, pathsOf } from '../../../../../test/support/fuzz';
import { ContractError, decode, Decoded, encode, validate } from './codec';
import { MessageInputOf } from './registry';
import { Topic, TopicName } from './topics';

/**
 * Fuzzing of decode(topic, bytes) for every topic (issue 12 item 7): whatever a producer puts
 * on a topic, a consumer's decode never throws and answers either a message that encodes back
 * to itself or a ContractError that names where the problem is (what the dead-letter topics
 * record). Three kinds of input: arbitrary bytes, arbitrary JSON, and valid messages mutated.
 */

const ts = '2026-11-25T12:00:00.000Z';
const query = {
  id: 'q1',
  scope: 'default',
  messages: [{ role: 'user', content: 'hi' }],
  features: [0.5, 1],
  constraints: { mode: 'query', maxCostUsd: 0.01, minQuality: 0.5, latencySloMs: 2000, deadline: ts, model: 'a/m' },
  replyTo: 'replies.client-1',
  datasetRow: 3,
  ts,
};

/** One valid message per topic, with every optional field set, so that mutations reach them all. */
const VALID: { [T in TopicName]: MessageInputOf<T> } = {
  [Topic.Queries]: query as MessageInputOf<typeof Topic.Queries>,
  [Topic.BatchRequests]: { ...query, constraints: { mode: 'batch' }, batchId: 'b1' } as MessageInputOf<
    typeof Topic.BatchRequests
  >,
  [Topic.Responses]: {
    id: 'q1',
    decisionId: 'd1',
    scope: 'default',
    model: 'a/m',
    output: 'hello',
    usage: { promptTokens: 3, completionTokens: 5 },
    costUsd: 0.001,
    latencyMs: 12,
    error: 'fell back',
    ts,
  },
  [Topic.Decisions]: {
    decisionId: 'd1',
    requestId: 'q1',
    scope: 'default',
    policy: 'linucb',
    policyVersion: 4,
    arm: 'a/m',
    propensity: 0.9,
    scores: { 'a/m': 0.7, 'b/m': 0.2 },
    features: { len: 3 },
    priceSnapshot: { 'a/m': 0.001 },
    lambda: 0.5,
    realisedCostUsd: 0.002,
    usage: { promptTokens: 3, completionTokens: 5 },
    fallbackFrom: 'b/m',
    mode: 'batch',
    batchId: 'b1',
    ts,
  },
  [Topic.Feedback]: {
    feedbackId: 'f1',
    decisionId: 'd1',
    requestId: 'q1',
    scope: 'default',
    quality: 0.8,
    costUsd: 0.001,
    source: 'judge',
    ts,
  },
  [Topic.Prices]: {
    model: 'a/m',
    inputPerM: 0.5,
    outputPerM: 1.5,
    effectiveFrom: ts,
    source: 'file',
    selfHosted: true,
    concurrency: 8,
    discountTiers: [{ fromCalls: 100, factor: 0.9 }],
    costFactor: 0.5,
  },
  [Topic.Catalog]: {
    model: 'a/m',
    action: 'added',
    endpoint: 'https://example.com/v1',
    concurrency: 4,
    selfHosted: false,
    ts,
  },
  [Topic.PolicyUpdates]: {
    scope: 'default',
    version: 2,
    algorithm: 'linucb',
    state: { arms: { 'a/m': [1, 2, 3] } },
    lambda: 0.1,
    pacer: { lambda: 0.1 },
    budgetPerQueryUsd: 0.002,
    rewardsApplied: 10,
    ts,
  },
  [Topic.ParetoFrontier]: {
    scope: 'default',
    frontier: [{ model: 'a/m', quality: 0.7, costUsd: 0.001 }],
    dominated: [{ model: 'b/m', quality: 0.5, costUsd: 0.002 }],
    reason: 'price',
    ts,
  },
  [Topic.RewardStream]: {
    scope: 'default',
    decisionId: 'd1',
    arm: 'a/m',
    quality: 0.8,
    costUsd: 0.001,
    lambda: 0.1,
    reward: 0.79,
    rewardsApplied: 1,
    cumulativeReward: 0.79,
    cumulativeCostUsd: 0.001,
    rewardVariance: 0,
    arms: { 'a/m': { pulls: 1, meanReward: 0.79, meanQuality: 0.8, meanCost: 0.001 } },
    ts,
  },
  [Topic.BatchAssignments]: {
    batchId: 'b1',
    scope: 'default',
    assignments: [{ requestId: 'q1', model: 'a/m', decisionId: 'd1' }],
    objective: 0.7,
    bound: 0.71,
    solver: 'lagrangian',
    solveMs: 3,
    budgetUsd: 0.1,
    warnings: ['none'],
    ts,
  },
};

const TOPICS = Object.values(Topic) as TopicName[];
const RUNS = 1000;

/**
 * What decode must answer for any input: no exception; either a value that encode accepts and
 * that survives a round trip through bytes, or a ContractError naming the topic and at least one
 * issue, each with a path and a message.
 */
function expectWellFormed(topic: TopicName, input: Buffer | string): Decoded<unknown> {
  let r: Decoded<unknown>;
  try {
    r = decode(topic, input);
  } catch (e) {
    throw new Error(`decode(${topic}) threw on ${JSON.stringify(String(input).slice(0, 200))}: ${e}`);
  }
  if (r.ok) {
    const e = encode(topic, r.value as MessageInputOf<TopicName>);
    const again = decode(topic, e.value);
    // Compared as JSON: -0 and 0 are the same message on the wire.
    expect(again.ok && JSON.stringify(again.value)).toBe(JSON.stringify(r.value));
  } else {
    expect(r.error).toBeInstanceOf(ContractError);
    expect(r.error.topic).toBe(topic);
    expect(r.error.message.startsWith(`invalid ${topic} message: `)).toBe(true);
    expect(r.error.issues.length).toBeGreaterThan(0);
    for (const i of r.error.issues) {
      expect(typeof i.path).toBe('string');
      expect(i.path.length).toBeGreaterThan(0);
      expect(typeof i.message).toBe('string');
      expect(i.message.length).toBeGreaterThan(0);
    }
  }
  return r;
}

afterAll(() => {
  // The mutations add "__proto__" keys: decoding them must not have changed Object.prototype.
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
});

describe.each(TOPICS)('decode(%s) under fuzzing', (topic) => {
  const valid = VALID[topic];
  const validJson = encode(topic, valid as MessageInputOf<TopicName>).value;
  const paths = pathsOf(JSON.parse(validJson));

  it('starts from a valid message', () => {
    const r = validate(topic, valid);
    expect(r.ok ? 'ok' : r.error.message).toBe('ok');
  });

  it('never throws on arbitrary bytes or strings (unicode, lone surrogates)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
          fc.string({ unit: 'binary', maxLength: 128 }),
        ),
        (input) => {
          expectWellFormed(topic, input);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('answers a message or a clear error on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => {
        expectWellFormed(topic, JSON.stringify(v));
      }),
      { numRuns: RUNS },
    );
  });

  it('answers a message or a clear error on a valid message with one field changed, removed or added', () => {
    fc.assert(
      fc.property(fc.nat({ max: paths.length - 1 }), mutation, (i, m) => {
        expectWellFormed(topic, JSON.stringify(mutate(JSON.parse(validJson), paths[i], m)));
      }),
      { numRuns: RUNS },
    );
  });

  it('answers a message or a clear error on a valid message with damaged bytes', () => {
    fc.assert(
      fc.property(damagedBytes(validJson), (bytes) => {
        expectWellFormed(topic, bytes);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses a valid message with a required field removed, naming that field', () => {
    const required = Object.keys(JSON.parse(validJson)).filter(
      (k) => !validate(topic, { ...JSON.parse(validJson), [k]: undefined }).ok,
    );
    for (const k of required) {
      const r = expectWellFormed(topic, JSON.stringify({ ...JSON.parse(validJson), [k]: undefined }));
      expect(!r.ok && r.error.issues.map((i) => i.path)).toContain(k);
    }
  });
});
