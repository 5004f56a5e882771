import { decisionIdFor } from './decision-id';

describe('decisionIdFor', () => {
  it('is a function of (scope, request id): a re-delivered query keeps its id', () => {
    expect(decisionIdFor('s', 'r1')).toBe(decisionIdFor('s', 'r1'));
    expect(decisionIdFor('s', 'r1')).not.toBe(decisionIdFor('s', 'r2'));
    expect(decisionIdFor('s1', 'r')).not.toBe(decisionIdFor('s2', 'r'));
    expect(decisionIdFor('a', 'bc')).not.toBe(decisionIdFor('ab', 'c'));
    expect(decisionIdFor('s', 'r1')).toMatch(/^dec_[0-9a-f]{16}$/);
  });

  it('does not collide on 100k distinct request ids', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 100000; i++) ids.add(decisionIdFor('default', `req-${i}`));
    expect(ids.size).toBe(100000);
  });
});
