import { ArmId, ArmPrior, Policy, PolicyState } from './policy';
import { RandomPolicy } from './random-policy';
import { EpsilonGreedyOptions, EpsilonGreedyPolicy } from './epsilon-greedy';
import { Ucb1Options, Ucb1Policy } from './ucb1';
import { DiscountedUcbOptions, DiscountedUcbPolicy } from './discounted-ucb';
import { ThompsonOptions, ThompsonPolicy } from './thompson';
import { LinUcbOptions, LinUcbPolicy } from './linucb';
import { LinTsOptions, LinTsPolicy } from './lin-ts';
import { FixedPolicy } from './fixed-policy';
import { ConservativeOptions, ConservativePolicy } from './conservative';

/**
 * Options for createPolicy. Each policy reads the ones it knows (see its own *Options type)
 * and ignores the rest, so one options object can be passed to any name.
 */
export interface PolicyOptions {
  arms?: ArmId[];
  seed?: number;
  /** Feature dimension (linucb, lints). */
  d?: number;
  /** Exploration width (ucb1, discounted-ucb, linucb). */
  alpha?: number;
  epsilon?: number;
  /** Geometric forgetting in (0, 1]. */
  gamma?: number;
  priors?: Record<ArmId, ArmPrior>;
  coldPulls?: number;
  [option: string]: unknown;
}

/** `arg` is what follows the colon in a name like `fixed:<arm>`. */
export type PolicyFactory = (options: PolicyOptions, arg?: string) => Policy;
export type PolicyRestorer = (state: PolicyState) => Policy;

const registry = new Map<string, { factory: PolicyFactory; fromState: PolicyRestorer }>();

/**
 * Registers a policy under `name` (also the `algorithm` its states carry). Other libraries
 * add their policies ('auto', 'preference', ...) this way from their own files. Registering
 * an existing name replaces it.
 */
export function registerPolicy(name: string, factory: PolicyFactory, fromState: PolicyRestorer): void {
  if (!name || name.includes(':')) throw new Error(`invalid policy name '${name}'`);
  registry.set(name, { factory, fromState });
}

export function policyNames(): string[] {
  return [...registry.keys()];
}

function lookup(name: string): [{ factory: PolicyFactory; fromState: PolicyRestorer }, string | undefined] {
  const colon = name.indexOf(':');
  const key = colon < 0 ? name : name.slice(0, colon);
  const entry = registry.get(key);
  if (!entry) throw new Error(`unknown policy '${name}'; known: ${policyNames().join(', ')}`);
  return [entry, colon < 0 ? undefined : name.slice(colon + 1)];
}

/** createPolicy('linucb', { arms, d: 64, alpha: 1 }), createPolicy('fixed:gpt-4o-mini'), ... */
export function createPolicy(name: string, options: PolicyOptions = {}): Policy {
  const [entry, arg] = lookup(name);
  return entry.factory(options, arg);
}

/** Rebuilds any registered policy from its toState(): same statistics, same RNG state. */
export function policyFromState(state: PolicyState): Policy {
  return lookup(state.algorithm)[0].fromState(state);
}

function needD(o: PolicyOptions, name: string): number {
  if (typeof o.d !== 'number') throw new Error(`${name} needs options.d (feature dimension)`);
  return o.d;
}

registerPolicy('random', (o) => new RandomPolicy(o), RandomPolicy.fromState);
registerPolicy(
  'epsilon-greedy',
  (o) => new EpsilonGreedyPolicy(o as EpsilonGreedyOptions),
  EpsilonGreedyPolicy.fromState,
);
registerPolicy('ucb1', (o) => new Ucb1Policy(o as Ucb1Options), Ucb1Policy.fromState);
registerPolicy(
  'discounted-ucb',
  (o) => new DiscountedUcbPolicy(o as DiscountedUcbOptions),
  DiscountedUcbPolicy.fromState,
);
registerPolicy('thompson', (o) => new ThompsonPolicy(o as ThompsonOptions), ThompsonPolicy.fromState);
registerPolicy(
  'linucb',
  (o) => new LinUcbPolicy({ ...(o as Partial<LinUcbOptions>), d: needD(o, 'linucb') }),
  LinUcbPolicy.fromState,
);
registerPolicy(
  'lints',
  (o) => new LinTsPolicy({ ...(o as Partial<LinTsOptions>), d: needD(o, 'lints') }),
  LinTsPolicy.fromState,
);
registerPolicy(
  'fixed',
  (o, arg) => {
    const arm = arg ?? (o['arm'] as string | undefined);
    if (!arm) throw new Error("fixed policy needs an arm: 'fixed:<arm>'");
    return new FixedPolicy({ arm, arms: o.arms });
  },
  FixedPolicy.fromState,
);

/**
 * 'conservative' (or 'conservative:<inner>'), in either form:
 * - flat, as configuration gives it: { baseline, alpha, baselineMean, maxExplorationUsd,
 *   inner (the wrapped policy's name, default 'ucb1'), innerOptions }; arms, seed and d go to
 *   the inner policy too;
 * - nested: options.conservative carries { baseline, alpha, baselineMean, maxExplorationUsd }
 *   and every other option goes to the inner policy.
 */
registerPolicy(
  'conservative',
  (o, arg) => {
    const { inner, conservative, ...rest } = o as PolicyOptions & {
      inner?: string;
      conservative?: Omit<ConservativeOptions, 'inner'>;
    };
    if (conservative) {
      if (!conservative.baseline) throw new Error('conservative policy needs options.conservative.baseline');
      return new ConservativePolicy({ ...conservative, inner: createPolicy(arg ?? inner ?? 'ucb1', rest) });
    }
    const { baseline, alpha, baselineMean, maxExplorationUsd, innerOptions, arms, seed, d } = rest as PolicyOptions &
      Partial<Omit<ConservativeOptions, 'inner'>> & { innerOptions?: PolicyOptions };
    if (!baseline) throw new Error('conservative policy needs options.baseline (the safe arm)');
    return new ConservativePolicy({
      baseline,
      alpha,
      baselineMean,
      maxExplorationUsd,
      inner: createPolicy(arg ?? inner ?? 'ucb1', { arms, seed, d, ...innerOptions }),
    });
  },
  (s) => ConservativePolicy.fromState(s, policyFromState),
);
