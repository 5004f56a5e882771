import { CORRECTED_EXPLORE, DEFAULT_EXPLORE, explorationHead, explorationSize } from './exploration-round';

describe('explorationSize', () => {
  it('takes three queries by default and six when the recent residuals correct the plan', () => {
    expect(explorationSize(false)).toBe(DEFAULT_EXPLORE);
    expect(explorationSize(true)).toBe(CORRECTED_EXPLORE);
    expect([DEFAULT_EXPLORE, CORRECTED_EXPLORE]).toEqual([3, 6]);
  });

  it('takes a given size over the default, as a whole non-negative number', () => {
    expect(explorationSize(true, 0)).toBe(0);
    expect(explorationSize(false, 4.7)).toBe(4);
    expect(explorationSize(false, -2)).toBe(0);
  });
});

describe('explorationHead', () => {
  it('heads a window with the sub-round when the rest is larger than it', () => {
    expect(explorationHead(100, 3)).toBe(3);
    expect(explorationHead(7, 3)).toBe(3);
  });

  it('plans a small window whole', () => {
    expect(explorationHead(6, 3)).toBe(0);
    expect(explorationHead(1, 3)).toBe(0);
  });

  it('has no sub-round when exploration is off', () => {
    expect(explorationHead(100, 0)).toBe(0);
  });
});
