/**
 * Route queries between three models with LinUCB, then: a price cut, a new model arriving
 * hot, a replica restored from a snapshot, and two replicas merged.
 *
 *   npx tsx libs/bandits/examples/basic.ts
 */
import { createPolicy, DecideConstraints, LinearProblem, policyFromState, shareTrue, simulate } from '../src';

// Hidden truth: quality = theta . [1, u, v] per model; "large" is best on hard queries (u > 0).
const problem = new LinearProblem({
  thetas: { small: [0.55, -0.2, 0.0], medium: [0.65, 0.0, 0.05], large: [0.72, 0.2, 0.0] },
  seed: 1,
});
const prices: Record<string, number> = { small: 0.0002, medium: 0.001, large: 0.01 };
const constraints = (): DecideConstraints => ({ lambda: 10, costs: prices });

const policy = createPolicy('linucb', { arms: ['small', 'medium', 'large'], d: 3, alpha: 0.5, seed: 1 });

// Each step: decide (sees only the features), call the model, learn its quality.
const run = (steps: number, available = problem.arms) => simulate(policy, problem, steps, { constraints, available: () => available });
const shares = (choices: string[]) =>
  Object.fromEntries(['small', 'medium', 'large', 'xl'].map((a) => [a, +(choices.filter((c) => c === a).length / choices.length).toFixed(2)]));

const first = run(2000);
console.log('learned, last 500 decisions:', shares(first.choices.slice(-500)), 'best-arm share', shareTrue(first.best, 1500).toFixed(2));

// A price event changes the very next decision: cost is not learned, it is passed in.
prices.large = 0.001;
const cut = run(500);
console.log('after a price cut of large:  ', shares(cut.choices));

// A new model, hot: it is tried at once (cold start) and kept if it is good.
(problem as unknown as { opts: { thetas: Record<string, number[]> } }).opts.thetas['xl'] = [0.9, 0.1, 0.0];
(problem.arms as string[]).push('xl');
prices.xl = 0.002;
policy.addArm('xl');
const hot = run(1500);
console.log('after adding xl:             ', shares(hot.choices.slice(-500)));

// Every decision carries the probability it was made with (for off-policy evaluation).
const d = policy.decide(problem.context(0), problem.arms, constraints());
console.log('one decision:', { arm: d.arm, propensity: d.propensity, scores: d.scores });

// Replicas: a router rebuilds the policy from a snapshot and decides identically.
const snapshot = JSON.parse(JSON.stringify(policy.toState()));
const replica = policyFromState(snapshot);
const ctx = problem.context(1);
console.log('replica agrees:', replica.decide(ctx, problem.arms, constraints()).arm === policy.decide(ctx, problem.arms, constraints()).arm);

// Two replicas that learned separately from the same snapshot merge into one.
const other = policyFromState(snapshot);
simulate(other, problem, 300, { constraints });
policy.merge(other.toState(), snapshot);
console.log('merged: large estimate', policy.estimate({ features: [1, 0.5, 0] }, 'large'));
