import fc from 'fast-check';
import { createPolicy, policyFromState, PolicyOptions } from './registry';
import { ArmId, DecideConstraints, Policy, PolicyState } from './policy';
import { LinearPolicy } from './linear-policy';
// Registers 'auto' for createPolicy.
import './auto';

/**
 * Property tests over every registered policy: propensities form a distribution, a state
 * round-trip (through JSON) continues with identical decisions, and merge equals one policy
 * that saw both streams.
 */
const ARMS = ['a', 'b', 'c', 'd'];
const D = 3;

interface Step {
  x: number[];
  quality: number;
  costs: number[];
  lambda: number;
  mask: boolean[];
  maxCost: number | null;
  minQuality: number | null;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  x: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: D, maxLength: D }),
  quality: fc.double({ min: 0, max: 1, noNaN: true }),
  costs: fc.array(fc.double({ min: 0, max: 0.1, noNaN: true }), { minLength: ARMS.length, maxLength: ARMS.length }),
  lambda: fc.constantFrom(0, 1, 10),
  mask: fc.array(fc.boolean(), { minLength: ARMS.length, maxLength: ARMS.length }),
  maxCost: fc.option(fc.double({ min: 0, max: 0.1, noNaN: true }), { nil: null }),
  minQuality: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
});

function available(s: Step): ArmId[] {
  const a = ARMS.filter((_, i) => s.mask[i]);
  return a.length > 0 ? a : [ARMS[0]];
}

function constraints(s: Step): DecideConstraints {
  const costs: Record<ArmId, number> = {};
  ARMS.forEach((a, i) => (costs[a] = s.costs[i]));
  return {
    lambda: s.lambda,
    costs,
    ...(s.maxCost !== null ? { maxCostUsd: s.maxCost } : {}),
    ...(s.minQuality !== null ? { minQuality: s.minQuality } : {}),
  };
}

// Few Monte Carlo draws: Jest's vm context makes Math-heavy loops slow (jestjs/jest#5163).
const CONFIGS: [string, PolicyOptions][] = [
  ['random', {}],
  ['fixed:b', {}],
  ['epsilon-greedy', {}],
  ['epsilon-greedy', { epsilonDecay: 5, gamma: 0.95 }],
  ['ucb1', {}],
  ['ucb1', { priors: { a: { mean: 0.8, weight: 3 } } }],
  ['discounted-ucb', {}],
  ['discounted-ucb', { window: 7 }],
  ['thompson', { propensityDraws: 8 }],
  ['thompson', { kind: 'gaussian', propensityDraws: 8, gamma: 0.9 }],
  ['thompson', { kind: 'gaussian', variance: 0.1, propensityDraws: 8 }],
  ['linucb', { d: D }],
  ['linucb', { d: D, gamma: 0.9, refreshEvery: 5 }],
  ['linucb', { d: D, simd: false }],
  ['lints', { d: D, propensityDraws: 8 }],
  ['conservative', { inner: 'ucb1', conservative: { baseline: 'a', alpha: 0.2, maxExplorationUsd: 0.2 } }],
  ['conservative', { inner: 'thompson', propensityDraws: 8, conservative: { baseline: 'b' } }],
  ['auto', { d: D, buckets: 4 }],
  ['auto', { d: D, buckets: 4, explorationFloor: 0.1, alpha: 0 }],
];

const make = (name: string, opts: PolicyOptions, seed: number): Policy =>
  createPolicy(name, { arms: ARMS, seed, ...opts });

function step(p: Policy, s: Step) {
  const ctx = { features: s.x };
  const d = p.decide(ctx, available(s), constraints(s));
  p.update(ctx, d.arm, { quality: s.quality, costUsd: s.costs[ARMS.indexOf(d.arm)] });
  return d;
}

describe.each(CONFIGS)('%s %j', (name, opts) => {
  it('propensities: a distribution over offered arms, propensity = probability of the chosen arm', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 1000 }),
        (steps, seed) => {
          const p = make(name, opts, seed);
          for (const s of steps) {
            const avail = available(s);
            const d = step(p, s);
            const probs = Object.entries(d.probabilities);
            const sum = probs.reduce((t, [, v]) => t + v, 0);
            expect(Math.abs(sum - 1)).toBeLessThan(1e-9);
            for (const [a, v] of probs) {
              expect(avail).toContain(a);
              expect(v).toBeGreaterThanOrEqual(0);
            }
            expect(avail).toContain(d.arm);
            expect(d.propensity).toBe(d.probabilities[d.arm]);
            expect(d.propensity).toBeGreaterThan(0);
            expect(d.propensity).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('toState -> JSON -> policyFromState continues with identical decisions', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { minLength: 0, maxLength: 15 }),
        fc.array(stepArb, { minLength: 1, maxLength: 15 }),
        fc.integer({ min: 1, max: 1000 }),
        (prefix, suffix, seed) => {
          const p = make(name, opts, seed);
          for (const s of prefix) step(p, s);
          const q = policyFromState(JSON.parse(JSON.stringify(p.toState())) as PolicyState);
          expect(q.algorithm).toBe(p.algorithm);
          expect(q.arms().sort()).toEqual(p.arms().sort());
          for (const s of suffix) expect(step(q, s)).toEqual(step(p, s));
          expect(JSON.stringify(q.toState())).toBe(JSON.stringify(p.toState()));
        },
      ),
      { numRuns: 20 },
    );
  });
});

