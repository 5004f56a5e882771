import { ConservativePolicy } from './conservative';
import { Ucb1Policy } from './ucb1';
import { ThompsonPolicy } from './thompson';
import { BernoulliProblem, shareTrue, simulate } from './synthetic';

const MEANS = { base: 0.5, w1: 0.1, w2: 0.1, w3: 0.1, better: 0.7 };

describe('ConservativePolicy (Wu et al. 2016)', () => {
  it('refuses to explore before it has earned a safety margin, moving the mass to the baseline', () => {
    const p = new ConservativePolicy({
      inner: new Ucb1Policy({ arms: ['base', 'w1', 'better'] }),
      baseline: 'base',
      alpha: 0.1,
      baselineMean: 0.5,
    });
    p.inner.update({}, 'base', { quality: 0.5, costUsd: 0 });
    const d = p.decide({}, ['base', 'w1', 'better'], { lambda: 0, costs: {} });
    // UCB1 wants a cold arm; with nothing known its pessimistic reward is 0 and would break the margin.
    expect(d.arm).toBe('base');
    expect(d.propensity).toBe(1);
    expect(p.safetyStats().overridden).toBe(1);
  });

  it('keeps the cumulative expected reward above (1 - alpha) of the baseline at all times, and still finds the better arm', () => {
    const alpha = 0.05;
    const problem = new BernoulliProblem({ ...MEANS }, 3);
    const p = new ConservativePolicy({
      inner: new Ucb1Policy({ arms: problem.arms, seed: 2 }),
      baseline: 'base',
      alpha,
      baselineMean: 0.5,
    });
    const res = simulate(p, problem, 3000);
    let cum = 0;
    let violations = 0;
    res.choices.forEach((a, t) => {
      cum += MEANS[a as keyof typeof MEANS];
      if (cum < (1 - alpha) * (t + 1) * 0.5) violations++;
    });
    expect(violations).toBe(0);
    expect(
      shareTrue(
        res.choices.map((a) => a === 'better'),
        2250,
      ),
    ).toBeGreaterThan(0.7);

    // Plain UCB1 explores the three weak arms freely and dips below the margin.
    const plain = simulate(
      new Ucb1Policy({ arms: problem.arms, seed: 2 }),
      new BernoulliProblem({ ...MEANS }, 3),
      3000,
    );
    let cum2 = 0;
    let v2 = 0;
    plain.choices.forEach((a, t) => {
      cum2 += MEANS[a as keyof typeof MEANS];
      if (cum2 < (1 - alpha) * (t + 1) * 0.5) v2++;
    });
    expect(v2).toBeGreaterThan(0);
  });

  it('caps exploration spend in USD over the baseline', () => {
    const problem = new BernoulliProblem({ ...MEANS }, 5);
    const costs = { base: 0.001, w1: 0.011, w2: 0.011, w3: 0.011, better: 0.021 };
    const p = new ConservativePolicy({
      inner: new ThompsonPolicy({ arms: problem.arms, seed: 1, propensityDraws: 4 }),
      baseline: 'base',
      alpha: 1,
      maxExplorationUsd: 0.1,
    });
    const res = simulate(p, problem, 400, { constraints: () => ({ lambda: 0, costs }) });
    expect(p.safetyStats().spentUsd).toBeLessThanOrEqual(0.1 + 1e-12);
    const extra = res.choices.reduce((s, a) => s + Math.max(0, costs[a as keyof typeof costs] - costs.base), 0);
    expect(extra).toBeCloseTo(p.safetyStats().spentUsd, 12);
    // Once the cap is reached only the baseline is played.
    expect(res.choices.slice(-50).every((a) => a === 'base')).toBe(true);
  });

  it('passes the inner decision through when the baseline is not offered; the baseline cannot be removed', () => {
    const p = new ConservativePolicy({ inner: new Ucb1Policy({ arms: ['base', 'x'] }), baseline: 'base', alpha: 0 });
    expect(p.decide({}, ['x'], { lambda: 0, costs: {} }).arm).toBe('x');
    expect(() => p.removeArm('base')).toThrow();
  });
});
