import fc from 'fast-check';
import { policyNames, PolicyState } from '@llm-router/bandits';
import { DecisionEvent, PriceEvent, QueryRequest, Topic, validate } from '@llm-router/contracts';
import { EmbeddingBlock, QueryFeaturizer } from '@llm-router/features';
// Registers 'preference', so that every policy a service can be configured with is covered.
import '@llm-router/preference';
import { EngineOptions, ScopeEngine } from './scope-engine';

/**
 * One learning loop (docs/decisions/0011): a router decides, the decision travels as a
 * DecisionEvent (JSON), and the aggregator, restored from the same snapshot and never seeing
 * the prompt, learns from the event. It must end in exactly the state the router's policy
 * reaches by learning in process from the context it decided on.
 */
const ARMS = ['m-small', 'm-mid', 'm-large'];
const DIM = 24;
const now = '2026-11-25T12:00:00.000Z';
const featurizer = new QueryFeaturizer({ dim: DIM });
/** The embedding block of the embedding variant: a 32-dim "provider" vector projected to 8. */
const EMBEDDING_DIM = 8;
const embeddingBlock = new EmbeddingBlock(EMBEDDING_DIM, 5);

/** Engine options per registered policy name; a policy missing here fails the coverage test. */
const POLICY_SETUP: Record<string, { algorithm?: string; policyOptions?: Record<string, unknown> }> = {
  random: {},
  'epsilon-greedy': {},
  ucb1: {},
  'discounted-ucb': {},
  thompson: { policyOptions: { propensityDraws: 8 } },
  linucb: {},
  lints: { policyOptions: { propensityDraws: 8 } },
  fixed: { algorithm: 'fixed:m-mid' },
  conservative: { policyOptions: { inner: 'ucb1', conservative: { baseline: 'm-small' } } },
  auto: { policyOptions: { buckets: 8 } },
  preference: {},
};

const TEMPLATES = ['Write a python function that', 'Translate into French:', 'Answer with the letter only:'];

interface Step {
  /** What an embeddings provider returned for the prompt (used by the embedding variant only). */
  embedding: number[];
  template: number;
  words: number[];
  quality: number;
  usage: number;
  lambda: number;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  embedding: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 32, maxLength: 32 }),
  template: fc.integer({ min: 0, max: TEMPLATES.length - 1 }),
  words: fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 12 }),
  quality: fc.double({ min: 0, max: 1, noNaN: true }),
  usage: fc.double({ min: 0.2, max: 5, noNaN: true }),
  lambda: fc.constantFrom(0, 50, 500),
});

const text = (s: Step) => `${TEMPLATES[s.template]} ${s.words.map((w) => `w${w}`).join(' ')}`;

let queryId = 0;
function query(s: Step): QueryRequest {
  const r = validate(Topic.Queries, { id: `q${queryId++}`, messages: [{ role: 'user', content: text(s) }] });
  if (!r.ok) throw r.error;
  return r.value;
}

/** How the router builds a query's context: with an embedding block, or the hashed features alone. */
type Context = 'hashed' | 'embedding';
const blockOf = (context: Context, s: Step) =>
  context === 'embedding' ? embeddingBlock.fromEmbedding(s.embedding) : undefined;

function engine(name: string, seed: number, context: Context = 'hashed'): ScopeEngine {
  const setup = POLICY_SETUP[name];
  const opts: EngineOptions = {
    algorithm: setup.algorithm ?? name,
    featureDim: DIM,
    embeddingDim: context === 'embedding' ? EMBEDDING_DIM : 0,
    seed,
    defaultLambda: 0,
    policyOptions: setup.policyOptions,
  };
  const e = new ScopeEngine('loop', opts, featurizer);
  ARMS.forEach((model, i) => {
    const price: PriceEvent = {
      model,
      inputPerM: 0.1 * 10 ** i,
      outputPerM: 0.4 * 10 ** i,
      effectiveFrom: now,
      source: 'test',
      selfHosted: false,
      discountTiers: [],
    };
    e.applyPrice(price);
  });
  return e;
}

