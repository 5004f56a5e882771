import v1Fixture from './fixtures/auto-state-v1.json';
import v2Fixture from './fixtures/auto-state-v2.json';
import { DecisionContext, PolicyState } from '../policy';
import { policyFromState } from '../registry';
// Registers 'auto' (the type import alone would be elided).
import './auto-policy';
import type { AutoPolicy } from './auto-policy';
import { AutoFeatureMap } from './features';
import { AUTO_STATE_FORMAT, migrateStats } from './state-codec';
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
 * The uncertainty is now that of the block-diagonal posterior of the same data (0027).
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
  gram: number[];
  covariance: number[];
  coefficients: number[];
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

  it("keeps the exact mean of the stored data's posterior and the blocks of its precision", () => {
    const migrated = migrateStats(structuredClone(stored.stats), coreSize);
    expect(migrated.format).toBe(AUTO_STATE_FORMAT);
    const gram = stored.stats.shared.gram;
    const after = migrated.shared;
    for (let i = 0; i < dimension; i++) close(after.coefficients[i], stored.stats.shared.coefficients[i]);
    let k = 0;
    for (let i = 0; i < coreSize; i++)
      for (let j = i; j < coreSize; j++) expect(after.coreGram[k++]).toBe(gram[packedIndex(dimension, i, j)]);
    for (let i = coreSize; i < dimension; i++)
      expect(after.tailGram[i - coreSize]).toBe(gram[packedIndex(dimension, i, i)]);
  });

  it("half-widths are those of the block-diagonal parts of the stored data's posterior precision", () => {
    expect(coreSize).toBe(2);
    /** z' C z with C = (I + gram_core)^-1 on the intercept and length, 1 / (1 + gram_ii) elsewhere. */
    const variance = (r: StoredRidge, scale: number[], ctx: DecisionContext) => {
      const x = map.raw(ctx);
      const g = (i: number, j: number) => r.gram[packedIndex(dimension, i, j)];
      const z = new Array<number>(dimension).fill(0);
      for (let k = 0; k < x.nnz; k++) z[x.idx[k]] = x.val[k] * scale[x.idx[k]];
      const [a, b, c] = [1 + g(0, 0), g(0, 1), 1 + g(1, 1)];
      const det = a * c - b * b;
      let v = (c * z[0] * z[0] - 2 * b * z[0] * z[1] + a * z[1] * z[1]) / det;
      for (let i = coreSize; i < dimension; i++) v += (z[i] * z[i]) / (1 + g(i, i));
      return v;
    };
    const p = policyFromState(structuredClone(stored)) as AutoPolicy;
    for (const ctx of v2Fixture.probes as DecisionContext[])
      for (const arm of ['alpha', 'beta', 'gamma']) {
        const a = stored.stats.arms[arm];
        const v =
          variance(a.deviation, a.deviationScale, ctx) + variance(stored.stats.shared, stored.stats.sharedScale, ctx);
        close(p.estimate(ctx, arm).halfWidth, 1.96 * stored.stats.noise * Math.sqrt(v));
      }
  });
});
