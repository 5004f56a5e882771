/**
 * Route queries between models with LinUCB, then: a price cut, a new model arriving hot,
 * a replica restored from a snapshot, and two replicas merged.
 *
 *   npx tsx libs/core/bandits/examples/basic.ts
 */
import { createPolicy, DecideConstraints, LinearProblem, policyFromState, shareTrue, simulate } from '../src';

// Hidden truth: quality = theta . [1, u, v] per model ("large" is best on hard queries, u > 0).
// "xl" exists in the world but is not offered until later.
const problem = new LinearProblem({
  thetas: { small: [0.55, -0.2, 0], medium: [0.65, 0, 0.05], large: [0.72, 0.2, 0], xl: [0.9, 0.1, 0] },
  seed: 1,
});
const prices: Record<string, number> = { small: 0.0002, medium: 0.001, large: 0.01, xl: 0.002 };
const constraints = (): DecideConstraints => ({ lambda: 10, costs: prices });
let offered = ['small', 'medium', 'large'];

const policy = createPolicy('linucb', { arms: offered, d: 3, alpha: 0.5, seed: 1 });

// decide (sees only the features) -> call the model -> update with its judged quality
const run = (steps: number) => simulate(policy, problem, steps, { constraints, available: () => offered });
const shares = (choices: string[]) =>
  Object.fromEntries(
    Object.keys(prices).map((a) => [a, +(choices.filter((c) => c === a).length / choices.length).toFixed(2)]),
  );

const first = run(2000);
console.log(
  'learned, last 500:    ',
  shares(first.choices.slice(-500)),
  'best-arm share',
  shareTrue(first.best, 1500).toFixed(2),
);

// A price event changes the very next decision: cost is passed in, never learned.
prices.large = 0.001;
console.log('after a price cut:    ', shares(run(500).choices));

// A new model, hot: forced for its first few queries (cold start), kept because it is good.
offered = [...offered, 'xl'];
policy.addArm('xl');
console.log('after adding xl:      ', shares(run(1500).choices.slice(-500)));

// Every decision carries the probability it was made with (for off-policy evaluation).
const d = policy.decide(problem.context(), offered, constraints());
console.log('one decision:         ', { arm: d.arm, propensity: d.propensity });

// A router replica rebuilt from a snapshot decides exactly like the original.
const snapshot = JSON.parse(JSON.stringify(policy.toState()));
const replica = policyFromState(snapshot);
const ctx = problem.context();
console.log(
  'replica agrees:       ',
  replica.decide(ctx, offered, constraints()).arm === policy.decide(ctx, offered, constraints()).arm,
);

// Two replicas that learned separately from the same snapshot merge into one.
const other = policyFromState(snapshot);
simulate(other, problem, 300, { constraints, available: () => offered });
policy.merge(other.toState(), snapshot);
console.log('merged xl estimate:   ', policy.estimate({ features: [1, 0.5, 0] }, 'xl'));
