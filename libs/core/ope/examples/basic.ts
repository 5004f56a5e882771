/**
 * npx tsx libs/core/ope/examples/basic.ts
 *
 * Logs from a uniform-random router, a candidate that routes by context, and the gate.
 */
import {
  deterministicPolicy,
  doublyRobust,
  ips,
  onPolicyValue,
  promotionGate,
  simulateUniformLogs,
  snips,
} from '../src'; // in your code: '@llm-router/ope'

// Two kinds of query (one-hot features), three models; the best model differs by kind.
const sim = simulateUniformLogs({
  n: 5000,
  means: [
    [0.2, 0.5, 0.7],
    [0.8, 0.4, 0.3],
  ],
  arms: ['small', 'medium', 'large'],
  seed: 1,
});

// The candidate: "large" for the first kind of query, "small" for the second.
const candidate = deterministicPolicy((r) => ((r.features as number[])[0] === 1 ? 'large' : 'small'));

const live = onPolicyValue(sim.logs);
for (const est of [ips(sim.logs, candidate), snips(sim.logs, candidate), doublyRobust(sim.logs, candidate)]) {
  console.log(
    `${est.estimator.padEnd(5)} ${est.estimate.toFixed(3)}  95% CI [${est.lower.toFixed(3)}, ${est.upper.toFixed(3)}]  ESS ${est.effectiveSampleSize.toFixed(0)}`,
  );
}
console.log(`true value ${sim.trueValue(candidate).toFixed(3)}, live (uniform) ${live.estimate.toFixed(3)}`);

const gate = promotionGate(doublyRobust(sim.logs, candidate), live);
console.log(gate.promote ? 'PROMOTE' : 'keep live', '-', gate.reason);
