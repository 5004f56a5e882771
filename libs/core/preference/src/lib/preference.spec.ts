import fc from 'fast-check';
import { Rng } from '@llm-router/bandits';
import { QueryFeaturizer } from '@llm-router/features';
import { BradleyTerryModel, PreferenceRouter, RewardRow, pairsFromRewards } from '../index';

const D = 6;
const ARMS = ['coder', 'mathy', 'big'];
const COSTS = { coder: 0.001, mathy: 0.001, big: 0.01 };

/** Two kinds of prompt; each specialist is good on its own kind only, `big` is decent everywhere. */
function context(kind: 'code' | 'math', rng: Rng): Float64Array {
  const x = new Float64Array(D);
  x[0] = 1;
  x[1] = kind === 'code' ? 1 : 0;
  x[2] = kind === 'math' ? 1 : 0;
  for (let i = 3; i < D; i++) x[i] = 0.3 * (rng.next() - 0.5);
  return x;
}

function meanQuality(arm: string, kind: 'code' | 'math'): number {
  if (arm === 'big') return 0.8;
  return (arm === 'coder') === (kind === 'code') ? 0.92 : 0.45;
}

function noisy(m: number, rng: Rng): number {
  return Math.min(1, Math.max(0, m + 0.1 * rng.normal()));
}

function rows(n: number, seed: number): RewardRow[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const kind = i % 2 ? 'code' : 'math';
    return {
      features: context(kind, rng),
      rewards: Object.fromEntries(ARMS.map((a) => [a, noisy(meanQuality(a, kind), rng)])),
    };
  });
}

/** Share of fresh contexts where the router's greedy choice is the truly best arm at this lambda. */
function accuracy(p: PreferenceRouter, lambda: number, seed = 99): number {
  const rng = new Rng(seed);
  let ok = 0;
  for (let i = 0; i < 200; i++) {
    const kind = i % 2 ? 'code' : 'math';
    const x = context(kind, rng);
    const d = p.decide({ features: x }, ARMS, { lambda, costs: COSTS });
    const greedy = Object.entries(d.probabilities).sort((a, b) => b[1] - a[1])[0][0];
    const best = ARMS.reduce((a, b) =>
      meanQuality(b, kind) - lambda * COSTS[b as keyof typeof COSTS] >
      meanQuality(a, kind) - lambda * COSTS[a as keyof typeof COSTS]
        ? b
        : a,
    );
    if (greedy === best) ok++;
  }
  return ok / 200;
}

describe('pairsFromRewards', () => {
  it('orders each pair by reward, skips ties, and can weigh by margin', () => {
    const x = [1, 0];
    const r: RewardRow[] = [{ features: x, rewards: { a: 0.9, b: 0.5, c: 0.9 } }];
    expect(pairsFromRewards(r).map((p) => `${p.winner}>${p.loser}`)).toEqual(['a>b', 'c>b']);
    expect(pairsFromRewards(r, { minMargin: 0.5 })).toEqual([]);
    const m = pairsFromRewards(r, { weighting: 'margin' });
    expect(m[0].weight).toBeCloseTo(0.4, 12);
    expect(pairsFromRewards([{ features: x, rewards: { a: NaN, b: 1 } }])).toEqual([]);
  });
});

describe('BradleyTerryModel', () => {
  it('learns who wins where, deterministically per seed', () => {
    const pairs = pairsFromRewards(rows(400, 1));
    const fit = (seed: number) => {
      const m = new BradleyTerryModel(D);
      m.fit(pairs, { seed, epochs: 10, lr: 0.1 });
      return m;
    };
    const m = fit(1);
    const rng = new Rng(5);
    expect(m.winProbability('coder', 'mathy', context('code', rng))).toBeGreaterThan(0.8);
    expect(m.winProbability('mathy', 'coder', context('math', rng))).toBeGreaterThan(0.8);
    expect(m.winProbability('big', 'coder', context('math', rng))).toBeGreaterThan(0.6);
    expect(Array.from(fit(1).weights.get('coder')!)).toEqual(Array.from(m.weights.get('coder')!));
    expect(Array.from(fit(2).weights.get('coder')!)).not.toEqual(Array.from(m.weights.get('coder')!));
    const untrained = new BradleyTerryModel(D);
    expect(m.logLoss(pairs)).toBeLessThan(untrained.logLoss(pairs) - 0.2);
  });

  it('keeps P(a beats b) = 1 - P(b beats a) in (0, 1) for any weights', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 2 * D, maxLength: 2 * D }),
        (w) => {
          const m = new BradleyTerryModel(D);
          m.ensure('a').set(w.slice(0, D));
          m.ensure('b').set(w.slice(D));
          const x = [1, 1, 0, 0.5, -0.5, 0.1];
          const p = m.winProbability('a', 'b', x);
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
          expect(p + m.winProbability('b', 'a', x)).toBeCloseTo(1, 12);
        },
      ),
    );
  });
});

