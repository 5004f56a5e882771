/**
 * Guards for numeric options and restored state: each returns the value when it holds and
 * throws a RangeError naming it otherwise, so a bad configuration or state fails where it
 * enters rather than as a NaN far downstream.
 */
export function requireFinite(name: string, x: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`${name} must be a finite number, got ${x}`);
  return x;
}

/** A finite number at least `min`. */
export function requireAtLeast(name: string, x: number, min: number): number {
  if (!(Number.isFinite(x) && x >= min)) throw new RangeError(`${name} must be a finite number >= ${min}, got ${x}`);
  return x;
}

export function requireNonNegative(name: string, x: number): number {
  return requireAtLeast(name, x, 0);
}

export function requirePositive(name: string, x: number): number {
  if (!(Number.isFinite(x) && x > 0)) throw new RangeError(`${name} must be a finite number > 0, got ${x}`);
  return x;
}
