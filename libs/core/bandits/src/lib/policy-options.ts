import { z } from 'zod';
import { policyNames } from './registry';
import { EXPLORE_AMONG, ExploreAmong } from './epsilon-greedy';

/**
 * The options an operator may set for each registered policy (POLICY_OPTIONS, per-scope
 * options, the admin switch), described once so that a misspelt option, a wrong type or an
 * out-of-range value is refused at start with its name instead of being ignored or failing at
 * the first decision. `arms` and `d` are not here: the engine sets them (the catalog and
 * FEATURE_DIM), and a `d` that disagreed with the featurizer would break every decision.
 *
 * Ranges repeat the constructors' own checks, which stay the authority; the tests create every
 * policy from options these schemas accept.
 */

const unit = z.number().min(0).max(1);
const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const count = z.number().int().nonnegative();
const forgetting = z.number().gt(0).max(1);
const priors = z.record(z.string(), z.strictObject({ mean: z.number(), weight: nonNegative }));

/** CommonOptions (counting and linear policies). */
const common = {
  seed: z.number().int(),
  gamma: forgetting,
  priors,
  coldPulls: count,
};

/** LinearOptions without `d`. */
const linear = {
  ...common,
  reg: positive,
  refreshEvery: count,
  simd: z.boolean(),
};

const sampledPropensity = {
  propensityDraws: z.number().int().min(1),
  propensityFloor: z.number().min(0).lt(1),
};

const ucb1 = { ...common, alpha: nonNegative };

/** EpsilonGreedyOptions.exploreAmong (and the preference router's): which models exploration draws from. */
const exploreAmong = z.enum(EXPLORE_AMONG as [ExploreAmong, ...ExploreAmong[]]);

/** Options of conservative's own safety check (ConservativeOptions without `inner`). */
const conservativeOwn = {
  baseline: z.string().min(1),
  alpha: unit,
  baselineMean: unit,
  maxExplorationUsd: nonNegative,
};

const SHAPES: Record<string, z.ZodRawShape> = {
  random: { seed: common.seed },
  'epsilon-greedy': { ...common, epsilon: unit, epsilonDecay: positive, epsilonMin: unit, exploreAmong },
  ucb1,
  'discounted-ucb': { ...ucb1, window: z.number().int().min(1) },
  thompson: {
    ...common,
    ...sampledPropensity,
    kind: z.enum(['beta', 'gaussian']),
    a0: positive,
    b0: positive,
    priorMean: z.number(),
    priorWeight: positive,
    variance: positive,
    shape0: positive,
    rate0: positive,
  },
  linucb: { ...linear, alpha: nonNegative },
  lints: { ...linear, ...sampledPropensity, v: nonNegative },
  fixed: { arm: z.string().min(1) },
  conservative: {
    ...conservativeOwn,
    /** The wrapped policy's name (default ucb1); its options go in `innerOptions`. */
    inner: z.string().min(1),
    innerOptions: z.record(z.string(), z.unknown()),
  },
  auto: {
    seed: common.seed,
    buckets: z.number().int().min(1),
    biasScale: positive,
    sharedTemplateScale: positive,
    sharedFeatureScale: positive,
    templateScale: positive,
    featureScale: positive,
    empiricalBayes: z.union([z.literal(0), z.literal(1)]),
    costBiasScale: positive,
    costTemplateScale: positive,
    costFeatureScale: positive,
    alpha: nonNegative,
    noise: positive,
    coldMean: unit,
    coldWeight: positive,
    explorationFloor: unit,
    explorationMargin: nonNegative,
    tieTolerance: nonNegative,
    priors,
  },
  // Registered by @llm-router/preference (which depends on this library, so its options are
  // described here); warmStart and fit are programmatic, not configuration.
  preference: {
    seed: common.seed,
    epsilon: unit,
    exploreAmong,
    lr: positive,
    l2: nonNegative,
    softness: positive,
    coldPulls: count,
    gamma: forgetting,
    priors,
    shrink: nonNegative,
    betaRidge: positive,
    offlineWeight: nonNegative,
    featureSeed: z.number().int(),
  },
};

/** Cross-option rules a shape cannot say. */
const RULES: Record<string, (o: Record<string, unknown>) => OptionProblem[]> = {
  'discounted-ucb': (o) =>
    o['window'] !== undefined && o['gamma'] !== undefined && o['gamma'] !== 1
      ? [{ path: ['window'], message: 'use either gamma or window, not both' }]
      : [],
};

