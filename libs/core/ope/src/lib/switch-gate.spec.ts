import { Rng } from '@llm-router/bandits';
import { evaluateSwitch, StoredDecision } from './switch-gate';

/** Mean quality per arm, well apart, so that the right verdicts are not a matter of luck. */
const MEANS: Record<string, number> = { small: 0.3, medium: 0.85, large: 0.6 };
const ARMS = Object.keys(MEANS);
const PRICES = { small: 0.0001, medium: 0.001, large: 0.01 };

/** A scope's log under uniform random routing (propensity 1/3), rewards drawn around MEANS. */
function uniformLog(n: number, seed = 1): StoredDecision[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const arm = ARMS[rng.int(ARMS.length)];
    const quality = Math.min(1, Math.max(0, MEANS[arm] + (rng.next() - 0.5) * 0.2));
    return {
      decisionId: `d${i}`,
      policy: 'random',
      arm,
      propensity: 1 / ARMS.length,
      features: { 0: 1, [1 + (i % 5)]: 1 },
      textFeatures: null,
      priceSnapshot: PRICES,
      lambda: 0,
      quality,
      costUsd: PRICES[arm as keyof typeof PRICES],
      reward: quality,
    };
  });
}

const defaults = { featureDim: 16, seed: 1 };
const gate = { tolerance: 0.02 };

describe('evaluateSwitch', () => {
  const log = uniformLog(600);

  it('refuses a clearly worse candidate, with the figures that show it', () => {
    const { verdict } = evaluateSwitch(log, { algorithm: 'fixed:small' }, defaults, gate);
    expect(verdict.pass).toBe(false);
    expect(verdict.reason).toMatch(/^refused: SNIPS candidate is not better/);
    expect(verdict.n).toBe(600);
    expect(verdict.snips.figures.candidate.estimate).toBeCloseTo(MEANS.small, 1);
    expect(verdict.current.estimate).toBeCloseTo((MEANS.small + MEANS.medium + MEANS.large) / 3, 1);
    expect(verdict.dr.promote).toBe(false);
  });

  it('passes a better fixed arm and a learning policy, on both estimators', () => {
    const fixed = evaluateSwitch(log, { algorithm: 'fixed:medium' }, defaults, gate).verdict;
    expect(fixed.pass).toBe(true);
    expect(fixed.snips.figures.candidate.lower).toBeGreaterThan(fixed.current.estimate);
    const learner = evaluateSwitch(log, { algorithm: 'epsilon-greedy', options: { epsilon: 0.05 } }, defaults, gate);
    expect(learner.verdict.pass).toBe(true);
    expect(learner.verdict.dr.figures.candidate.estimate).toBeGreaterThan(0.75);
    // The policy that would go live has learned the whole log: it knows medium is best.
    expect(learner.policy.estimate({}, 'medium').mean).toBeGreaterThan(learner.policy.estimate({}, 'small').mean);
  });

  it('lets an equally good policy through within the tolerance, and not without it', () => {
    const random = evaluateSwitch(log, { algorithm: 'random' }, defaults, gate).verdict;
    expect(random.pass).toBe(true);
    // Same value, but its lower bound is below the current estimate: tolerance 0 refuses it.
    expect(evaluateSwitch(log, { algorithm: 'random' }, defaults, { tolerance: 0 }).verdict.pass).toBe(false);
  });

  it('refuses on too small an evidence and on an empty log', () => {
    expect(evaluateSwitch(log.slice(0, 12), { algorithm: 'fixed:medium' }, defaults, gate).verdict.reason).toMatch(
      /effective sample size/,
    );
    expect(evaluateSwitch([], { algorithm: 'fixed:medium' }, defaults, gate).verdict).toMatchObject({
      pass: false,
      n: 0,
    });
  });

  it('refuses unknown policies and options before evaluating', () => {
    expect(() => evaluateSwitch(log, { algorithm: 'thompsn' }, defaults, gate)).toThrow(/unknown policy 'thompsn'/);
    expect(() =>
      evaluateSwitch(log, { algorithm: 'epsilon-greedy', options: { epsilonn: 1 } }, defaults, gate),
    ).toThrow(/epsilon-greedy\.epsilonn: unknown option/);
  });
});