/** Decides and learns through the log, as the services do. */
function routeAndLearn(e: ScopeEngine, s: Step, context: Context): void {
  e.lambda = s.lambda;
  const { event } = e.decide(query(s), { embedding: blockOf(context, s) });
  e.learn(event, s.quality, event.priceSnapshot[event.arm] * s.usage);
}

/** The stored form of a state, without the RNG position (the learner never draws). */
function learned(state: PolicyState): unknown {
  return JSON.parse(JSON.stringify(state), (key, value) => (key === 'rng' ? undefined : value));
}

describe('one learning loop', () => {
  it('covers every registered policy', () => {
    expect(policyNames().sort()).toEqual(Object.keys(POLICY_SETUP).sort());
  });

  const loop = (name: string, context: Context) => it(name, () => sameState(name, context));
  describe('learning from the logged DecisionEvent equals learning in process', () => {
    for (const name of Object.keys(POLICY_SETUP)) loop(name, 'hashed');
  });
  // The embedding block travels in the event's sparse features (quantised to 1/128): the
  // learner, which has no embeddings provider, must end in the same state all the same.
  describe('with an embedding block in the context', () => {
    for (const name of Object.keys(POLICY_SETUP)) loop(name, 'embedding');
  });
});

function sameState(name: string, context: Context): void {
  fc.assert(
    fc.property(
      fc.array(stepArb, { maxLength: 12 }),
      stepArb,
      fc.integer({ min: 1, max: 1000 }),
      (history, step, seed) => {
        const router = engine(name, seed, context);
        for (const s of history) routeAndLearn(router, s, context);
        const snapshot = JSON.parse(JSON.stringify(router.snapshotState())) as PolicyState;

        router.lambda = step.lambda;
        const block = blockOf(context, step);
        const { event } = router.decide(query(step), { embedding: block });
        const logged = DecisionEvent.parse(JSON.parse(JSON.stringify({ ...event, ts: now })));
        const realisedCost = event.priceSnapshot[event.arm] * step.usage;

        // In process: the context and constraints the router decided on (prompt text included).
        router.policy.update({ features: router.features(text(step), block), text: text(step) }, event.arm, {
          quality: step.quality,
          costUsd: realisedCost,
          expectedCostUsd: event.priceSnapshot[event.arm],
          decidedWith: { lambda: step.lambda, costs: event.priceSnapshot },
        });

        // From the log: another instance, restored from the same state, without the text.
        const learner = engine(name, seed, context);
        learner.applySnapshot({ version: 1, algorithm: name, state: snapshot, lambda: step.lambda });
        learner.learn(logged, step.quality, realisedCost);

        expect(learned(learner.snapshotState())).toEqual(learned(router.snapshotState()));
      },
    ),
    { numRuns: 15 },
  );
}

describe('auto in the loop', () => {
  it('auto logs its text features, and they are what it learns from', () => {
    const e = engine('auto', 1);
    const { event } = e.decide(query({ embedding: [], template: 0, words: [1, 2], quality: 1, usage: 1, lambda: 0 }));
    expect(event.textFeatures?.indices.length).toBeGreaterThan(1);
    expect(event.textFeatures?.indices.length).toBe(event.textFeatures?.values.length);
  });

  it('logs the embedding block after the hashed features, and a query without one leaves it at zero', () => {
    const e = engine('linucb', 1, 'embedding');
    const step = {
      embedding: Array.from({ length: 32 }, (_, i) => i - 10),
      template: 1,
      words: [],
      quality: 1,
      usage: 1,
      lambda: 0,
    };
    const block = embeddingBlock.fromEmbedding(step.embedding);
    const withBlock = e.decide(query(step), { embedding: block }).event.features!;
    const logged = Object.keys(withBlock)
      .map(Number)
      .filter((i) => i >= DIM);
    expect(logged.map((i) => withBlock[i])).toEqual(Array.from(block).filter((v) => v !== 0));
    const without = e.decide(query(step)).event.features!;
    expect(
      Object.keys(without)
        .map(Number)
        .every((i) => i < DIM),
    ).toBe(true);
  });
});