/** Numbers equal within tol (relative to magnitude), recursively through arrays and objects. */
function expectClose(a: unknown, b: unknown, tol: number, path = '$'): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Math.abs(a - b) > tol * (1 + Math.abs(a))) throw new Error(`${path}: ${a} != ${b}`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    expect(a.length).toBe(b.length);
    a.forEach((v, i) => expectClose(v, b[i], tol, `${path}[${i}]`));
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    for (const k of Object.keys(a))
      expectClose((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol, `${path}.${k}`);
    return;
  }
  expect(a).toEqual(b);
}

const updateArb = fc.record({
  arm: fc.constantFrom(...ARMS),
  x: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: D, maxLength: D }),
  quality: fc.double({ min: 0, max: 1, noNaN: true }),
});
type Upd = { arm: ArmId; x: number[]; quality: number };
const feed = (p: Policy, us: Upd[]) =>
  us.forEach((u) => p.update({ features: u.x }, u.arm, { quality: u.quality, costUsd: 0 }));

/** Statistics that must merge exactly (the one-step-ahead residual sum of a linear arm depends on order: excluded). */
function mergeable(s: PolicyState): unknown {
  const st = JSON.parse(JSON.stringify(s.stats)) as Record<string, unknown>;
  if (st['arms'] && typeof st['arms'] === 'object') {
    for (const arm of Object.values(st['arms'] as Record<string, Record<string, unknown>>)) {
      if (arm && !Array.isArray(arm)) {
        delete arm['res2'];
        delete arm['since'];
      }
    }
  }
  return { arms: [...s.arms].sort(), stats: st };
}

const MERGE_CONFIGS: [string, PolicyOptions][] = [
  ['epsilon-greedy', {}],
  ['ucb1', { priors: { a: { mean: 0.8, weight: 3 }, c: { mean: 0.2, weight: 1 } } }],
  ['thompson', {}],
  ['thompson', { kind: 'gaussian' }],
  ['fixed:a', {}],
  ['linucb', { d: D }],
  ['lints', { d: D, reg: 0.5 }],
];

describe.each(MERGE_CONFIGS)('merge %s %j', (name, opts) => {
  const fresh = () => {
    const p = make(name, opts, 1);
    // A shared warm-start prior, which must be counted once.
    if (p instanceof LinearPolicy) {
      p.seed('a', [1, 0.5, -0.5], 0.9, 4);
      p.seed('b', [1, -0.2, 0.3], 0.4, 2);
    }
    return p;
  };

  it('merging two replicas equals one policy that saw both streams (prior counted once)', () => {
    fc.assert(
      fc.property(fc.array(updateArb, { maxLength: 30 }), fc.array(updateArb, { maxLength: 30 }), (s1, s2) => {
        const a = fresh();
        const b = fresh();
        const all = fresh();
        feed(a, s1);
        feed(b, s2);
        feed(all, [...s1, ...s2]);
        a.merge(b.toState());
        expectClose(mergeable(a.toState()), mergeable(all.toState()), 1e-9);
        const ctx = { features: [0.3, -0.7, 0.2] };
        for (const arm of ARMS) expectClose(a.estimate(ctx, arm).mean, all.estimate(ctx, arm).mean, 1e-9);
      }),
      { numRuns: 30 },
    );
  });

  it('with a shared base snapshot, the base is counted once as well', () => {
    fc.assert(
      fc.property(
        fc.array(updateArb, { maxLength: 20 }),
        fc.array(updateArb, { maxLength: 20 }),
        fc.array(updateArb, { maxLength: 20 }),
        (s0, s1, s2) => {
          const root = fresh();
          feed(root, s0);
          const base = root.toState();
          const a = policyFromState(base);
          const b = policyFromState(base);
          feed(a, s1);
          feed(b, s2);
          const all = policyFromState(base);
          feed(all, [...s1, ...s2]);
          a.merge(b.toState(), base);
          expectClose(mergeable(a.toState()), mergeable(all.toState()), 1e-9);
        },
      ),
      { numRuns: 20 },
    );
  });
});

describe('merge: linear decisions after merging match the single-stream policy', () => {
  it('same scores within 1e-9 on fresh contexts', () => {
    fc.assert(
      fc.property(
        fc.array(updateArb, { minLength: 5, maxLength: 40 }),
        fc.array(updateArb, { minLength: 5, maxLength: 40 }),
        fc.array(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: D, maxLength: D }), {
          minLength: 1,
          maxLength: 5,
        }),
        (s1, s2, xs) => {
          const mk = () => createPolicy('linucb', { arms: ARMS, d: D, coldPulls: 0 });
          const a = mk();
          const b = mk();
          const all = mk();
          feed(a, s1);
          feed(b, s2);
          feed(all, [...s1, ...s2]);
          a.merge(b.toState());
          for (const x of xs) {
            const c = { lambda: 0, costs: {} };
            expectClose(a.decide({ features: x }, ARMS, c).scores, all.decide({ features: x }, ARMS, c).scores, 1e-9);
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
