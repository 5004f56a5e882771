import { worstCaseCostUsd } from './worst-case-cost';

describe('worstCaseCostUsd', () => {
  it('prices the prompt and max output at the most expensive eligible model', () => {
    const cheap = { inputPerM: 1, outputPerM: 2 };
    const dear = { inputPerM: 3, outputPerM: 10 };
    expect(worstCaseCostUsd([cheap, dear], 1000, 500)).toBeCloseTo((1000 * 3 + 500 * 10) / 1e6, 12);
    // A model dear on input but cheap on output wins for long prompts.
    const longInput = { inputPerM: 20, outputPerM: 1 };
    expect(worstCaseCostUsd([dear, longInput], 10_000, 10)).toBeCloseTo((10_000 * 20 + 10) / 1e6, 12);
  });

  it('is zero with no priced model', () => {
    expect(worstCaseCostUsd([], 100, 100)).toBe(0);
  });
});
