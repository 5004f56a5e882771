import { CostModel } from './price-table';

describe('CostModel', () => {
  const cheap = { model: 'cheap', inputPerM: 0.1, outputPerM: 0.1 };
  const pricey = { model: 'pricey', inputPerM: 2, outputPerM: 10 };

  it('learns usage per model from observed costs and prices the next call with it', () => {
    const m = new CostModel();
    m.setPrice(pricey);
    const blended = CostModel.blended(pricey);
    m.observe('pricey', blended * 0.002);
    m.observe('pricey', blended * 0.004);
    expect(m.expectedCost('pricey')).toBeCloseTo(blended * 0.003, 12);
  });

  it('moves the expected cost at once on a price event, keeping the learned usage', () => {
    const m = new CostModel();
    m.setPrice(pricey);
    m.observe('pricey', CostModel.blended(pricey) * 0.002);
    const before = m.expectedCost('pricey');
    m.setPrice({ ...pricey, inputPerM: 0.2, outputPerM: 1 });
    expect(m.expectedCost('pricey')).toBeCloseTo(before / 10, 12);
    m.setPrice({ ...pricey, costFactor: 0.02 });
    expect(m.expectedCost('pricey')).toBeCloseTo(before * 0.02, 12);
  });

  it('uses the mean usage of other models for one never observed, and 0 for self-hosted', () => {
    const m = new CostModel();
    m.setPrice(cheap);
    m.setPrice(pricey);
    m.observe('cheap', CostModel.blended(cheap) * 0.001);
    expect(m.expectedCost('pricey')).toBeCloseTo(CostModel.blended(pricey) * 0.001, 12);
    // Which usage is its own: cheap's was learnt, pricey's is the others' mean.
    expect([m.learnt('cheap'), m.learnt('pricey'), m.learnt('unknown')]).toEqual([true, false, false]);
    m.setPrice({ model: 'gpu', inputPerM: 0.05, outputPerM: 0.05, selfHosted: true, concurrency: 4 });
    expect(m.expectedCost('gpu')).toBe(0);
    expect(m.expectedCost('unknown')).toBe(0);
  });

  it('serialises and restores', () => {
    const m = new CostModel();
    m.setPrice(pricey);
    m.observe('pricey', 0.01);
    const r = CostModel.fromState(JSON.parse(JSON.stringify(m.toState())));
    expect(r.expectedCost('pricey')).toBe(m.expectedCost('pricey'));
  });
});
