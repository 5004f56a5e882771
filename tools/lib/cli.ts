/** Option parsing and input checks the command-line tools share. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';

/** Bad usage (option value, missing file): exit code 2, as for a commander parse error. */
export class UsageError extends Error {}

export interface NumOptions {
  min?: number;
  integer?: boolean;
  positive?: boolean;
  /** Strictly between 0 and 1 (a probability or a confidence level). */
  open01?: boolean;
}

/** A commander parser for a numeric option value, with the checks asked for. */
export function num(name: string, o: NumOptions = {}) {
  return (v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError(`${name} must be a number, got '${v}'.`);
    if (o.integer && !Number.isInteger(x)) throw new InvalidArgumentError(`${name} must be an integer, got '${v}'.`);
    if (o.positive && !(x > 0)) throw new InvalidArgumentError(`${name} must be > 0, got '${v}'.`);
    if (o.open01 && !(x > 0 && x < 1)) throw new InvalidArgumentError(`${name} must be in (0, 1), got '${v}'.`);
    if (o.min !== undefined && x < o.min) throw new InvalidArgumentError(`${name} must be >= ${o.min}, got '${v}'.`);
    return x;
  };
}

/** The word an option takes for "no value" (`--budget none`). */
export const NONE = 'none';

/**
 * `num` for an option that also takes 'none'. Commander stores a parser's null as '', so 'none'
 * stays a word until `noneAsNull` reads it after parsing.
 */
export function numOrNone(name: string, o: NumOptions = {}) {
  const parse = num(`${name} (a number or '${NONE}')`, o);
  return (v: string): number | typeof NONE => (v.trim().toLowerCase() === NONE ? NONE : parse(v));
}

/** The value of a `numOrNone` option: null for 'none'. */
export function noneAsNull(v: number | typeof NONE): number | null {
  return v === NONE ? null : v;
}

/** A commander parser from a parser that throws: its message becomes the usage error. */
export function cliArg<T>(parse: (v: string) => T) {
  return (v: string): T => {
    try {
      return parse(v);
    } catch (e) {
      throw new InvalidArgumentError(`${(e as Error).message}.`);
    }
  };
}

/** The text of an input file, or a UsageError naming `what` when it is missing or not a file. */
export function readText(file: string, what: string): string {
  if (!existsSync(file)) throw new UsageError(`${what} not found: ${file}`);
  if (!statSync(file).isFile()) throw new UsageError(`${what} is not a file: ${file}`);
  return readFileSync(file, 'utf8');
}
