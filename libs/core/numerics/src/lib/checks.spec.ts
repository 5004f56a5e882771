import { requireAtLeast, requireFinite, requireNonNegative, requirePositive } from './checks';

describe('numeric guards', () => {
  it('return the value when it holds', () => {
    expect(requireFinite('x', -3)).toBe(-3);
    expect(requireAtLeast('x', 1, 1)).toBe(1);
    expect(requireNonNegative('x', 0)).toBe(0);
    expect(requirePositive('x', 1e-9)).toBe(1e-9);
  });

  it('name the value and say what it must be otherwise', () => {
    expect(() => requireFinite('alpha', NaN)).toThrow(new RangeError('alpha must be a finite number, got NaN'));
    expect(() => requireAtLeast('payback', 0.5, 1)).toThrow(
      new RangeError('payback must be a finite number >= 1, got 0.5'),
    );
    expect(() => requireNonNegative('spent', -1)).toThrow(new RangeError('spent must be a finite number >= 0, got -1'));
    expect(() => requirePositive('budget', 0)).toThrow(new RangeError('budget must be a finite number > 0, got 0'));
    expect(() => requirePositive('budget', Infinity)).toThrow(RangeError);
  });
});