describe('PreferenceRouter', () => {
  it('routes by context after an offline fit on full-information rows', () => {
    const p = new PreferenceRouter({ d: D, epsilon: 0 });
    const { pairs } = p.fit(rows(600, 2), { epochs: 10, lr: 0.1 });
    expect(pairs).toBeGreaterThan(1000);
    expect(accuracy(p, 0)).toBeGreaterThan(0.95);
    const rng = new Rng(3);
    expect(p.estimate({ features: context('code', rng) }, 'coder').mean).toBeGreaterThan(0.75);
    expect(p.estimate({ features: context('math', rng) }, 'coder').mean).toBeLessThan(0.65);
    // With a steep cost weight the expensive generalist is never worth it.
    expect(accuracy(p, 30)).toBeGreaterThan(0.95);
  });

  it('learns the same routing online from bandit feedback alone', () => {
    const p = new PreferenceRouter({ d: D, arms: ARMS, epsilon: 0.1, seed: 4 });
    const rng = new Rng(7);
    for (let t = 0; t < 3000; t++) {
      const kind = rng.next() < 0.5 ? 'code' : 'math';
      const x = context(kind, rng);
      const d = p.decide({ features: x }, ARMS, { lambda: 0, costs: COSTS });
      p.update({ features: x }, d.arm, { quality: noisy(meanQuality(d.arm, kind), rng), costUsd: 0 });
    }
    expect(accuracy(p, 0)).toBeGreaterThan(0.9);
    expect(p.calibrationSlope()).toBeGreaterThan(0);
  });

  it('falls back to per-arm means without context, and lets cost decide a tie in quality', () => {
    const p = new PreferenceRouter({ arms: ['a', 'b'], epsilon: 0, d: 4 });
    const rng = new Rng(1);
    for (let i = 0; i < 200; i++) {
      p.update({}, 'a', { quality: noisy(0.7, rng), costUsd: 0 });
      p.update({}, 'b', { quality: noisy(0.7, rng), costUsd: 0 });
    }
    expect(p.estimate({}, 'a').mean).toBeCloseTo(0.7, 1);
    expect(p.estimate({}, 'a').n).toBeGreaterThan(199);
    expect(p.estimate({}, 'a').halfWidth).toBeLessThan(0.05);
    expect(p.decide({}, ['a', 'b'], { lambda: 10, costs: { a: 0.01, b: 0.001 } }).arm).toBe('b');
  });

  it('explores only the models that could still be the best at the price of a dollar', () => {
    const p = new PreferenceRouter({ d: D, epsilon: 0.2, seed: 11 });
    p.fit(rows(200, 3));
    const x = context('code', new Rng(1));
    // At lambda 40 `big` ($0.01) scores at most 1 - 0.4 = 0.6, below coder's ~0.92 - 0.04.
    const priced = { lambda: 40, costs: COSTS };
    const d = p.decide({ features: x }, ARMS, priced);
    expect(d.probabilities['big']).toBe(0);
    expect(d.probabilities['mathy']).toBeCloseTo(0.1, 12);
    for (let i = 0; i < 2000; i++) expect(p.decide({ features: x }, ARMS, priced).arm).not.toBe('big');
    const uniform = new PreferenceRouter({ d: D, epsilon: 0.2, seed: 11, exploreAmong: 'all' });
    uniform.fit(rows(200, 3));
    expect(uniform.decide({ features: x }, ARMS, priced).probabilities['big']).toBeCloseTo(0.2 / 3, 12);
    expect(() => new PreferenceRouter({ exploreAmong: 'uniform' as never })).toThrow(
      /exploreAmong must be one of contenders, all/,
    );
  });

  it('reports exact propensities that match the choice frequencies', () => {
    const p = new PreferenceRouter({ d: D, epsilon: 0.2, seed: 11 });
    p.fit(rows(200, 3));
    const x = context('code', new Rng(1));
    const counts: Record<string, number> = {};
    let first: Record<string, number> | undefined;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const d = p.decide({ features: x }, ARMS, { lambda: 0, costs: COSTS });
      expect(d.propensity).toBe(d.probabilities[d.arm]);
      first ??= d.probabilities;
      counts[d.arm] = (counts[d.arm] ?? 0) + 1;
    }
    expect(Object.values(first!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(first!.coder).toBeCloseTo(0.8 + 0.2 / 3, 12);
    expect(first!.mathy).toBeCloseTo(0.2 / 3, 12);
    // 4 standard errors: a wrong propensity formula is far outside, a right one passes for any seed.
    for (const a of ARMS)
      expect(Math.abs(counts[a] / n - first![a])).toBeLessThan(4 * Math.sqrt((first![a] * (1 - first![a])) / n));
  });

  it('forces a new arm once (cheapest cold first), then treats it normally', () => {
    const p = new PreferenceRouter({ d: D, epsilon: 0 });
    p.fit(rows(200, 4));
    p.addArm('new-a');
    p.addArm('new-b');
    const x = context('code', new Rng(2));
    const c = { lambda: 1, costs: { ...COSTS, 'new-a': 0.002, 'new-b': 0.0001 } };
    const arms = [...ARMS, 'new-a', 'new-b'];
    const d1 = p.decide({ features: x }, arms, c);
    expect(d1).toMatchObject({ arm: 'new-b', propensity: 1 });
    p.update({ features: x }, 'new-b', { quality: 0.2, costUsd: 0 });
    expect(p.decide({ features: x }, arms, c).arm).toBe('new-a');
    p.update({ features: x }, 'new-a', { quality: 0.2, costUsd: 0 });
    expect(p.decide({ features: x }, arms, c).arm).toBe('coder');
    // A prior counts as knowledge: no forcing.
    p.addArm('known', { mean: 0.1, weight: 10 });
    expect(p.decide({ features: x }, [...arms, 'known'], c).arm).toBe('coder');
  });

  it('awaits a new arm whose cold pull the caller has decided but the router has not learnt yet', () => {
    const p = new PreferenceRouter({ d: D, epsilon: 0 });
    p.fit(rows(200, 4));
    p.addArm('new-b');
    const x = context('code', new Rng(2));
    const arms = [...ARMS, 'new-b'];
    const c = { lambda: 1, costs: { ...COSTS, 'new-b': 0.0001 } };
    expect(p.decide({ features: x }, arms, { ...c, decided: { 'new-b': 0 } }).arm).toBe('new-b');
    expect(p.decide({ features: x }, arms, { ...c, decided: { 'new-b': 1 } }).arm).toBe('coder');
  });

  it('never chooses a removed arm and ignores its late feedback', () => {
    const p = new PreferenceRouter({ d: D, arms: ARMS, epsilon: 1 });
    p.removeArm('big');
    const x = context('math', new Rng(1));
    for (let i = 0; i < 200; i++)
      expect(p.decide({ features: x }, ARMS, { lambda: 0, costs: COSTS }).arm).not.toBe('big');
    p.update({ features: x }, 'big', { quality: 1, costUsd: 0 });
    expect(p.arms()).not.toContain('big');
    expect(() => p.decide({ features: x }, ['big'], { lambda: 0, costs: COSTS })).toThrow(/removed/);
  });

  it('honours maxCostUsd and minQuality', () => {
    const p = new PreferenceRouter({ d: D, epsilon: 0.5 });
    p.fit(rows(400, 5), { epochs: 10, lr: 0.1 });
    const x = context('code', new Rng(1));
    for (let i = 0; i < 50; i++) {
      expect(p.decide({ features: x }, ARMS, { lambda: 0, costs: COSTS, maxCostUsd: 0.005 }).arm).not.toBe('big');
      const d = p.decide({ features: x }, ARMS, { lambda: 0, costs: COSTS, minQuality: 0.85 });
      expect(d.arm).toBe('coder');
      expect(d.propensity).toBe(1);
    }
  });

  it('featurises raw text itself when the context has no features', () => {
    const f = new QueryFeaturizer({ dim: 32, seed: 5 });
    const a = new PreferenceRouter({ d: 32, featureSeed: 5, arms: ['x', 'y'], epsilon: 0 });
    const b = new PreferenceRouter({ d: 32, featureSeed: 5, arms: ['x', 'y'], epsilon: 0 });
    const texts = ['Write a python function to sort a list.', 'How many apples are left if Tom eats 3 of 10?'];
    for (let i = 0; i < 50; i++) {
      const t = texts[i % 2];
      const q = i % 2 ? 0.9 : 0.3;
      a.update({ text: t }, 'x', { quality: q, costUsd: 0 });
      b.update({ features: f.featurize(t) }, 'x', { quality: q, costUsd: 0 });
    }
    expect(a.toState()).toEqual(b.toState());
    expect(() => a.decide({ features: [1, 2, 3] }, ['x'], { lambda: 0, costs: {} })).toThrow(/length 32/);
  });

  it('moves win probabilities on explicit preference feedback', () => {
    const p = new PreferenceRouter({ d: D, arms: ['a', 'b'], lr: 0.5 });
    const x = context('code', new Rng(1));
    const before = p.winProbability({ features: x }, 'a', 'b');
    for (let i = 0; i < 20; i++) p.observePreference({ features: x }, 'a', 'b');
    expect(before).toBeCloseTo(0.5, 12);
    expect(p.winProbability({ features: x }, 'a', 'b')).toBeGreaterThan(0.9);
  });

  it('serialises to JSON and continues with the same decisions', () => {
    const p = new PreferenceRouter({ d: D, epsilon: 0.3, seed: 8 });
    p.fit(rows(100, 6));
    const rng = new Rng(1);
    for (let i = 0; i < 100; i++) {
      const x = context(i % 2 ? 'code' : 'math', rng);
      const d = p.decide({ features: x }, ARMS, { lambda: 5, costs: COSTS });
      p.update({ features: x }, d.arm, { quality: 0.5 + 0.005 * i, costUsd: 0 });
    }
    const q = PreferenceRouter.fromState(JSON.parse(JSON.stringify(p.toState())));
    expect(q.toState()).toEqual(p.toState());
    const x = context('math', rng);
    for (let i = 0; i < 50; i++) {
      expect(q.decide({ features: x }, ARMS, { lambda: 5, costs: COSTS })).toEqual(
        p.decide({ features: x }, ARMS, { lambda: 5, costs: COSTS }),
      );
    }
    expect(() => PreferenceRouter.fromState({ ...p.toState(), algorithm: 'ucb1' })).toThrow();
  });

  describe('merge', () => {
    const feed = (p: PreferenceRouter, arm: string, n: number, seed: number) => {
      const rng = new Rng(seed);
      for (let i = 0; i < n; i++) {
        const kind = i % 2 ? 'code' : 'math';
        p.update({ features: context(kind, rng) }, arm, { quality: noisy(meanQuality(arm, kind), rng), costUsd: 0 });
      }
    };

    it('adds live statistics, counts the prior once, and averages weights by update counts', () => {
      const base = new PreferenceRouter({ d: D, seed: 1 });
      base.fit(rows(200, 7));
      const s0 = base.toState();
      const r1 = PreferenceRouter.fromState(s0);
      const r2 = PreferenceRouter.fromState(s0);
      feed(r1, 'coder', 30, 1);
      feed(r2, 'coder', 10, 2);
      feed(r2, 'mathy', 20, 3);
      const w1 = (r1.toState().stats as { arms: Record<string, { w: number[] }> }).arms.coder.w;
      const w2 = (r2.toState().stats as { arms: Record<string, { w: number[] }> }).arms.coder.w;

      const m = PreferenceRouter.fromState(r1.toState());
      m.merge(r2.toState(), s0);
      const st = m.toState().stats as {
        arms: Record<string, { w: number[]; live: number[]; prior: number[]; updates: number }>;
      };
      const st0 = s0.stats as typeof st;
      expect(st.arms.coder.live[0]).toBe(40);
      expect(st.arms.mathy.live[0]).toBe(20);
      expect(st.arms.coder.prior).toEqual(st0.arms.coder.prior);
      expect(st.arms.coder.updates).toBe(40);
      for (let i = 0; i < D; i++) expect(st.arms.coder.w[i]).toBeCloseTo((30 * w1[i] + 10 * w2[i]) / 40, 12);
      // mathy only moved in r2: the merge takes r2's vector whole.
      expect(st.arms.mathy.w).toEqual((r2.toState().stats as typeof st).arms.mathy.w);

      // Merging a replica that learned nothing since the base changes nothing.
      const same = PreferenceRouter.fromState(m.toState());
      same.merge(s0, s0);
      expect(same.toState()).toEqual(m.toState());
    });

    it('is symmetric in its statistics (r1+r2 = r2+r1) and brings in arms it did not know', () => {
      const r1 = new PreferenceRouter({ d: D, arms: ['coder'] });
      const r2 = new PreferenceRouter({ d: D, arms: ['coder', 'mathy'] });
      feed(r1, 'coder', 5, 1);
      feed(r2, 'mathy', 7, 2);
      feed(r2, 'coder', 3, 3);
      const a = PreferenceRouter.fromState(r1.toState());
      a.merge(r2.toState());
      const b = PreferenceRouter.fromState(r2.toState());
      b.merge(r1.toState());
      const sa = a.toState().stats as { arms: Record<string, { w: number[]; live: number[] }> };
      const sb = b.toState().stats as typeof sa;
      for (const arm of ['coder', 'mathy']) {
        sa.arms[arm].live.forEach((v, i) => expect(v).toBeCloseTo(sb.arms[arm].live[i], 12));
        sa.arms[arm].w.forEach((v, i) => expect(v).toBeCloseTo(sb.arms[arm].w[i], 12));
      }
      expect(a.arms().sort()).toEqual(['coder', 'mathy']);
      expect(() => a.merge({ ...r1.toState(), algorithm: 'linucb' })).toThrow();
    });
  });
});
