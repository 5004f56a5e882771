import { ownValue } from './own';

describe('ownValue', () => {
  it('finds own entries', () => {
    expect(ownValue({ support: 'thompson' }, 'support')).toBe('thompson');
    expect(ownValue({ support: 'thompson' }, 'code')).toBeUndefined();
    expect(ownValue(undefined, 'support')).toBeUndefined();
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'treats the inherited name %s as unknown',
    (key) => {
      expect(({} as Record<string, unknown>)[key]).toBeDefined();
      expect(ownValue({}, key)).toBeUndefined();
    },
  );

  it('still finds an own entry with an inherited name', () => {
    expect(ownValue(JSON.parse('{"constructor":"linucb"}') as Record<string, string>, 'constructor')).toBe('linucb');
  });
});
