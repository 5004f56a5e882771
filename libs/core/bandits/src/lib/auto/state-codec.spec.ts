import v1Fixture from './fixtures/auto-state-v1.json';
import v2Fixture from './fixtures/auto-state-v2.json';
import { DecisionContext, PolicyState } from '../policy';
import { policyFromState } from '../registry';
// Registers 'auto' (the type import alone would be elided).
import './auto-policy';
import type { AutoPolicy } from './auto-policy';
import { AutoFeatureMap } from './features';
import { AUTO_STATE_FORMAT, migrateStats } from './state-codec';
import { projectCovariance } from './ridge';
import { packedIndex } from '../linalg';

/**
 * Stored states of every earlier format, each with that code's estimates and prompt costs on
 * two probe prompts (synthetic data: two prompt templates, three warm-started arms, 20 bandit
 * steps, one cold arm added):
 * - fixtures/auto-state-v1.json: format 1, the single-file auto-policy.ts (cryptic field
 *   names, full square matrices), one context feature;
 * - fixtures/auto-state-v2.json: format 2 (main before docs/decisions/0027: full packed
 *   posterior covariances), two context features.
 * Stored states must keep loading and mean the same: the same learned means and prompt costs.
 * The uncertainty is the block-diagonal projection of the stored posterior (0027): the
 * context features lose their covariances with the rest, which moves a half-width a little.
 */
interface Fixture {
  state: unknown;
  probes: DecisionContext[];
  expected: Record<string, { mean: number; halfWidth: number; n: number; expectedCost: number }>[];
}

const FIXTURES: [string, Fixture][] = [
  ['format-1', v1Fixture as unknown as Fixture],
  ['format-2', v2Fixture as unknown as Fixture],
];

function close(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(expected)));
}

const stateOf = (f: Fixture) => structuredClone(f.state) as PolicyState;

describe.each(FIXTURES)('auto state format: a %s state', (_, fixture) => {
  it('loads with the same estimated means and prompt costs', () => {
    fixture.probes.forEach((ctx, k) => {
      for (const [arm, want] of Object.entries(fixture.expected[k])) {
        const p = policyFromState(stateOf(fixture)) as AutoPolicy;
        const e = p.estimate(ctx, arm);
        close(e.mean, want.mean);
        expect(e.n).toBe(want.n);
        close(p.expectedCost(ctx, arm, 1e-4), want.expectedCost);
      }
    });
  });

  it('keeps arms, removed arms and the RNG position, and writes the current format', () => {
    const stored = stateOf(fixture);
    const p = policyFromState(stateOf(fixture));
    expect(p.arms()).toEqual(stored.arms);
    const s = p.toState();
    expect(s.rng).toBe(stored.rng);
    expect((s.stats as { format: number }).format).toBe(AUTO_STATE_FORMAT);
    const stats = s.stats as { arms: Record<string, Record<string, unknown>> };
    expect(Object.keys(stats.arms.alpha)).toEqual(
      expect.arrayContaining(['baseQuality', 'deviationScale', 'deviation', 'usageMultiplier', 'deviationMean']),
    );
  });

  it('round-trips exactly through JSON once migrated, and keeps learning the same', () => {
    const once = policyFromState(stateOf(fixture));
    const twice = policyFromState(JSON.parse(JSON.stringify(once.toState())) as PolicyState);
    expect(JSON.stringify(twice.toState())).toBe(JSON.stringify(once.toState()));
    for (const p of [once, twice])
      p.update(fixture.probes[0], 'beta', { quality: 0.9, costUsd: 2e-4, expectedCostUsd: 1e-4 });
    expect(JSON.stringify(twice.toState())).toBe(JSON.stringify(once.toState()));
  });

  it('refuses a state format it does not know', () => {
    const future = stateOf(fixture);
    future.stats = { ...(policyFromState(stateOf(fixture)).toState().stats as object), format: 99 };
    expect(() => policyFromState(future)).toThrow(/format 99/);
  });
});

interface StoredRidge {
  covariance: number[];
  coefficients: number[];
  targetMoment: number[];
}

describe('auto state format 2 -> 3', () => {
  const stored = v2Fixture.state as unknown as PolicyState & {
    params: { d: number; buckets: number };
    stats: {
      noise: number;
      sharedScale: number[];
      shared: StoredRidge;
      arms: Record<string, { deviationScale: number[]; deviation: StoredRidge }>;
    };
  };
  const map = new AutoFeatureMap(stored.params.d, stored.params.buckets);
  const { coreSize, dimension } = map;

  it('keeps the online coefficients and the core block of each covariance, and the tail marginals', () => {
    expect(coreSize).toBeLessThan(dimension);
    const migrated = migrateStats(structuredClone(stored.stats), coreSize);
    const before = stored.stats.shared;
    const after = migrated.shared;
    expect(after.coefficients).toEqual(before.coefficients);
    // The core block is row i's first (coreSize - i) entries of the full packed triangle.
    let row = 0;
    let k = 0;
    for (let i = 0; i < coreSize; i++) {
      for (let j = i; j < coreSize; j++) expect(after.coreCovariance![k++]).toBe(before.covariance[row + j - i]);
      row += dimension - i;
    }
    const { tail } = projectCovariance(before.covariance, dimension, coreSize);
    expect(after.tailVariance).toEqual(Array.from(tail));
    for (const a of Object.keys(migrated.arms)) expect(migrated.arms[a].deviation.coreCovariance).toBeDefined();
  });

  it("half-widths are the stored posterior's without the context features' covariances", () => {
    /** z' C z of a stored full covariance, dropping every pair that involves a context feature twice over. */
    const projectedVariance = (r: StoredRidge, scale: number[], ctx: DecisionContext) => {
      const x = map.raw(ctx);
      let s = 0;
      for (let a = 0; a < x.nnz; a++)
        for (let b = 0; b < x.nnz; b++) {
          const i = x.idx[a];
          const j = x.idx[b];
          if ((i >= coreSize || j >= coreSize) && i !== j) continue;
          s += x.val[a] * scale[i] * r.covariance[packedIndex(dimension, i, j)] * x.val[b] * scale[j];
        }
      return s;
    };
    const p = policyFromState(structuredClone(stored)) as AutoPolicy;
    for (const ctx of v2Fixture.probes as DecisionContext[])
      for (const arm of ['alpha', 'beta', 'gamma']) {
        const a = stored.stats.arms[arm];
        const v =
          projectedVariance(a.deviation, a.deviationScale, ctx) +
          projectedVariance(stored.stats.shared, stored.stats.sharedScale, ctx);
        close(p.estimate(ctx, arm).halfWidth, 1.96 * stored.stats.noise * Math.sqrt(v));
      }
  });
});
