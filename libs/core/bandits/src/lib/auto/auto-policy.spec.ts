import { AutoPolicy } from './auto-policy';
import { templateKeys } from './features';
import { ArmId, DecisionContext } from '../policy';
import { createPolicy, policyFromState } from '../registry';
import { Rng } from '../rng';
import { WarmRow } from '../warm-start';

/**
 * A contextual problem the right answer of which depends on the prompt's template: the best
 * arm differs per template and no single arm is best overall.
 */
const TEMPLATES = [
  {
    prefix: 'Write a python function that',
    suffix: 'and return the list',
    best: 'coder',
    q: { coder: 0.95, generalist: 0.7, small: 0.5 },
  },
  {
    prefix: 'Read the following story and',
    suffix: 'pick the best continuation',
    best: 'generalist',
    q: { coder: 0.65, generalist: 0.9, small: 0.6 },
  },
  {
    prefix: 'Compute the sum of',
    suffix: 'give the number only',
    best: 'small',
    q: { coder: 0.8, generalist: 0.8, small: 0.88 },
  },
] as const;
const ARMS = ['coder', 'generalist', 'small'];

function prompt(rng: Rng, k: number): { text: string; tpl: (typeof TEMPLATES)[number] } {
  const tpl = TEMPLATES[k];
  const body = Array.from({ length: 2 + rng.int(12) }, () => `w${rng.int(300)}`).join(' ');
  return { text: `${tpl.prefix} ${body} ${tpl.suffix}`, tpl };
}

function quality(rng: Rng, mean: number): number {
  return Math.min(1, Math.max(0, mean + 0.15 * (rng.next() - 0.5) * 2));
}

function warmRows(n: number, seed: number): WarmRow[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const { text, tpl } = prompt(rng, i % 3);
    const arms: WarmRow['arms'] = {};
    for (const a of ARMS) arms[a] = { reward: quality(rng, tpl.q[a as keyof typeof tpl.q]), cost: 1e-4 };
    return { prompt: text, arms };
  });
}

/** Runs the policy online with bandit feedback; returns the share of right picks per phase. */
function play(
  p: AutoPolicy,
  steps: number,
  seed: number,
  costs: Record<ArmId, number> = { coder: 1e-4, generalist: 1e-4, small: 1e-4 },
) {
  const rng = new Rng(seed);
  const right: boolean[] = [];
  for (let t = 0; t < steps; t++) {
    const { text, tpl } = prompt(rng, rng.int(3));
    const ctx: DecisionContext = { text };
    const d = p.decide(ctx, ARMS, { lambda: 0, costs });
    right.push(d.arm === tpl.best);
    p.update(ctx, d.arm, {
      quality: quality(rng, tpl.q[d.arm as keyof typeof tpl.q]),
      costUsd: costs[d.arm],
      expectedCostUsd: costs[d.arm],
    });
  }
  const share = (from: number, to: number) => right.slice(from, to).filter(Boolean).length / (to - from);
  return { share, right };
}

