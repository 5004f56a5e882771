import { MAX_CLAIMED_COST_FACTOR, rewardCost } from './reward-cost';

describe('rewardCost', () => {
  const decision = { arm: 'a', priceSnapshot: { a: 0.002, b: 0.01 } };

  it("charges the router's realised cost, else the expected one, without a bill", () => {
    expect(rewardCost({ ...decision, realisedCostUsd: 0.003 })).toEqual({ costUsd: 0.003, claimIgnored: false });
    expect(rewardCost(decision)).toEqual({ costUsd: 0.002, claimIgnored: false });
  });

  it("takes a provider's bill over the realised cost, up to the bound", () => {
    expect(rewardCost({ ...decision, realisedCostUsd: 0.003 }, 0.009)).toEqual({ costUsd: 0.009, claimIgnored: false });
    expect(rewardCost({ ...decision, realisedCostUsd: 0.003 }, 0)).toEqual({ costUsd: 0, claimIgnored: false });
    expect(rewardCost({ ...decision, realisedCostUsd: 0.003 }, MAX_CLAIMED_COST_FACTOR * 0.003)).toEqual({
      costUsd: 3,
      claimIgnored: false,
    });
    // Without a realised cost the bound is on the expected cost.
    expect(rewardCost(decision, 0.2)).toEqual({ costUsd: 0.2, claimIgnored: false });
  });

  it('sets aside a bill above the bound, charging the call its own cost', () => {
    expect(rewardCost({ ...decision, realisedCostUsd: 0.003 }, 3.0001)).toEqual({ costUsd: 0.003, claimIgnored: true });
    expect(rewardCost({ ...decision, realisedCostUsd: 0.003 }, 1e300)).toEqual({ costUsd: 0.003, claimIgnored: true });
    expect(rewardCost(decision, 1e300)).toEqual({ costUsd: 0.002, claimIgnored: true });
  });

  it('measures the bound on the larger of the realised and the expected cost', () => {
    // A call realised at 0 (a cached answer) may still be billed up to the bound of its expected cost.
    expect(rewardCost({ ...decision, realisedCostUsd: 0 }, 1)).toEqual({ costUsd: 1, claimIgnored: false });
    expect(rewardCost({ ...decision, realisedCostUsd: 0 }, 5)).toEqual({ costUsd: 0, claimIgnored: true });
  });

  it('believes no bill on a call that cost nothing and was expected to cost nothing', () => {
    expect(rewardCost({ arm: 'c', priceSnapshot: {} })).toEqual({ costUsd: 0, claimIgnored: false });
    expect(rewardCost({ arm: 'c', priceSnapshot: {} }, 0.5)).toEqual({ costUsd: 0, claimIgnored: true });
  });
});
