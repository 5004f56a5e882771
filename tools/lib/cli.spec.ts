import { Command } from 'commander';
import { NONE, noneAsNull, num, numOrNone } from './cli';

/** A `--budget` option as e2e and replay declare it, parsed from `argv`. */
function budgetOf(argv: string[]): number | null {
  const opts = new Command('t')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .option('--budget <usd>', 'target', numOrNone('--budget', { positive: true }), NONE)
    .parse(argv, { from: 'user' })
    .opts<{ budget: number | typeof NONE }>();
  return noneAsNull(opts.budget);
}

describe('numOrNone', () => {
  it("reads 'none' as null, whatever its case, and a number as itself", () => {
    expect(budgetOf(['--budget', 'none'])).toBeNull();
    expect(budgetOf(['--budget', ' None '])).toBeNull();
    expect(budgetOf(['--budget', '0.00023'])).toBe(0.00023);
    expect(budgetOf([])).toBeNull();
  });

  it('refuses what is neither, naming the option and both forms', () => {
    expect(() => budgetOf(['--budget', '0'])).toThrow("--budget (a number or 'none') must be > 0, got '0'.");
    expect(() => budgetOf(['--budget', 'nothing'])).toThrow(
      "--budget (a number or 'none') must be a number, got 'nothing'.",
    );
  });

  it('is needed: commander stores a parser that returns null as an empty string', () => {
    const opts = new Command('t')
      .option('--budget <usd>', 'target', (v: string) => (v === NONE ? null : num('--budget')(v)))
      .parse(['--budget', 'none'], { from: 'user' })
      .opts<{ budget: unknown }>();
    // `e2e --budget none` once handed the services BUDGET_PER_QUERY_USD='' this way.
    expect(opts.budget).toBe('');
  });
});
