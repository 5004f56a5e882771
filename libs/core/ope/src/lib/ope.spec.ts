import fc from 'fast-check';
import { toLoggedDecision, denseFeatures } from './decision-log';
import { doublyRobust, evaluatePolicy, expectedCost, fitArmMeanModel, ips, onPolicyValue, snips } from './estimators';
import { promotionGate } from './gate';
import {
  armValues,
  bestMeanArm,
  crossFittedGreedy,
  deterministicPolicy,
  fixedPolicy,
  smoothPolicy,
  uniformPolicy,
} from './policies';
import { zFor } from './stats';
import { simulateUniformLogs } from './synthetic';
import { LoggedDecision, TargetPolicy } from './types';

/** Context 0 -> arm c, context 1 -> arm a: the best arm in each context of the default means. */
function oracle(sim: ReturnType<typeof simulateUniformLogs>): TargetPolicy {
  return deterministicPolicy((r) => (sim.contextOf(r) === 0 ? 'c' : 'a'));
}

describe('estimators on synthetic uniform logs', () => {
  const sim = simulateUniformLogs({ n: 6000, seed: 3 });
  const targets: [string, TargetPolicy][] = [
    ['oracle', oracle(sim)],
    ['fixed b', fixedPolicy('b')],
    ['stochastic', (r) => (sim.contextOf(r) === 0 ? { a: 0.1, b: 0.3, c: 0.6 } : { a: 0.7, b: 0.2, c: 0.1 })],
  ];

  it.each(targets)('IPS, SNIPS and DR recover the true value of %s within their 95%% interval', (_name, policy) => {
    const truth = sim.trueValue(policy);
    for (const est of [ips(sim.logs, policy), snips(sim.logs, policy), doublyRobust(sim.logs, policy)]) {
      expect(est.lower).toBeLessThanOrEqual(truth);
      expect(est.upper).toBeGreaterThanOrEqual(truth);
      // and the interval is informative, not trivially wide
      expect(est.upper - est.lower).toBeLessThan(0.1);
    }
  });

  it('95% intervals cover the truth in about 95% of independent replications', () => {
    const reps = 200;
    const covered = { ips: 0, snips: 0, dr: 0 };
    for (let s = 0; s < reps; s++) {
      const rep = simulateUniformLogs({ n: 800, seed: 1000 + s });
      const pol = oracle(rep);
      const truth = rep.trueValue(pol);
      const e = evaluatePolicy(rep.logs, pol);
      for (const key of ['ips', 'snips', 'dr'] as const)
        if (e[key].lower <= truth && truth <= e[key].upper) covered[key]++;
    }
    for (const key of ['ips', 'snips', 'dr'] as const) {
      // Binomial(200, 0.95) is above 180 and below 199 with probability > 0.999.
      expect(covered[key]).toBeGreaterThanOrEqual(180);
      expect(covered[key]).toBeLessThanOrEqual(199);
    }
  });

  it('the logging policy evaluated off-policy equals its on-policy value, with ESS = n', () => {
    const e = ips(sim.logs, uniformPolicy);
    const live = onPolicyValue(sim.logs);
    expect(e.estimate).toBeCloseTo(live.estimate, 12);
    expect(e.effectiveSampleSize).toBeCloseTo(sim.logs.length, 6);
    expect(snips(sim.logs, uniformPolicy).estimate).toBeCloseTo(live.estimate, 12);
    expect(live.upper - live.estimate).toBeCloseTo(zFor(0.95) * live.stdError, 12);
  });

  it('a deterministic candidate on k=3 uniform logs is worth about n/3 samples', () => {
    const e = ips(sim.logs, fixedPolicy('a'));
    expect(e.effectiveSampleSize).toBeGreaterThan(sim.logs.length / 3 - 150);
    expect(e.effectiveSampleSize).toBeLessThan(sim.logs.length / 3 + 150);
  });

  it('DR with the true reward model is at least as precise as IPS', () => {
    const pol = oracle(sim);
    const trueModel = (r: LoggedDecision, arm: string): number => sim.means[sim.contextOf(r)][sim.arms.indexOf(arm)];
    expect(doublyRobust(sim.logs, pol, { rewardModel: trueModel }).stdError).toBeLessThan(
      ips(sim.logs, pol).stdError * 0.8,
    );
  });

  it('a narrower level gives a narrower interval around the same estimate', () => {
    const pol = fixedPolicy('c');
    const wide = snips(sim.logs, pol, { level: 0.99 });
    const narrow = snips(sim.logs, pol, { level: 0.8 });
    expect(narrow.estimate).toBe(wide.estimate);
    expect(narrow.upper - narrow.lower).toBeLessThan(wide.upper - wide.lower);
  });
});

