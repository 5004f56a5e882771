import fixture from './fixtures/auto-state-v1.json';
import { PolicyState } from '../policy';
import { policyFromState } from '../registry';
// Registers 'auto' (the type import alone would be elided).
import './auto-policy';
import type { AutoPolicy } from './auto-policy';
import { AUTO_STATE_FORMAT } from './state-codec';

/**
 * fixtures/auto-state-v1.json: a state serialised by the single-file auto-policy.ts (format 1,
 * cryptic field names, full square matrices) on synthetic data (two prompt templates, three
 * warm-started arms, 20 bandit steps, one cold arm added), with that code's estimates and
 * prompt costs on two probe prompts. Stored states must keep loading and mean the same.
 */
const ARMS = ['alpha', 'beta', 'gamma'];

function close(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(expected)));
}

describe('auto state format', () => {
  const v1 = fixture.state as unknown as PolicyState;

  it('the fixture is a format-1 state', () => {
    expect((v1.stats as Record<string, unknown>)['format']).toBeUndefined();
    expect((v1.stats as Record<string, unknown>)['sm']).toBeDefined();
  });

  it('a format-1 state loads with the same estimates and prompt costs', () => {
    fixture.probes.forEach((ctx, k) => {
      for (const arm of ARMS) {
        const p = policyFromState(structuredClone(v1)) as AutoPolicy;
        const e = p.estimate(ctx, arm);
        const want = (
          fixture.expected[k] as Record<string, { mean: number; halfWidth: number; n: number; expectedCost: number }>
        )[arm];
        close(e.mean, want.mean);
        close(e.halfWidth, want.halfWidth);
        expect(e.n).toBe(want.n);
        close(p.expectedCost(ctx, arm, 1e-4), want.expectedCost);
      }
    });
  });

  it('keeps arms, removed arms and the RNG position, and writes the current format', () => {
    const p = policyFromState(structuredClone(v1));
    expect(p.arms()).toEqual(v1.arms);
    const s = p.toState();
    expect(s.rng).toBe(v1.rng);
    expect((s.stats as { format: number }).format).toBe(AUTO_STATE_FORMAT);
    const stats = s.stats as { arms: Record<string, Record<string, unknown>> };
    expect(Object.keys(stats.arms.alpha)).toEqual(
      expect.arrayContaining(['baseQuality', 'deviationScale', 'deviation', 'usageMultiplier', 'deviationMean']),
    );
  });

  it('a migrated state round-trips exactly through JSON', () => {
    const once = policyFromState(structuredClone(v1)).toState();
    const twice = policyFromState(JSON.parse(JSON.stringify(once)) as PolicyState).toState();
    expect(JSON.stringify(twice)).toBe(JSON.stringify(once));
  });

  it('refuses a state format it does not know', () => {
    const future = structuredClone(v1);
    future.stats = { ...(policyFromState(structuredClone(v1)).toState().stats as object), format: 99 };
    expect(() => policyFromState(future)).toThrow(/format 99/);
  });
});
