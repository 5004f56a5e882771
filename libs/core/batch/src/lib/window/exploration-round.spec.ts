import {
  AUTO_EXPLORE,
  CORRECTED_EXPLORE,
  DEFAULT_EXPLORE,
  explorationHead,
  explorationSize,
  parseExploreSetting,
  anyUnknownToPolicy,
  neverPulledModels,
  unknownToPolicy,
} from './exploration-round';

describe('explorationSize', () => {
  it('by default, in the app and the replay alike, has a sub-round only while a model is unknown to the policy', () => {
    expect(DEFAULT_EXPLORE).toBe('unknown');
    expect(explorationSize(false)).toBe(0);
    expect(explorationSize(true)).toBe(0);
    expect(explorationSize(false, DEFAULT_EXPLORE, () => true)).toBe(AUTO_EXPLORE);
    expect(explorationSize(true, DEFAULT_EXPLORE, () => true)).toBe(CORRECTED_EXPLORE);
  });

  it('takes a model as unknown to the policy when its estimate has no bounds', () => {
    expect(unknownToPolicy({ halfWidth: Infinity })).toBe(true);
    expect(unknownToPolicy({ halfWidth: NaN })).toBe(true);
    expect(unknownToPolicy({ halfWidth: 0.3 })).toBe(false);
  });

  it('finds the models a policy never pulled and whether it knows nothing of one', () => {
    const estimates: Record<string, { mean: number; halfWidth: number; n: number }> = {
      pulled: { mean: 0.7, halfWidth: 0.1, n: 4 },
      prior: { mean: 0.6, halfWidth: 0.2, n: 0 },
      unknown: { mean: 0.5, halfWidth: Infinity, n: 0 },
    };
    const policy = { estimate: (_ctx: unknown, m: string) => estimates[m] };
    expect(neverPulledModels(policy, {}, ['pulled', 'prior', 'unknown'])).toEqual([1, 2]);
    expect(anyUnknownToPolicy(policy, {}, ['pulled', 'prior'])).toBe(false);
    expect(anyUnknownToPolicy(policy, {}, ['pulled', 'unknown'])).toBe(true);
  });

  it('gives auto and a size whether or not a model is unknown', () => {
    expect(explorationSize(false, 'auto', () => false)).toBe(AUTO_EXPLORE);
    expect(explorationSize(false, 5, () => false)).toBe(5);
    expect(explorationSize(false, 0, () => true)).toBe(0);
  });

  it('takes three queries on auto, and six when the recent residuals correct the plan', () => {
    expect(explorationSize(false, 'auto')).toBe(AUTO_EXPLORE);
    expect(explorationSize(true, 'auto')).toBe(CORRECTED_EXPLORE);
    expect([AUTO_EXPLORE, CORRECTED_EXPLORE]).toEqual([3, 6]);
  });

  it('takes a given size over the default, as a whole non-negative number', () => {
    expect(explorationSize(true, 0)).toBe(0);
    expect(explorationSize(false, 4.7)).toBe(4);
    expect(explorationSize(false, -2)).toBe(0);
  });
});

describe('parseExploreSetting', () => {
  it('reads auto, unknown or a whole number', () => {
    expect(parseExploreSetting('auto')).toBe('auto');
    expect(parseExploreSetting('unknown')).toBe('unknown');
    expect(parseExploreSetting('0')).toBe(0);
    expect(parseExploreSetting('6')).toBe(6);
  });

  it('names what it refuses', () => {
    for (const bad of ['', 'Auto', 'unknown ', '-1', '2.5', 'three'])
      expect(() => parseExploreSetting(bad)).toThrow(
        `explore must be 'auto', 'unknown' or an integer >= 0, got '${bad}'`,
      );
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