/** Arbitrary small logs with a non-uniform logging policy and a stochastic candidate. */
const logsAndPolicy = fc
  .array(
    fc.record({
      arm: fc.constantFrom('a', 'b', 'c'),
      propensity: fc.double({ min: 0.05, max: 1, noNaN: true }),
      reward: fc.double({ min: -1, max: 2, noNaN: true }),
      pa: fc.double({ min: 0, max: 1, noNaN: true }),
      pb: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    { minLength: 2, maxLength: 40 },
  )
  .map((rows) => {
    const logs: LoggedDecision[] = [];
    const probs = new Map<LoggedDecision, Record<string, number>>();
    for (const row of rows) {
      const rec: LoggedDecision = {
        arm: row.arm,
        propensity: row.propensity,
        reward: row.reward,
        available: ['a', 'b', 'c'],
      };
      const pa = row.pa * 0.9 + 0.05;
      const pb = (1 - pa) * row.pb;
      logs.push(rec);
      probs.set(rec, { a: pa, b: pb, c: Math.max(0, 1 - pa - pb) });
    }
    const policy: TargetPolicy = (r) => probs.get(r) ?? { a: 1 };
    return { logs, policy };
  });

describe('estimator identities', () => {
  it('SNIPS is equivariant to reward shifts (IPS is not)', () => {
    fc.assert(
      fc.property(logsAndPolicy, fc.double({ min: -5, max: 5, noNaN: true }), ({ logs, policy }, shift) => {
        const shifted = logs.map((r) => ({ ...r, reward: r.reward + shift }));
        const map = new Map(shifted.map((r, i) => [r, logs[i]]));
        const pol: TargetPolicy = (r) => policy(map.get(r) ?? r);
        const a = snips(logs, policy);
        const b = snips(shifted, pol);
        if (!Number.isFinite(a.estimate)) return;
        expect(b.estimate).toBeCloseTo(a.estimate + shift, 9);
        expect(b.stdError).toBeCloseTo(a.stdError, 9);
      }),
      { numRuns: 200, seed: 1 },
    );
    // The counterexample that makes the distinction meaningful: IPS shifts by shift * mean(w).
    const { logs } = simulateUniformLogs({ n: 50, seed: 9 });
    const pol = fixedPolicy('a');
    const shifted = logs.map((r) => ({ ...r, reward: r.reward + 1 }));
    expect(Math.abs(ips(shifted, pol).estimate - ips(logs, pol).estimate - 1)).toBeGreaterThan(1e-3);
  });

  it('DR with a zero reward model is exactly IPS, clipped or not', () => {
    fc.assert(
      fc.property(
        logsAndPolicy,
        fc.option(fc.double({ min: 0.05, max: 0.5, noNaN: true }), { nil: undefined }),
        ({ logs, policy }, minPropensity) => {
          const i = ips(logs, policy, { minPropensity });
          const d = doublyRobust(logs, policy, { minPropensity, rewardModel: () => 0 });
          expect(d.estimate).toBeCloseTo(i.estimate, 12);
          expect(d.stdError).toBeCloseTo(i.stdError, 12);
          expect(d.effectiveSampleSize).toBeCloseTo(i.effectiveSampleSize, 9);
        },
      ),
      { numRuns: 200, seed: 2 },
    );
  });

  it('clipping caps the weights: clipped IPS moves toward zero and ESS does not fall', () => {
    const logs: LoggedDecision[] = [
      { arm: 'a', propensity: 0.01, reward: 1, available: ['a', 'b'] },
      { arm: 'b', propensity: 0.99, reward: 0.5, available: ['a', 'b'] },
      { arm: 'b', propensity: 0.99, reward: 0.4, available: ['a', 'b'] },
    ];
    const pol = fixedPolicy('a');
    const raw = ips(logs, pol);
    const clip = ips(logs, pol, { minPropensity: 0.1 });
    const wclip = ips(logs, pol, { maxWeight: 10 });
    expect(raw.estimate).toBeCloseTo(100 / 3, 9);
    expect(clip.estimate).toBeCloseTo(10 / 3, 9);
    expect(wclip.estimate).toBeCloseTo(10 / 3, 9);
    expect(clip.effectiveSampleSize).toBeGreaterThanOrEqual(raw.effectiveSampleSize);
    expect(clip.clipped).toBe(1);
    expect(wclip.clipped).toBe(1);
  });

  it('rejects bad propensities and candidate distributions that do not sum to 1', () => {
    const rec: LoggedDecision = { arm: 'a', propensity: 0, reward: 1, available: ['a'] };
    expect(() => ips([rec], fixedPolicy('a'))).toThrow(/propensity/);
    const ok: LoggedDecision = { ...rec, propensity: 0.5 };
    expect(() => ips([ok], () => ({ a: 0.5 }))).toThrow(/sum/);
  });
});

describe('promotion gate', () => {
  const sim = simulateUniformLogs({ n: 4000, seed: 21 });
  const live = onPolicyValue(sim.logs); // uniform logging: about 0.483

  it('promotes a clearly better policy', () => {
    const cand = doublyRobust(sim.logs, oracle(sim));
    const g = promotionGate(cand, live);
    expect(g.promote).toBe(true);
    expect(g.figures.candidate.lower).toBeGreaterThan(live.estimate);
    expect(g.reason).toMatch(/lower bound/);
  });

  it('refuses a worse policy', () => {
    const g = promotionGate(doublyRobust(sim.logs, fixedPolicy('b')), live);
    expect(g.promote).toBe(false);
    expect(g.reason).toMatch(/not better/);
  });

  it('refuses a slightly better policy whose interval still reaches below the live value', () => {
    // Uniform moved 5% toward the oracle: a true gain of about 0.01, far inside the noise of 300 logs.
    const small = simulateUniformLogs({ n: 300, seed: 5 });
    const liveSmall = onPolicyValue(small.logs);
    const slightly = smoothPolicy(oracle(small), 0.95);
    const g = promotionGate(snips(small.logs, slightly), liveSmall);
    expect(small.trueValue(slightly)).toBeGreaterThan(small.trueValue(uniformPolicy));
    expect(g.promote).toBe(false);
    expect(g.reason).toMatch(/uncertain|not better/);
  });

  it('refuses when too few logged decisions agree with the candidate', () => {
    const few = simulateUniformLogs({ n: 12, seed: 3 });
    const g = promotionGate(ips(few.logs, fixedPolicy('a')), onPolicyValue(few.logs), { minEffectiveSampleSize: 10 });
    expect(g.promote).toBe(false);
    expect(g.reason).toMatch(/effective sample size/);
  });

  it('a margin or the stricter live upper bound can turn a promotion into a refusal', () => {
    const cand = doublyRobust(sim.logs, oracle(sim));
    expect(promotionGate(cand, live, { margin: 1 }).promote).toBe(false);
    const strict = promotionGate(cand, live, { against: 'upper' });
    expect(strict.figures.bar).toBeCloseTo(live.estimate + zFor(0.95) * live.stdError, 12);
  });
});

describe('helpers', () => {
  it('fits per-arm means, falling back to the overall mean for unseen arms', () => {
    const logs: LoggedDecision[] = [
      { arm: 'a', propensity: 0.5, reward: 1, available: ['a', 'b', 'z'] },
      { arm: 'a', propensity: 0.5, reward: 0, available: ['a', 'b', 'z'] },
      { arm: 'b', propensity: 0.5, reward: 0.9, available: ['a', 'b', 'z'] },
    ];
    const m = fitArmMeanModel(logs);
    expect(m(logs[0], 'a')).toBeCloseTo(0.5, 12);
    expect(m(logs[0], 'b')).toBeCloseTo(0.9, 12);
    expect(m(logs[0], 'z')).toBeCloseTo(1.9 / 3, 12);
    expect(bestMeanArm(logs)).toBe('b');
    expect(armValues(logs).get('a')).toEqual({ value: 0.5, n: 2 });
  });

  it('cross-fitted greedy routes each half by the other half and beats uniform on skewed logs', () => {
    const sim = simulateUniformLogs({ n: 3000, means: [[0.2, 0.8, 0.5]], seed: 4 });
    const g = crossFittedGreedy(sim.logs);
    expect(g(sim.logs[0])).toEqual({ b: 1 });
    expect(sim.trueValue(g)).toBeCloseTo(0.8, 12);
    expect(doublyRobust(sim.logs, g).lower).toBeGreaterThan(onPolicyValue(sim.logs).estimate);
  });

  it('expected cost needs no weighting: it is the price snapshot averaged under the candidate', () => {
    const sim = simulateUniformLogs({ n: 10, costs: [1, 2, 4], seed: 1 });
    expect(expectedCost(sim.logs, fixedPolicy('c'))).toBeCloseTo(4, 12);
    expect(expectedCost(sim.logs, uniformPolicy)).toBeCloseTo(7 / 3, 12);
    expect(expectedCost([{ arm: 'a', propensity: 1, reward: 0, available: ['a'] }], fixedPolicy('a'))).toBeNull();
  });

  it('reads decision-log lines: reward from quality and lambda, arms from the price snapshot', () => {
    const r = toLoggedDecision({
      arm: 'm1',
      propensity: 0.25,
      quality: 0.9,
      lambda: 10,
      priceSnapshot: { m1: 0.01, m2: 0.02 },
      features: { '3': 0.5 },
    });
    expect(r.reward).toBeCloseTo(0.8, 12);
    expect(r.available).toEqual(['m1', 'm2']);
    expect(Array.from(denseFeatures(r.features, 5))).toEqual([0, 0, 0, 0.5, 0]);
    expect(() => toLoggedDecision({ arm: 'm1', propensity: 2, reward: 1 })).toThrow(/propensity/);
  });
});
