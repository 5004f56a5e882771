import { normalCdf } from '@llm-router/numerics';
import { LinTsPolicy } from './lin-ts';
import { LinearStats } from './linear-policy';
import { unpack } from './linalg';

describe('LinTsPolicy', () => {
  const none = { lambda: 0, costs: {} };
  const setup = () => {
    const p = new LinTsPolicy({ arms: ['a', 'b'], d: 2, v: 0.4, propensityDraws: 64, propensityFloor: 0 });
    for (let i = 0; i < 5; i++) {
      p.update({ features: [1, i / 5] }, 'a', { quality: 0.6, costUsd: 0 });
      p.update({ features: [1, -i / 5] }, 'b', { quality: 0.5, costUsd: 0 });
    }
    return p;
  };
  const quad = (p: LinTsPolicy, arm: string, x: number[]) => {
    const F = new Float64Array(4);
    unpack(Float64Array.from((p.toState().stats as LinearStats).arms[arm].P!), 2, F);
    return x[0] * x[0] * F[0] + 2 * x[0] * x[1] * F[1] + x[1] * x[1] * F[3];
  };

  it('decisions follow the exact posterior win probability, and so do the reported propensities', () => {
    const p = setup();
    const x = [1, 0.3];
    const diff = p.estimate({ features: x }, 'a').mean - p.estimate({ features: x }, 'b').mean;
    const sd = 0.4 * Math.sqrt(quad(p, 'a', x) + quad(p, 'b', x));
    const exact = normalCdf(diff / sd);
    let chosen = 0;
    let reported = 0;
    const n = 600;
    for (let i = 0; i < n; i++) {
      const d = p.decide({ features: x }, ['a', 'b'], none);
      if (d.arm === 'a') chosen++;
      reported += d.probabilities['a'];
    }
    expect(Math.abs(chosen / n - exact)).toBeLessThan(0.06);
    expect(Math.abs(reported / n - exact)).toBeLessThan(0.02);
  });

  it('the logged score of the chosen arm is its sample minus lambda * cost', () => {
    const p = setup();
    const d = p.decide({ features: [1, 0] }, ['a', 'b'], { lambda: 10, costs: { a: 0.1 } });
    // a is priced out by 1.0, far beyond its posterior spread.
    expect(d.arm).toBe('b');
    expect(d.scores['a']).toBeLessThan(0);
  });

  it('v = 0 is greedy on theta . x', () => {
    const p = new LinTsPolicy({ arms: ['a', 'b'], d: 1, v: 0, coldPulls: 1 });
    p.update({ features: [1] }, 'a', { quality: 0.9, costUsd: 0 });
    p.update({ features: [1] }, 'b', { quality: 0.2, costUsd: 0 });
    for (let i = 0; i < 20; i++) expect(p.decide({ features: [1] }, ['a', 'b'], none).arm).toBe('a');
  });
});
