import {
  ArmId,
  DecideConstraints,
  Decision,
  DecisionContext,
  Outcome,
  Policy,
  RandomPolicy,
  Rng,
  createPolicy,
} from '@llm-router/bandits';
import { adaptSteps, armShares, quantile } from './metrics';
import { RowOrder, orderRows, rowDifficulty, seededShuffle } from './order';
import { budgetPacing } from './pacer';
import { ReplayOptions, ReplayRow, runReplay } from './replay';
import { CostCalibration, RecentCorrectionSetting } from '@llm-router/batch';
import { runBatchComparison, windowQualities, worstWindowQuality } from './batch';
import { planOnTruthOf } from './plan-on-truth';

const CHEAP = 'cheap';
const MID = 'mid';
const PREMIUM = 'premium';
const ARMS = [CHEAP, MID, PREMIUM];

/**
 * Three task templates with different winners and per-arm costs that vary with prompt length,
 * so that routing by context and pacing a budget both matter.
 */
const TEMPLATES = [
  {
    name: 'maths',
    prefix: 'Solve the equation',
    suffix: 'show your steps',
    q: { cheap: 0.9, mid: 0.93, premium: 0.95 },
  },
  {
    name: 'trivia',
    prefix: 'Question about history',
    suffix: 'answer with the letter',
    q: { cheap: 0.55, mid: 0.85, premium: 0.88 },
  },
  {
    name: 'code',
    prefix: 'Write a python function',
    suffix: 'return the result',
    q: { cheap: 0.4, mid: 0.7, premium: 0.92 },
  },
] as const;
const BASE_COST: Record<ArmId, number> = { cheap: 2e-5, mid: 5e-4, premium: 1e-2 };

function syntheticRows(n: number, seed = 7): ReplayRow[] {
  const rng = new Rng(seed);
  const rows: ReplayRow[] = [];
  for (let i = 0; i < n; i++) {
    const tpl = TEMPLATES[i % TEMPLATES.length];
    const words = 3 + rng.int(20);
    const body = Array.from({ length: words }, () => `w${rng.int(500)}`).join(' ');
    const arms: ReplayRow['arms'] = {};
    for (const a of ARMS) {
      const q = tpl.q[a as keyof typeof tpl.q] + 0.1 * (rng.next() - 0.5);
      arms[a] = { reward: Math.min(1, Math.max(0, q)), cost: BASE_COST[a] * (0.5 + words / 20) };
    }
    rows.push({ prompt: `${tpl.prefix} ${body} ${tpl.suffix}`, source: tpl.name, arms });
  }
  return rows;
}

const prices = ARMS.map((a) => ({ model: a, inputPerM: BASE_COST[a] * 1e3, outputPerM: BASE_COST[a] * 1e3 }));

function base(overrides: Partial<ReplayOptions> = {}): ReplayOptions {
  return {
    policy: ({ arms, seed }) => createPolicy('auto', { arms, seed }),
    prices,
    pacer: budgetPacing(),
    ...overrides,
  };
}

/** Records what the engine hands to a policy, and delegates the choice. */
class SpyPolicy implements Policy {
  readonly algorithm = 'spy';
  readonly decides: {
    available: ArmId[];
    costs: Record<ArmId, number>;
    lambda: number;
    decided?: Record<ArmId, number>;
  }[] = [];
  readonly updates: { arm: ArmId; outcome: Outcome; afterDecisions: number }[] = [];
  readonly added: ArmId[] = [];
  constructor(
    private readonly inner: Policy,
    private readonly initial: ArmId[],
  ) {}
  arms(): ArmId[] {
    return [...this.initial, ...this.added];
  }
  decide(ctx: DecisionContext, available: readonly ArmId[], c: DecideConstraints): Decision {
    this.decides.push({
      available: [...available],
      costs: { ...c.costs },
      lambda: c.lambda,
      ...(c.decided && { decided: { ...c.decided } }),
    });
    return this.inner.decide(ctx, available, c);
  }
  update(ctx: DecisionContext, arm: ArmId, o: Outcome): void {
    this.updates.push({ arm, outcome: o, afterDecisions: this.decides.length });
    this.inner.update(ctx, arm, o);
  }
  estimate(ctx: DecisionContext, arm: ArmId) {
    return this.inner.estimate(ctx, arm);
  }
  addArm(arm: ArmId): void {
    this.added.push(arm);
    this.inner.addArm(arm);
  }
  removeArm(arm: ArmId): void {
    this.inner.removeArm(arm);
  }
  toState() {
    return this.inner.toState();
  }
  merge(): void {
    throw new Error('not used');
  }
}

/**
 * The auto policy, logging how the batch run uses it: it plans a window through estimate() and
 * learns through update(); runs of each are logged (estimate as one entry 'plan', decide and
 * update counted, as 'update:40').
 */
function loggedPolicy(log: string[]): ReplayOptions['policy'] {
  return (init) => {
    const p = createPolicy('auto', { arms: init.arms, seed: init.seed });
    return new Proxy(p, {
      get(target, key) {
        const v = Reflect.get(target, key, target);
        if (typeof v !== 'function') return v;
        if (key === 'estimate')
          return (...args: unknown[]) => {
            if (log[log.length - 1] !== 'plan') log.push('plan');
            return v.apply(target, args);
          };
        if (key === 'decide' || key === 'update') {
          return (...args: unknown[]) => {
            const last = log[log.length - 1];
            if (last && last.startsWith(key as string))
              log[log.length - 1] = `${key as string}:${Number(last.split(':')[1]) + 1}`;
            else log.push(`${key as string}:1`);
            return v.apply(target, args);
          };
        }
        return v.bind(target);
      },
    });
  };
}