describe('AutoPolicy', () => {
  it('template keys are the opening and closing words', () => {
    expect(templateKeys('Write a Python function that adds, and return the list.')).toEqual([
      'write a',
      'and return the list',
      'write',
    ]);
  });

  it('finds the best arm per template from bandit feedback alone', () => {
    const p = new AutoPolicy({ arms: ARMS, seed: 3 });
    const { share } = play(p, 900, 11);
    expect(share(600, 900)).toBeGreaterThan(0.9);
  });

  it('starts right when warm-started from another file', () => {
    const p = new AutoPolicy({ arms: ARMS, seed: 3 });
    p.warmStart(warmRows(300, 5));
    const { share } = play(p, 100, 12);
    expect(share(0, 100)).toBeGreaterThan(0.9);
  });

  it('a price change moves the very next decision, with no re-exploration', () => {
    const p = new AutoPolicy({ arms: ARMS, seed: 3 });
    p.warmStart(warmRows(300, 5));
    const ctx = { text: `${TEMPLATES[0].prefix} w1 w2 ${TEMPLATES[0].suffix}` };
    const cheap = { coder: 1e-4, generalist: 1e-4, small: 1e-4 };
    expect(p.decide(ctx, ARMS, { lambda: 100, costs: cheap }).arm).toBe('coder');
    // Coder's price goes up 100x: at lambda 100 that is one full quality point.
    expect(p.decide(ctx, ARMS, { lambda: 100, costs: { ...cheap, coder: 1e-2 } }).arm).not.toBe('coder');
  });

  it('excluded arms learn nothing from the warm start and a new arm is tried at once', () => {
    const p = new AutoPolicy({ arms: ['generalist', 'small'], seed: 3 });
    p.warmStart(warmRows(300, 5), { exclude: ['coder'] });
    expect(p.arms()).not.toContain('coder');
    p.addArm('coder');
    expect(p.estimate({ text: 'x' }, 'coder').n).toBe(0);
    const { right } = play(p, 300, 13);
    // The newcomer is assumed as good as the best incumbent, so it is tried on the code
    // template and kept there.
    expect(right.slice(150).filter(Boolean).length / 150).toBeGreaterThan(0.85);
  });

  it('learns which prompts cost more and prices them accordingly', () => {
    const p = new AutoPolicy({ arms: ['a'], seed: 1 });
    const long = { text: 'Summarise this report ' + 'w '.repeat(2000) + 'in one line' };
    const short = { text: 'Say hi' };
    for (let i = 0; i < 200; i++) {
      for (const [ctx, cost] of [
        [long, 8e-3],
        [short, 2e-3],
      ] as const) {
        p.decide({ ...ctx }, ['a'], { lambda: 0, costs: { a: 5e-3 } });
        // A fresh object: the policy learns from the context's content, not its identity.
        p.update({ ...ctx }, 'a', { quality: 0.8, costUsd: cost, expectedCostUsd: 5e-3 });
      }
    }
    const cl = p.expectedCost({ ...long }, 'a', 5e-3);
    const cs = p.expectedCost({ ...short }, 'a', 5e-3);
    expect(cl / cs).toBeGreaterThan(2.5);
    // The per-model mean stays the cost model's: the multipliers average to about 1.
    expect((cl + cs) / 2).toBeCloseTo(5e-3, 3);
  });

  it('serialises through the registry and decides identically after a reload', () => {
    const p = createPolicy('auto', { arms: ARMS, seed: 9 }) as AutoPolicy;
    play(p, 150, 21);
    const q = policyFromState(JSON.parse(JSON.stringify(p.toState())));
    expect(q.algorithm).toBe('auto');
    const rng = new Rng(4);
    for (let i = 0; i < 60; i++) {
      const { text } = prompt(rng, i % 3);
      const c = { lambda: 10, costs: { coder: 1e-3, generalist: 5e-4, small: 1e-4 } };
      expect(q.decide({ text }, ARMS, c).arm).toBe(p.decide({ text }, ARMS, c).arm);
      expect(q.estimate({ text }, 'coder').mean).toBeCloseTo(p.estimate({ text }, 'coder').mean, 9);
    }
  });

  // Each part's precisions add exactly, and so do the precision-weighted means of the
  // block-diagonal posteriors (docs/decisions/0027); the one that saw both streams stepped
  // from one posterior, the replicas from two, and the backfitting targets each replica
  // computed with its own view of the other part: the merged means are close, not equal.
  it('merging two replicas approximates one policy that saw both streams', () => {
    const warm = warmRows(120, 8);
    const mk = () => {
      const p = new AutoPolicy({ arms: ARMS, seed: 2 });
      p.warmStart(warm);
      return p;
    };
    const a = mk();
    const b = mk();
    const both = mk();
    const rng = new Rng(17);
    for (let t = 0; t < 200; t++) {
      const { text, tpl } = prompt(rng, t % 3);
      const arm = ARMS[t % 3];
      const o = { quality: quality(rng, tpl.q[arm as keyof typeof tpl.q]), costUsd: 1e-4 };
      (t % 2 === 0 ? a : b).update({ text }, arm, o);
      both.update({ text }, arm, o);
    }
    a.merge(b.toState());
    for (let k = 0; k < 3; k++) {
      const ctx = { text: `${TEMPLATES[k].prefix} w7 ${TEMPLATES[k].suffix}` };
      for (const arm of ARMS) {
        expect(Math.abs(a.estimate(ctx, arm).mean - both.estimate(ctx, arm).mean)).toBeLessThan(0.02);
        expect(a.estimate(ctx, arm).halfWidth).toBeCloseTo(both.estimate(ctx, arm).halfWidth, 6);
        expect(a.estimate(ctx, arm).n).toBe(both.estimate(ctx, arm).n);
      }
    }
  });

  describe('logged propensity', () => {
    /** Chooses N times on one context; decide() must not learn, so the draws are i.i.d. */
    function frequencies(p: AutoPolicy, ctx: DecisionContext, n: number) {
      const c = { lambda: 10, costs: { coder: 1e-3, generalist: 1e-3, small: 1e-3 } };
      const first = p.decide(ctx, ARMS, c);
      const counts: Record<ArmId, number> = Object.fromEntries(ARMS.map((a) => [a, 0]));
      for (let i = 0; i < n; i++) {
        const d = p.decide(ctx, ARMS, c);
        expect(d.probabilities).toEqual(first.probabilities);
        expect(d.propensity).toBe(d.probabilities[d.arm]);
        counts[d.arm]++;
      }
      return { probabilities: first.probabilities, counts };
    }

    /** Each arm's count within 5 binomial standard deviations of n * its logged propensity. */
    function expectMatches(probabilities: Record<ArmId, number>, counts: Record<ArmId, number>, n: number) {
      const sum = Object.values(probabilities).reduce((x, y) => x + y, 0);
      expect(sum).toBeCloseTo(1, 12);
      for (const a of ARMS) {
        const p = probabilities[a];
        expect(Math.abs(counts[a] - n * p)).toBeLessThanOrEqual(5 * Math.sqrt(n * p * (1 - p)) + 1);
      }
    }

    it('a clear leader: the others are chosen at the exploration floor, as logged', () => {
      const p = new AutoPolicy({ arms: ARMS, seed: 5, explorationFloor: 0.01 });
      p.warmStart(warmRows(300, 5));
      const ctx = { text: `${TEMPLATES[0].prefix} w1 w2 ${TEMPLATES[0].suffix}` };
      const n = 20000;
      const { probabilities, counts } = frequencies(p, ctx, n);
      expect(probabilities).toEqual({ coder: 0.98, generalist: 0.01, small: 0.01 });
      expectMatches(probabilities, counts, n);
    });

    it('near-ties share the leader probability evenly', () => {
      const priors = {
        coder: { mean: 0.8, weight: 5 },
        generalist: { mean: 0.8, weight: 5 },
        small: { mean: 0.5, weight: 5 },
      };
      const p = new AutoPolicy({ arms: ARMS, seed: 6, priors, explorationFloor: 0.02 });
      const n = 20000;
      const { probabilities, counts } = frequencies(p, { text: 'hello there' }, n);
      expect(probabilities.coder).toBeCloseTo(0.49, 12);
      expect(probabilities.generalist).toBeCloseTo(0.49, 12);
      expect(probabilities.small).toBeCloseTo(0.02, 12);
      expectMatches(probabilities, counts, n);
    });

    it('the default floor is 0.2% per eligible arm, and decide() learns nothing', () => {
      const p = new AutoPolicy({ arms: ARMS, seed: 1 });
      p.warmStart(warmRows(300, 5));
      const before = JSON.stringify({ ...p.toState(), rng: 0 });
      const d = p.decide({ text: `${TEMPLATES[2].prefix} w9 ${TEMPLATES[2].suffix}` }, ARMS, { lambda: 0, costs: {} });
      expect(Object.values(d.probabilities).sort()).toEqual([0.002, 0.002, 0.996]);
      p.estimate({ text: 'anything' }, 'coder');
      expect(JSON.stringify({ ...p.toState(), rng: 0 })).toBe(before);
    });
  });

  // Fresh typed arrays on every call (context buffers, scaled copies) made the young
  // generation fill, and their off-heap backing stores be swept, every few hundred calls:
  // those calls were the slow tail (docs/decisions/0030).
  it('once warm, decide and update construct no typed array', () => {
    const p = new AutoPolicy({ arms: ARMS, seed: 3, d: 8 });
    const rng = new Rng(12);
    const contexts: DecisionContext[] = Array.from({ length: 50 }, (_, i) => {
      const { text } = prompt(rng, i % 3);
      return { features: Float64Array.from({ length: 8 }, () => rng.normal()), textFeatures: p.textFeatures(text) };
    });
    const costs: Record<ArmId, number> = { coder: 1e-3, generalist: 5e-4, small: 1e-4 };
    const cycle = (ctx: DecisionContext) => {
      const d = p.decide(ctx, ARMS, { lambda: 10, costs });
      p.update(ctx, d.arm, { quality: 0.7, costUsd: 2 * costs[d.arm], expectedCostUsd: costs[d.arm] });
    };
    contexts.forEach(cycle);
    const constructed: string[] = [];
    const counting = <T extends object>(ctor: T, name: string) =>
      new Proxy(ctor, {
        construct: (target, args, newTarget) => {
          constructed.push(name);
          return Reflect.construct(target as never, args, newTarget);
        },
      });
    const globals = globalThis as unknown as Record<string, unknown>;
    const saved = { Float64Array, Int32Array };
    globals['Float64Array'] = counting(Float64Array, 'Float64Array');
    globals['Int32Array'] = counting(Int32Array, 'Int32Array');
    try {
      contexts.forEach(cycle);
      p.estimate(contexts[0], 'coder');
      p.expectedCost(contexts[0], 'coder', 1e-3);
    } finally {
      Object.assign(globals, saved);
    }
    expect(constructed).toEqual([]);
  });

  it('rejects invalid options', () => {
    expect(() => new AutoPolicy({ alpha: -1 })).toThrow(/alpha/);
    expect(() => new AutoPolicy({ buckets: 0 })).toThrow(/buckets/);
  });
});
