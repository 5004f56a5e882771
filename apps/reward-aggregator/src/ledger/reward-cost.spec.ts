import { MAX_CLAIMED_COST_FACTOR, rewardCost } from './reward-cost';

describe('rewardCost', () => {
  const decision = { arm: 'a', priceSnapshot: { a: 0.002, b: 0.01 } };

  it("charges the router's realised cost whatever the feedback claims", () => {
    expect(rewardCost({ ...decision, realisedCostUsd: 0.003 })).toEqual({ costUsd: 0.003, claimIgnored: false });
    expect(rewardCost({ ...decision, realisedCostUsd: 0.003 }, 1e300)).toEqual({ costUsd: 0.003, claimIgnored: true });
    expect(rewardCost({ ...decision, realisedCostUsd: 0.003 }, 0.003)).toEqual({ costUsd: 0.003, claimIgnored: false });
    expect(rewardCost({ ...decision, realisedCostUsd: 0 }, 5)).toEqual({ costUsd: 0, claimIgnored: true });
  });

  it('takes a plausible claim on a decision without a realised cost, else the expected cost', () => {
    expect(rewardCost(decision)).toEqual({ costUsd: 0.002, claimIgnored: false });
    expect(rewardCost(decision, 0.2)).toEqual({ costUsd: 0.2, claimIgnored: false });
    expect(rewardCost(decision, 0)).toEqual({ costUsd: 0, claimIgnored: false });
    expect(rewardCost(decision, MAX_CLAIMED_COST_FACTOR * 0.002)).toEqual({ costUsd: 2, claimIgnored: false });
    expect(rewardCost(decision, 2.0001)).toEqual({ costUsd: 0.002, claimIgnored: true });
    expect(rewardCost(decision, 1e300)).toEqual({ costUsd: 0.002, claimIgnored: true });
  });

  it('charges nothing for an arm the snapshot does not price, and believes no claim there', () => {
    expect(rewardCost({ arm: 'c', priceSnapshot: {} })).toEqual({ costUsd: 0, claimIgnored: false });
    expect(rewardCost({ arm: 'c', priceSnapshot: {} }, 0.5)).toEqual({ costUsd: 0, claimIgnored: true });
  });
});