describe('metrics', () => {
  it('adaptSteps counts decisions from T until the arm holds half of the last 100', () => {
    const picks = new Int32Array(400);
    for (let t = 200; t < 400; t++) picks[t] = 1;
    // From T = 200 every decision is arm 1: the 50th such decision completes half a window.
    expect(adaptSteps(picks, 1, 200)).toBe(50);
    // Alternating after T, starting with the arm: its 50th pick is the 99th decision.
    const alt = new Int32Array(400);
    for (let t = 200; t < 400; t++) alt[t] = t % 2 === 0 ? 1 : 0;
    expect(adaptSteps(alt, 1, 200)).toBe(99);
    expect(adaptSteps(new Int32Array(400), 1, 200)).toBeNull();
    // Already dominant before T: the condition holds at the first affected step.
    expect(adaptSteps(new Int32Array(400).fill(1), 1, 200)).toBe(1);
    // A smaller window for the same definition.
    expect(adaptSteps(picks, 1, 200, 10)).toBe(5);
  });

  it('armShares lists every arm and sums to 1', () => {
    const s = armShares(Int32Array.from([0, 0, 2, 0]), ['a', 'b', 'c']);
    expect(s).toEqual({ a: 0.75, b: 0, c: 0.25 });
  });

  it('quantile is nearest-rank', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(
      quantile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.99,
      ),
    ).toBe(99);
    expect(quantile([], 0.5)).toBeNull();
  });
});

describe('order', () => {
  it('shuffles deterministically per seed and keeps every row', () => {
    const xs = Array.from({ length: 50 }, (_, i) => i);
    expect(seededShuffle(xs, 3)).toEqual(seededShuffle(xs, 3));
    expect(seededShuffle(xs, 3)).not.toEqual(seededShuffle(xs, 4));
    expect([...seededShuffle(xs, 3)].sort((a, b) => a - b)).toEqual(xs);
  });

  it('file keeps the rows exactly as given, whatever the seed', () => {
    const rows = syntheticRows(30);
    expect(orderRows(rows, 'file', 1)).toEqual(rows);
    expect(orderRows(rows, 'file', 7)).toEqual(rows);
  });

  it('by-source groups rows of one source together', () => {
    const rows = syntheticRows(30);
    const ordered = orderRows(rows, 'by-source', 1);
    const runs = ordered.map((r) => r.source).filter((s, i, a) => i === 0 || a[i - 1] !== s);
    expect(runs).toHaveLength(3);
  });

  it('by-difficulty puts the rows every arm answers well first, keeps every row, and ties follow the seed', () => {
    const rows = syntheticRows(60);
    const ordered = orderRows(rows, 'by-difficulty', 1);
    expect(new Set(ordered)).toEqual(new Set(rows));
    const d = ordered.map(rowDifficulty);
    for (let i = 1; i < d.length; i++) expect(d[i]).toBeGreaterThanOrEqual(d[i - 1]);
    expect(orderRows(rows, 'by-difficulty', 1)).toEqual(ordered);
    const tie = (prompt: string): ReplayRow => ({ prompt, arms: { a: { reward: 0.5, cost: 1 } } });
    const ties = Array.from({ length: 20 }, (_, i) => tie(`p${i}`));
    expect(orderRows(ties, 'by-difficulty', 1)).toEqual(seededShuffle(ties, 1));
    expect(rowDifficulty({ arms: { a: { reward: 1 }, b: { reward: 0.5 } } })).toBeCloseTo(0.25, 12);
    expect(() => orderRows(rows, 'sideways' as RowOrder, 1)).toThrow(/unknown row order/);
  });
});

describe('CostCalibration', () => {
  it('is 1 before any call, moves towards the realised ratio and is shrunk by the prior', () => {
    const c = new CostCalibration(2);
    expect(c.level(0)).toBe(1);
    c.observe(0, 4, 1);
    // One call that cost 4x: (4 + 10 * 1) / (1 + 10 * 1) with a prior worth 10 calls.
    expect(c.level(0)).toBeCloseTo(14 / 11, 12);
    for (let i = 0; i < 199; i++) c.observe(0, 4, 1);
    expect(c.level(0)).toBeCloseTo((800 + 10) / (200 + 10), 12);
    expect(c.level(1)).toBe(1);
    c.observe(1, 1, 0);
    c.observe(1, -1, 1);
    expect(c.level(1)).toBe(1);
  });
});

