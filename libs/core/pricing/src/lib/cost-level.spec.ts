import { COST_LEVEL_PRIOR_CALLS, costLevel } from './cost-level';

describe('costLevel', () => {
  it('is 1 with nothing to go on', () => {
    expect(costLevel({ realisedUsd: 0, expectedUsd: 0, calls: 0 })).toBe(1);
    expect(costLevel({ realisedUsd: 1, expectedUsd: 0, calls: 3 })).toBe(1);
    expect(costLevel({ realisedUsd: -1, expectedUsd: 1, calls: 3 })).toBe(1);
    expect(costLevel({ realisedUsd: NaN, expectedUsd: 1, calls: 3 })).toBe(1);
  });

  it('moves from 1 towards realised / expected as calls accumulate', () => {
    expect(COST_LEVEL_PRIOR_CALLS).toBe(10);
    // One call that cost 4x what was expected: (4 + 10) / (1 + 10).
    expect(costLevel({ realisedUsd: 4, expectedUsd: 1, calls: 1 })).toBeCloseTo(14 / 11, 12);
    expect(costLevel({ realisedUsd: 800, expectedUsd: 200, calls: 200 })).toBeCloseTo(810 / 210, 12);
    expect(costLevel({ realisedUsd: 1, expectedUsd: 4, calls: 1 }, 0)).toBeCloseTo(0.25, 12);
    // Independent of the unit: the prior is counted in calls, at the mean expected cost per call.
    expect(costLevel({ realisedUsd: 4e-6, expectedUsd: 1e-6, calls: 1 })).toBeCloseTo(14 / 11, 12);
  });
});