export interface OptionProblem {
  /** Where, inside the options object (e.g. ['epsilonn'] or ['innerOptions', 'alpha']). */
  path: (string | number)[];
  message: string;
}

/** The registry key of a policy name: `fixed:<arm>` and `conservative:<inner>` carry an argument. */
export function basePolicyName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(0, colon);
}

/** Names of the options `name` accepts (sorted), or null when no schema describes it. */
export function policyOptionNames(name: string): string[] | null {
  const shape = SHAPES[basePolicyName(name)];
  return shape ? Object.keys(shape).sort() : null;
}

/** Problems with a policy name: unknown to the registry, or missing its argument. */
export function policyNameProblems(name: string): string[] {
  const base = basePolicyName(name);
  if (!policyNames().includes(base)) return [`unknown policy '${name}' (known: ${policyNames().sort().join(', ')})`];
  if (base === 'fixed' && name === 'fixed') return []; // the arm may come from options.arm
  if (name.includes(':') && !name.slice(base.length + 1)) return [`'${name}' needs what follows the colon`];
  if (base === 'conservative' && name.includes(':')) return policyNameProblems(name.slice(base.length + 1));
  return [];
}

/**
 * Checks options for `name` against its schema: unknown options (with the known ones), wrong
 * types and ranges, and conservative's inner policy and its options. `complete` also demands
 * what creating the policy needs (conservative's baseline, fixed's arm): set it where the
 * options are final, not for a POLICY_OPTIONS entry that a scope may complete.
 */
export function policyOptionProblems(
  name: string,
  options: unknown,
  opts: { complete?: boolean } = {},
): OptionProblem[] {
  const base = basePolicyName(name);
  const shape = SHAPES[base];
  if (!shape) return [{ path: [], message: `policy '${name}' has no options schema: it takes no options` }];
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    return [{ path: [], message: 'must be an object of option -> value' }];
  const o = options as Record<string, unknown>;
  const problems: OptionProblem[] = [];
  const known = Object.keys(shape).sort();
  for (const key of Object.keys(o))
    if (!(key in shape)) problems.push({ path: [key], message: `unknown option (known: ${known.join(', ')})` });
  for (const [key, schema] of Object.entries(shape)) {
    if (o[key] === undefined) continue;
    const r = (schema as z.ZodType).safeParse(o[key]);
    if (!r.success)
      for (const issue of r.error.issues)
        problems.push({
          path: [key, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
          message: issue.message,
        });
  }
  if (problems.length === 0) problems.push(...(RULES[base]?.(o) ?? []));
  if (base === 'conservative') problems.push(...conservativeProblems(name, o, opts.complete ?? false));
  if (opts.complete && base === 'fixed' && name === 'fixed' && o['arm'] === undefined)
    problems.push({ path: ['arm'], message: "is required (or name the policy 'fixed:<arm>')" });
  return problems;
}

function conservativeProblems(name: string, o: Record<string, unknown>, complete: boolean): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const inner = name.includes(':') ? name.slice(name.indexOf(':') + 1) : ((o['inner'] as string) ?? 'ucb1');
  if (basePolicyName(inner) === 'conservative')
    problems.push({ path: ['inner'], message: 'conservative cannot wrap itself' });
  else {
    const nameProblems = policyNameProblems(inner);
    if (nameProblems.length > 0) problems.push(...nameProblems.map((message) => ({ path: ['inner'], message })));
    else if (o['innerOptions'] !== undefined)
      for (const p of policyOptionProblems(inner, o['innerOptions'], { complete }))
        problems.push({ path: ['innerOptions', ...p.path], message: p.message });
  }
  if (complete && o['baseline'] === undefined)
    problems.push({ path: ['baseline'], message: 'is required: the safe arm (e.g. the model in production today)' });
  return problems;
}

/** One line per problem, `prefix.path: message`, as a configuration error prints them. */
export function formatOptionProblems(prefix: string, problems: OptionProblem[]): string[] {
  return problems.map((p) => `${[prefix, ...p.path].filter((x) => x !== '').join('.')}: ${p.message}`);
}

/** Throws a RangeError listing every problem; returns the options when there is none. */
export function checkPolicyOptions(name: string, options: unknown): Record<string, unknown> {
  const nameProblems = policyNameProblems(name).map((message) => ({ path: [], message }));
  const problems =
    nameProblems.length > 0 ? nameProblems : policyOptionProblems(name, options ?? {}, { complete: true });
  if (problems.length > 0) throw new RangeError(formatOptionProblems(name, problems).join('; '));
  return (options ?? {}) as Record<string, unknown>;
}