describe('runReplay', () => {
  const rows = syntheticRows(600);

  it('gives identical results for the same seed and different ones for another', () => {
    const a = runReplay(rows, base({ seed: 5, lambda: 20 }));
    const b = runReplay(rows, base({ seed: 5, lambda: 20 }));
    const c = runReplay(rows, base({ seed: 6, lambda: 20 }));
    expect(Array.from(a.picks)).toEqual(Array.from(b.picks));
    expect(a.meanQuality).toBe(b.meanQuality);
    expect(a.meanCost).toBe(b.meanCost);
    expect(Array.from(a.picks)).not.toEqual(Array.from(c.picks));
  });

  it('reports the EVAL.md figures consistently', () => {
    const r = runReplay(rows, base({ lambda: 20 }));
    expect(r.n).toBe(600);
    const shares = Object.values(r.armShares);
    expect(shares).toHaveLength(3);
    expect(shares.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    expect(r.pctOfOracle).toBeCloseTo(r.meanQuality / r.oracleQuality, 12);
    expect(r.meanReward).toBeCloseTo(r.meanQuality - 20 * r.meanCost, 12);
    expect(r.budget).toBeNull();
    expect(r.budgetRatio).toBeNull();
    expect(r.adaptSteps).toBeNull();
    // Without a clock there is nothing to time.
    expect(r.decideP50Us).toBeNull();
    expect(r.series.t[r.series.t.length - 1]).toBe(599);
    for (const a of ARMS) expect(r.series.shares[a]).toHaveLength(r.series.t.length);
  });

  it('times the decide call with the injected clock, in microseconds', () => {
    let readings = 0;
    // A fake clock that advances 7 us per reading: each decide spans exactly one step.
    const clock = () => BigInt(++readings) * 7000n;
    const r = runReplay(rows.slice(0, 50), { ...base(), clock });
    expect(readings).toBe(2 * 50);
    expect(r.decideP50Us).toBe(7);
    expect(r.decideP99Us).toBe(7);
  });

  it('gives the policy expected costs from the cost model, never the current row cost', () => {
    let spy: SpyPolicy | null = null;
    const r = runReplay(rows.slice(0, 200), {
      ...base({ lambda: 5 }),
      prices: undefined,
      policy: ({ arms, seed }) => (spy = new SpyPolicy(new RandomPolicy({ arms, seed }), arms)),
    });
    const s = spy!;
    // Unit prices: the expected cost of an arm is the mean of its costs observed so far.
    const seen = new Map<ArmId, number[]>();
    s.decides.forEach((d, t) => {
      for (const a of d.available) {
        const past = seen.get(a);
        if (past && past.length > 0) expect(d.costs[a]).toBeCloseTo(past.reduce((x, y) => x + y, 0) / past.length, 15);
      }
      const u = s.updates[t];
      if (!seen.has(u.arm)) seen.set(u.arm, []);
      seen.get(u.arm)!.push(u.outcome.costUsd);
    });
    expect(r.n).toBe(200);
  });

  it('learns each outcome feedbackDelay decisions late, telling the policy its decisions per arm', () => {
    const spyOn = (feedbackDelay?: number) => {
      let spy: SpyPolicy | null = null;
      const r = runReplay(rows.slice(0, 100), {
        ...base({ budget: 1e-3, feedbackDelay }),
        policy: ({ arms, seed }) => (spy = new SpyPolicy(createPolicy('ucb1', { arms, seed }), arms)),
      });
      return { r, s: spy! };
    };
    const now = spyOn();
    expect(now.s.updates.map((u) => u.afterDecisions)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(now.s.decides[5].decided).toBeUndefined();
    expect(spyOn(0).r.picks).toEqual(now.r.picks);
    // Three decisions late: the outcome of decision i is learnt once decision i + 3 is made.
    const late = spyOn(3);
    expect(late.s.updates.map((u) => u.afterDecisions)).toEqual(Array.from({ length: 96 }, (_, i) => i + 4));
    late.s.decides.forEach((d, t) => {
      expect(Object.values(d.decided!).reduce((a, b) => a + b, 0)).toBe(t);
    });
    expect(late.r.picks).not.toEqual(now.r.picks);
    expect(() => spyOn(1.5)).toThrow(/feedbackDelay must be an integer >= 0/);
  });

  it('learns every outcome of a long run in order, late, however many it has learnt already', () => {
    // Longer than the learnt outcomes the replay keeps before dropping them (1024).
    const long = Array.from({ length: 2500 }, (_, i) => rows[i % rows.length]);
    let spy: SpyPolicy | null = null;
    runReplay(long, {
      ...base({ budget: 1e-3, feedbackDelay: 7 }),
      policy: ({ arms, seed }) => (spy = new SpyPolicy(createPolicy('ucb1', { arms, seed }), arms)),
    });
    expect(spy!.updates.map((u) => u.afterDecisions)).toEqual(Array.from({ length: 2492 }, (_, i) => i + 8));
  });

  it('holds a budget with the pacer', () => {
    // Between the mid and the premium arm: the pacer must mix them.
    const budget = 2.5e-3;
    const r = runReplay(rows, base({ budget }));
    expect(r.budget).toBe(budget);
    expect(r.budgetRatio).toBeGreaterThan(0.97);
    expect(r.budgetRatio).toBeLessThan(1.03);
    expect(r.series.lambda.some((l) => l > 0)).toBe(true);
    // Unbinding, the same policy spends far more.
    expect(runReplay(rows, base()).meanCost).toBeGreaterThan(2 * budget);
  });

  it('price-cut: the arm costs factor x from step T, the policy is told at once and moves to it', () => {
    const at = 300;
    const fixed = runReplay(
      rows,
      base({
        policy: ({ arms }) => createPolicy(`fixed:${PREMIUM}`, { arms }),
        scenario: { name: 'price-cut', arm: PREMIUM, at, factor: 0.01 },
      }),
    );
    const data = orderRows(rows, 'shuffled', 1);
    const expected = data.reduce((s, r, t) => s + r.arms[PREMIUM].cost * (t >= at ? 0.01 : 1), 0) / data.length;
    expect(fixed.meanCost).toBeCloseTo(expected, 15);

    let spy: SpyPolicy | null = null;
    const r = runReplay(rows, {
      ...base({ lambda: 200, scenario: { name: 'price-cut', arm: PREMIUM, at, factor: 0.01 } }),
      policy: ({ arms, seed }) => (spy = new SpyPolicy(createPolicy('auto', { arms, seed }), arms)),
    });
    const before = spy!.decides[at - 1].costs[PREMIUM];
    const after = spy!.decides[at].costs[PREMIUM];
    expect(after / before).toBeCloseTo(0.01, 2);
    const premiumIdx = r.arms.indexOf(PREMIUM);
    const beforeShare = Array.from(r.picks.slice(200, at)).filter((p) => p === premiumIdx).length / 100;
    expect(beforeShare).toBeLessThan(0.2);
    expect(r.adaptSteps).not.toBeNull();
    expect(r.adaptSteps!).toBeLessThanOrEqual(80);
    expect(r.adaptSteps).toBe(adaptSteps(r.picks, premiumIdx, at));
  });

  it('new-arm: the arm is absent before T, arrives cold (no warm-start prior) and is adopted', () => {
    const at = 300;
    let spy: SpyPolicy | null = null;
    const warm = syntheticRows(300, 99);
    const r = runReplay(rows, {
      ...base({ lambda: 0, scenario: { name: 'new-arm', arm: PREMIUM, at }, warmStart: warm }),
      policy: ({ arms, seed }) => {
        expect(arms).not.toContain(PREMIUM);
        // A policy without warmStart() gets the offline file through update(): the new arm
        // must not be among those updates.
        return (spy = new SpyPolicy(createPolicy('ucb1', { arms, seed }), arms));
      },
    });
    const s = spy!;
    const warmUpdates = s.updates.length - r.n;
    expect(warmUpdates).toBe(300 * 2);
    expect(s.updates.slice(0, warmUpdates).some((u) => u.arm === PREMIUM)).toBe(false);
    expect(s.added).toEqual([PREMIUM]);
    for (let t = 0; t < at; t++) expect(s.decides[t].available).not.toContain(PREMIUM);
    expect(s.decides[at].available).toContain(PREMIUM);
    const premiumIdx = r.arms.indexOf(PREMIUM);
    expect(Array.from(r.picks.slice(0, at))).not.toContain(premiumIdx);
    // Before T the oracle is over the arms that exist: it cannot count the absent arm.
    const data = orderRows(rows, 'shuffled', 1);
    const oracle =
      data.reduce(
        (sum, row, t) => sum + Math.max(...ARMS.filter((a) => t >= at || a !== PREMIUM).map((a) => row.arms[a].reward)),
        0,
      ) / data.length;
    expect(r.oracleQuality).toBeCloseTo(oracle, 12);
    expect(r.adaptSteps).not.toBeNull();
  });

  it('rejects scenarios it cannot run', () => {
    expect(() => runReplay(rows, base({ scenario: { name: 'price-cut', arm: 'nope', at: 10, factor: 0.5 } }))).toThrow(
      /not in the data/,
    );
    expect(() => runReplay(rows, base({ scenario: { name: 'price-cut', arm: PREMIUM, at: 10 } }))).toThrow(/factor/);
    expect(() => runReplay(rows, base({ scenario: { name: 'new-arm', arm: PREMIUM, at: 10_000 } }))).toThrow(
      /past the end/,
    );
  });
});

describe('runBatchComparison', () => {
  it('runs per-query and batch routing on the same order and budget', async () => {
    const rows = syntheticRows(300);
    const budget = 1e-3;
    const r = await runBatchComparison(rows, { ...base({ budget }), batchSize: 50, timeLimitMs: 300 });
    expect(r.perQuery.meanQuality).toBeCloseTo(runReplay(rows, base({ budget })).meanQuality, 12);
    expect(r.batch.meanQuality).toBe(r.meanQuality);
    expect(r.gainPct).toBeCloseTo(100 * (r.batch.meanQuality / r.perQuery.meanQuality - 1), 12);
    // Each window gets its share of what is left, so the batch run lands near the budget too.
    expect(r.batch.budgetRatio!).toBeLessThan(1.1);
    expect(r.batch.budgetRatio!).toBeGreaterThan(0.8);
    expect(Object.values(r.armShares).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
  });

  it('runs on its per-query side exactly the per-query replay of the same options (the CLI --mode query)', async () => {
    const rows = syntheticRows(300);
    const warmStart = syntheticRows(120, 11);
    for (const order of ['by-source', 'by-difficulty'] as const) {
      const options = { ...base({ budget: 1e-3, seed: 3, order, warmStart }), batchSize: 50, timeLimitMs: 300 };
      const r = await runBatchComparison(rows, { ...options, robust: true, explore: 4 });
      const q = runReplay(rows, options);
      // Exact equality, not closeness: the two are one computation, not two that agree.
      expect(r.perQuery).toEqual({
        meanQuality: q.meanQuality,
        meanCost: q.meanCost,
        budgetRatio: q.budgetRatio,
        pctOfOracle: q.pctOfOracle,
        worstWindowQuality: worstWindowQuality(rows, q, 50),
      });
    }
  });

  it('reports the source-level bound with a budget on a stationary run, and only then', async () => {
    const rows = syntheticRows(150);
    const opts = { batchSize: 50, timeLimitMs: 300, order: 'by-source' as const };
    const r = await runBatchComparison(rows, { ...base({ budget: 1e-3 }), ...opts });
    const b = r.sourceBound!;
    expect(b.offlineMeanQuality).toBeGreaterThanOrEqual(b.onlineMeanQuality - 1e-12);
    expect(b.bestScaledGainPct).toBeGreaterThanOrEqual(b.onlineGainPct - 1e-9);
    expect(b.offlineGainPct).toBeCloseTo(100 * (b.offlineMeanQuality / r.perQuery.meanQuality - 1), 9);
    expect(b.windowOfflineMeanQuality).toBeGreaterThanOrEqual(b.offlineMeanQuality - 1e-12);
    expect(b.windowOfflineGainPct).toBeCloseTo(100 * (b.windowOfflineMeanQuality / r.perQuery.meanQuality - 1), 9);
    expect((await runBatchComparison(rows, { ...base({ budget: null, lambda: 10 }), ...opts })).sourceBound).toBeNull();
    const cut = { name: 'price-cut' as const, arm: PREMIUM, at: 60, factor: 0.1 };
    expect(
      (await runBatchComparison(rows, { ...base({ budget: 1e-3, scenario: cut }), ...opts })).sourceBound,
    ).toBeNull();
  });

  it("plans on the rows' true means of the named sources when asked (a diagnostic), and refuses a scenario", async () => {
    const rows = syntheticRows(150);
    const opts = {
      ...base({ budget: 1e-3, policy: ({ arms, seed }) => createPolicy('random', { arms, seed }) }),
      batchSize: 25,
      timeLimitMs: 300,
      order: 'by-source' as const,
      explore: 0,
    };
    const ordered = orderRows(rows, 'by-source', 1);
    /** Per source, the batch's calls per arm. */
    const callsBySource = (picks: Int32Array, arms: readonly string[]) => {
      const out: Record<string, Record<string, number>> = {};
      ordered.forEach((r, i) => {
        const c = (out[r.source!] ??= {});
        c[arms[picks[i]]] = (c[arms[picks[i]]] ?? 0) + 1;
      });
      return out;
    };
    // A policy that knows nothing reads every model alike: every query goes to its cheapest.
    const blind = await runBatchComparison(rows, opts);
    for (const c of Object.values(callsBySource(blind.picks, blind.arms))) expect(Object.keys(c)).toEqual([CHEAP]);
    // Told code's true means (cheap 0.4, mid 0.7, premium 0.92), it upgrades code and nothing else.
    const told = await runBatchComparison(rows, { ...opts, planOnTruth: planOnTruthOf('quality', ['code']) });
    const calls = callsBySource(told.picks, told.arms);
    // Code is the second source (windows of 25): its first window gives each dearer model one
    // call, none having a bill yet (docs/decisions/0035); its second upgrades every row.
    expect((calls['code'][MID] ?? 0) + (calls['code'][PREMIUM] ?? 0)).toBeGreaterThanOrEqual(25);
    expect(Object.keys(calls['maths'])).toEqual([CHEAP]);
    expect(Object.keys(calls['trivia'])).toEqual([CHEAP]);
    expect(told.perQuery).toEqual(blind.perQuery);
    const cut = { name: 'price-cut' as const, arm: PREMIUM, at: 60, factor: 0.1 };
    await expect(
      runBatchComparison(rows, { ...opts, scenario: cut, planOnTruth: planOnTruthOf('both', null) }),
    ).rejects.toThrow(/stationary scenario/);
  });

  it('splits the gain by source on a stationary run, and not under a scenario', async () => {
    const rows = syntheticRows(150);
    const opts = { batchSize: 50, timeLimitMs: 300, order: 'by-source' as const };
    const r = await runBatchComparison(rows, { ...base({ budget: 1e-3 }), ...opts });
    const parts = r.bySource!;
    expect(parts.map((p) => p.source)).toEqual([...new Set(orderRows(rows, 'by-source', 1).map((x) => x.source))]);
    expect(parts.reduce((s, p) => s + p.rows, 0)).toBe(rows.length);
    expect(parts.reduce((s, p) => s + p.gainPct, 0)).toBeCloseTo(r.gainPct, 9);
    const spent = (mode: 'perQuery' | 'batch') => parts.reduce((s, p) => s + p[mode].budgetShare!, 0);
    expect(spent('batch')).toBeCloseTo(r.batch.budgetRatio!, 9);
    expect(spent('perQuery')).toBeCloseTo(r.perQuery.budgetRatio!, 9);
    const cut = { name: 'price-cut' as const, arm: PREMIUM, at: 60, factor: 0.1 };
    expect((await runBatchComparison(rows, { ...base({ budget: 1e-3, scenario: cut }), ...opts })).bySource).toBeNull();
  });

  it('reports the worst window of each mode over the same windows', async () => {
    const rows = syntheticRows(300);
    const r = await runBatchComparison(rows, { ...base({ budget: 1e-3 }), batchSize: 50, timeLimitMs: 300 });
    expect(r.perQuery.worstWindowQuality).toBeLessThanOrEqual(r.perQuery.meanQuality);
    expect(r.batch.worstWindowQuality).toBeLessThanOrEqual(r.batch.meanQuality);
    const pq = runReplay(rows, base({ budget: 1e-3 }));
    const w = windowQualities(rows, pq, 50);
    expect(w).toHaveLength(6);
    expect(worstWindowQuality(rows, pq, 50)).toBe(Math.min(...w));
    expect(r.perQuery.worstWindowQuality).toBeCloseTo(Math.min(...w), 12);
  });

  it('splits each window into an exploration sub-round and the rest, learnt from in that order', async () => {
    const rows = syntheticRows(100);
    const calls = (explore: number) => {
      const log: string[] = [];
      return runBatchComparison(rows, {
        ...base({ budget: 1e-3, policy: loggedPolicy(log) }),
        batchSize: 50,
        explore,
        timeLimitMs: 300,
      }).then((r) => ({ r, log }));
    };
    const off = await calls(0);
    const on = await calls(10);
    // The per-query run comes first (one decide and one update per row), then the batch run.
    expect(off.log.slice(-4)).toEqual(['plan', 'update:50', 'plan', 'update:50']);
    expect(on.log.slice(-8)).toEqual([
      'plan',
      'update:10',
      'plan',
      'update:40',
      'plan',
      'update:10',
      'plan',
      'update:40',
    ]);
    for (const { r } of [off, on]) {
      expect(r.batch.budgetRatio!).toBeLessThan(1.1);
      expect(r.perQuery.meanQuality).toBe(off.r.perQuery.meanQuality);
    }
  });

  it('plans each window whole by default under auto, which knows every model, as the batch-planner app; auto takes a larger sub-round with the correction', async () => {
    const rows = syntheticRows(100);
    const warm = syntheticRows(200, 8);
    const learningSteps = async (
      warmStart: ReplayRow[] | undefined,
      explore?: 'auto',
      recentCorrection?: RecentCorrectionSetting,
    ) => {
      const log: string[] = [];
      await runBatchComparison(rows, {
        ...base({ budget: 1e-3, policy: loggedPolicy(log), warmStart }),
        batchSize: 50,
        explore,
        recentCorrection,
        timeLimitMs: 300,
      });
      // The batch run's two windows, each learnt from as its first sub-round and then the rest.
      return log.filter((e) => e.startsWith('update')).slice(-4);
    };
    // auto's prior bounds every model, cold or warm: no model is unknown to it.
    const oneRound = ['update:50', 'update:50'];
    // Cold, the first window opens with a probe of its new kind of prompt (one call on each of
    // the 3 models worth a call, none billed yet), then its second stage (one more call on each
    // of the 2 whose bills keep them within six targets), each learnt from before the rest is
    // planned; the second window holds no new kind.
    expect((await learningSteps(undefined)).slice(-4)).toEqual(['update:3', 'update:2', 'update:45', 'update:50']);
    expect((await learningSteps(warm)).slice(-2)).toEqual(oneRound);
    expect(await learningSteps(undefined, 'auto')).toEqual(['update:3', 'update:47', 'update:3', 'update:47']);
    expect(await learningSteps(warm, 'auto')).toEqual(['update:6', 'update:44', 'update:6', 'update:44']);
    expect(await learningSteps(warm, 'auto', 'off')).toEqual(['update:3', 'update:47', 'update:3', 'update:47']);
  });

  it("gives each model one call of a warm-started auto's first window unlike the warm start's mix until its first bill, then plans freely", async () => {
    // auto counts as pulls only its own calls, not the warm start's rows: the period's first window,
    // planned on the warm start's priors alone, holds each model but the cheapest to one call, as it
    // does a model neither billed nor pulled (docs/decisions/0057), when its prompts are a mix unlike
    // the warm start's (one template of three: mix distance 2/3).
    const maths = syntheticRows(450).filter((r) => r.source === 'maths');
    const rows = [...maths.slice(0, 50), ...syntheticRows(100, 9)];
    const r = await runBatchComparison(rows, {
      ...base({ budget: 1e-3, warmStart: syntheticRows(300, 8), order: 'file' }),
      batchSize: 50,
      timeLimitMs: 300,
    });
    const callsOf = (from: number, to: number, arm: ArmId) =>
      r.picks.slice(from, to).filter((j) => r.arms[j] === arm).length;
    expect(callsOf(0, 50, MID)).toBe(1);
    expect(callsOf(0, 50, PREMIUM)).toBeLessThanOrEqual(1);
    // Billed once, mid takes the trivia and code prompts it upgrades (two thirds of a window).
    expect(callsOf(50, 100, MID)).toBeGreaterThan(20);
  });

  it("plans a warm-started auto's first window on the learnt usage when its prompts are a mix like the warm start's", async () => {
    // Like any later window: held, it would send nearly every query to the cheapest model (0065).
    const r = await runBatchComparison(syntheticRows(150), {
      ...base({ budget: 1e-3, warmStart: syntheticRows(300, 8) }),
      batchSize: 50,
      timeLimitMs: 300,
    });
    const callsOf = (from: number, to: number, arm: ArmId) =>
      r.picks.slice(from, to).filter((j) => r.arms[j] === arm).length;
    expect(callsOf(0, 50, MID)).toBeGreaterThan(10);
  });

  it('tries every model by default under a policy whose estimate of a model never pulled is a placeholder', async () => {
    // ucb1 and epsilon-greedy estimate a model they never pulled at a fixed mean that the cheap model's
    // learnt quality passes: planned on it, every window sent everything to the cheap model.
    const rows = syntheticRows(300);
    for (const name of ['ucb1', 'epsilon-greedy'] as const) {
      const run = (explore?: 0) =>
        runBatchComparison(rows, {
          ...base({ budget: 1e-3, policy: ({ arms, seed }) => createPolicy(name, { arms, seed }) }),
          batchSize: 50,
          timeLimitMs: 300,
          explore,
        });
      const off = await run(0);
      expect(off.armShares[CHEAP]).toBe(1);
      const byDefault = await run();
      expect(byDefault.armShares[CHEAP]).toBeLessThan(0.9);
      expect(byDefault.batch.budgetRatio!).toBeGreaterThan(0.5);
      expect(byDefault.batch.budgetRatio!).toBeLessThan(1.1);
      expect(byDefault.batch.meanQuality).toBeGreaterThan(off.batch.meanQuality + 0.05);
    }
  });

  it("learns a model's cost level once: after one dear source, a cheap one gets its upgrades", async () => {
    // "mid" costs ten times its list price on the 200 essays that come first and what its list
    // says on the 400 short answers after them, where it adds 45 points. The batch run learns
    // mid's cost level from its bills; had its cost model learnt the essays' bills too, the level
    // (realised over an expectation already raised by them) would price mid at a hundred times
    // its list on the short answers and buy 306 of them, leaving a quarter of the budget unspent.
    const rng = new Rng(5);
    const rows: ReplayRow[] = [];
    const cost = { cheap: 2e-5, essay: 2e-3, short: 2e-4 };
    for (let i = 0; i < 600; i++) {
      const essay = i < 200;
      const body = Array.from({ length: 3 + rng.int(10) }, () => `w${rng.int(300)}`).join(' ');
      const noise = () => 0.06 * (rng.next() - 0.5);
      rows.push({
        prompt: essay ? `Write an essay on ${body} at length` : `Answer ${body} in one word`,
        source: essay ? 'essays' : 'short',
        arms: {
          cheap: { reward: (essay ? 0.85 : 0.45) + noise(), cost: cost.cheap },
          mid: { reward: 0.9 + noise(), cost: essay ? cost.essay : cost.short },
        },
      });
    }
    const listed = [
      { model: 'cheap', inputPerM: 0.04, outputPerM: 0.04 },
      { model: 'mid', inputPerM: 0.4, outputPerM: 0.4 },
    ];
    const budget = 1.5e-4;
    const run = (kindCosts: boolean) =>
      runBatchComparison(rows, {
        ...base({ budget, prices: listed, order: 'file' }),
        batchSize: 50,
        timeLimitMs: 60_000,
        kindCosts,
      });
    for (const kindCosts of [false, true]) {
      const r = await run(kindCosts);
      const mid = r.arms.indexOf('mid');
      // What the budget left after the essays can buy on the short answers: each upgrade costs
      // mid's price there over cheap's. Without the kinds' costs the essays got 5 upgrades and
      // the short answers 369; with them (0050) the essays, priced right from their first
      // window, take their share (18 upgrades) and the short answers 224 of the 235 left. Since
      // the policy learns against the router's expected cost, which learns the essays' bills too
      // (docs/decisions/0053), the short answers without the kinds' costs get 326 of 367 at a
      // budget ratio of 0.92: still far from the double count's 306 at 0.77. Since the essays
      // are one kind by their opening (docs/decisions/0055), their probe prices them at once and
      // they get 1 upgrade (worth 25 points a dollar), the short answers 350 of 400 at 0.855
      // (without the kinds' costs 341 of 367 at 0.947).
      const essayUpgrades = r.picks.slice(0, 200).filter((p) => p === mid).length;
      const left = budget * 600 - essayUpgrades * cost.essay - (200 - essayUpgrades + 400) * cost.cheap;
      const affordable = Math.min(400, left / (cost.short - cost.cheap));
      expect(r.picks.slice(200).filter((p) => p === mid).length).toBeGreaterThanOrEqual(0.85 * affordable);
      expect(r.batch.budgetRatio!).toBeGreaterThan(0.85);
      expect(r.batch.budgetRatio!).toBeLessThanOrEqual(1.0 + 1e-9);
    }
  });

  it("learns from the expected cost a router logs: its cost model learns every call, the planner's does not", async () => {
    // Every call costs ten times what the list prices and the default usage say. The router that
    // makes a call learns its usage and logs its expected cost with the decision, which the
    // policy learns against; the planner's cost model keeps the list's (docs/decisions/0041, 0053).
    const rows = syntheticRows(200).map((r) => ({
      ...r,
      arms: Object.fromEntries(Object.entries(r.arms).map(([a, o]) => [a, { ...o, cost: o.cost * 10 }])),
    }));
    let spy: SpyPolicy;
    await runBatchComparison(rows, {
      ...base({
        budget: 1e-3,
        policy: ({ arms, seed }) => (spy = new SpyPolicy(createPolicy('auto', { arms, seed }), arms)),
      }),
      batchSize: 50,
      explore: 0,
      kindCosts: false,
      timeLimitMs: 300,
    });
    // The per-query run's policy first, then the batch run's, which learns each window's calls in
    // the order they were made.
    const updates = spy!.updates;
    expect(updates).toHaveLength(200);
    let compared = 0;
    updates.forEach((u, p) => {
      const before = updates.slice(0, p).filter((x) => x.arm === u.arm);
      if (before.length === 0) return;
      const meanBill = before.reduce((sum, x) => sum + x.outcome.costUsd!, 0) / before.length;
      // Usage is learnt per call at the price in force: the expectation is the mean bill before it.
      expect(u.outcome.expectedCostUsd! / meanBill).toBeCloseTo(1, 9);
      compared++;
    });
    expect(compared).toBeGreaterThan(150);
  });

  it('plans thompson on posterior draws: one bad first pull of the better model does not stall it', async () => {
    // mid is worth 0.9 where cheap is worth 0.5, but the first query mid gets (the sub-round's
    // second) scores 0: planned on its Beta mean after that pull (1/3), mid never got another.
    const rows: ReplayRow[] = Array.from({ length: 400 }, (_, i) => ({
      prompt: `question ${i}`,
      source: 'one',
      arms: {
        cheap: { reward: 0.5, cost: 2e-5 },
        mid: { reward: i === 1 ? 0 : 0.9, cost: 5e-4 },
        premium: { reward: 0, cost: 1e-2 },
      },
    }));
    const run = (name: string) =>
      runBatchComparison(rows, {
        ...base({ budget: 3e-4, order: 'file', policy: ({ arms, seed }) => createPolicy(name, { arms, seed }) }),
        batchSize: 50,
        timeLimitMs: 300,
      });
    const thompson = await run('thompson');
    expect(thompson.armShares[MID]).toBeGreaterThan(0.3);
    expect(thompson.batch.budgetRatio!).toBeGreaterThan(0.6);
    // The same estimates planned on their means (ucb1's mean after one pull is 0 too, and
    // ucb1 plans on means): mid stays where its one pull put it.
    const ucb1 = await run('ucb1');
    expect(ucb1.armShares[MID]).toBeLessThan(0.02);
  });

  it('prices the dollar against the warm-start mix on a by-source order and holds the budget', async () => {
    const rows = syntheticRows(400, 7);
    const warm = syntheticRows(300, 8);
    const budget = 1e-3;
    for (const robust of [false, true]) {
      const r = await runBatchComparison(rows, {
        ...base({ budget, warmStart: warm, order: 'by-source' }),
        batchSize: 50,
        robust,
        timeLimitMs: 300,
      });
      expect(r.batch.budgetRatio!).toBeLessThanOrEqual(1.0 + 1e-9);
      expect(r.batch.budgetRatio!).toBeGreaterThan(0.8);
    }
  });

  it("corrects the policy's estimates by recent residuals by default with a warm start, and only then", async () => {
    const rows = syntheticRows(300, 7);
    const warm = syntheticRows(200, 8);
    const run = (warmStart: ReplayRow[] | undefined, recentCorrection?: RecentCorrectionSetting) =>
      runBatchComparison(rows, {
        ...base({ budget: 1e-3, warmStart, order: 'by-difficulty' }),
        batchSize: 50,
        // A limit the solver never reaches on windows this small, so the picks do not depend on
        // the machine's speed.
        timeLimitMs: 60_000,
        // The correction alone: no probe of new kinds of prompt (which, cold, prices and tries
        // them before the plan, and here leaves the correction no pick to change).
        explore: 0,
        recentCorrection,
      }).then((r) => r.picks.join(','));
    const warmOn = await run(warm, 'on');
    expect(await run(warm)).toBe(warmOn);
    expect(await run(warm, 'off')).not.toBe(warmOn);
    expect(await run(undefined)).toBe(await run(undefined, 'off'));
    expect(await run(undefined, 'on')).not.toBe(await run(undefined));
  });

  it('moves budget across windows: on a by-source order batch routing clearly beats per-query routing', async () => {
    // Two kinds of query, grouped so that every window holds one kind: on "easy" the premium
    // arm adds 2 points, on "hard" 45, at the same price. The money belongs on the hard
    // queries; per-query routing only finds out after it has spent on the easy ones, while the
    // batch planner keeps the bank for windows that gain more per dollar.
    const rng = new Rng(11);
    const rows: ReplayRow[] = [];
    for (let i = 0; i < 800; i++) {
      const hard = i % 2 === 1;
      const words = 3 + rng.int(10);
      const body = Array.from({ length: words }, () => `w${rng.int(300)}`).join(' ');
      const noise = () => 0.06 * (rng.next() - 0.5);
      const q = hard ? { cheap: 0.45, mid: 0.9 } : { cheap: 0.9, mid: 0.91 };
      rows.push({
        prompt: hard ? `Prove the theorem ${body} carefully` : `Say hello to ${body} politely`,
        source: hard ? 'zz-hard' : 'aa-easy',
        arms: { cheap: { reward: q.cheap + noise(), cost: 2e-5 }, mid: { reward: q.mid + noise(), cost: 1e-3 } },
      });
    }
    const two = [
      { model: 'cheap', inputPerM: 0.02, outputPerM: 0.02 },
      { model: 'mid', inputPerM: 1, outputPerM: 1 },
    ];
    const budget = 3e-4;
    const gains: number[] = [];
    // Seeds whose by-source order puts the easy kind first: the order that punishes spending early.
    const seeds = [1, 2, 3, 4, 5, 6]
      .filter((seed) => orderRows(rows, 'by-source', seed)[0].source === 'aa-easy')
      .slice(0, 2);
    expect(seeds).toHaveLength(2);
    for (const seed of seeds) {
      const r = await runBatchComparison(rows, {
        ...base({ budget, prices: two, seed, order: 'by-source' }),
        batchSize: 50,
        timeLimitMs: 300,
      });
      expect(r.batch.budgetRatio!).toBeGreaterThan(0.98);
      expect(r.batch.budgetRatio!).toBeLessThan(1.01);
      gains.push(r.gainPct);
    }
    // With the budget spread evenly over windows (the previous planner) the gain was 1-2%.
    expect(Math.min(...gains)).toBeGreaterThan(4);
  });

  it('holds the budget when an arm nobody has called uses forty times the tokens the cost model assumes', async () => {
    // The list prices say "premium" costs what "mid" does; each call really costs 40x. The
    // planner assumes the others' usage for it until it has been called, and a plan of hundreds
    // of queries would otherwise spend the period on it in one window (this overshot by 17% on
    // val.jsonl at $0.00015 in windows of 300) and leave the later queries to push the bill
    // past the budget on their cheapest arms.
    const rows = syntheticRows(600).map((r) => ({
      ...r,
      arms: { ...r.arms, premium: { ...r.arms.premium, cost: r.arms.mid.cost * 40 } },
    }));
    const liar = [
      { model: CHEAP, inputPerM: BASE_COST.cheap * 1e3, outputPerM: BASE_COST.cheap * 1e3 },
      { model: MID, inputPerM: BASE_COST.mid * 1e3, outputPerM: BASE_COST.mid * 1e3 },
      { model: PREMIUM, inputPerM: BASE_COST.mid * 1e3, outputPerM: BASE_COST.mid * 1e3 },
    ];
    for (const seed of [1, 2]) {
      for (const explore of ['auto', 0] as const) {
        const r = await runBatchComparison(rows, {
          ...base({ budget: 3e-4, prices: liar, seed, order: 'by-source' }),
          batchSize: 200,
          timeLimitMs: 300,
          explore,
        });
        // Issue 10's bound on batch spend; the overshoot this guards against was 17%.
        expect(r.batch.budgetRatio!).toBeLessThanOrEqual(1.01);
        // Without a sub-round, three windows learn from one call per new arm each and spend
        // about three quarters of the budget (0.77 on seed 1): the sub-round is what a period of a
        // few large windows needs.
        if (explore === 'auto') expect(r.batch.budgetRatio!).toBeGreaterThan(0.8);
      }
    }
  });
});
