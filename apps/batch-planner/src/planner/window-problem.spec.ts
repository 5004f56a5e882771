import {
  FREE_FORM,
  kindCounts,
  halfWidthMultiplier,
  PeriodBudget,
  promptDigest,
  RecentResiduals,
} from '@llm-router/batch';
import { PriceEvent, QueryRequest, Topic, validate } from '@llm-router/contracts';
import { ScopeEngine } from '@llm-router/engine';
import { Rng } from '@llm-router/numerics';
import { QueryFeaturizer } from '@llm-router/features';
import type { KindBillRow } from './spend-store';
import { LAST_WINDOW_SPLIT } from './window-dispatch';
import {
  AssignWindowOptions,
  type ContextualQueries,
  NO_QUERIES,
  planWindowDispatch,
  WindowEngine,
  buildWindowEstimates,
  periodBudget,
  periodKey,
  queryText,
  windowContexts,
  reconciledSpend,
  billingError,
  offersUnknownModel,
  windowProbe,
  windowProbeTopUp,
} from './window-problem';

const at = '2026-11-25T12:00:00.000Z';
const price = (model: string, perM: number, extra: Partial<PriceEvent> = {}): PriceEvent => ({
  model,
  inputPerM: perM,
  outputPerM: perM,
  effectiveFrom: at,
  source: 'test',
  selfHosted: false,
  discountTiers: [],
  ...extra,
});
const query = (id: string, content = `prompt ${id}`, constraints: Record<string, unknown> = {}): QueryRequest => {
  const r = validate(Topic.Queries, {
    id,
    messages: [{ role: 'user', content }],
    constraints: { mode: 'batch', ...constraints },
  });
  if (!r.ok) throw r.error;
  return r.value;
};
const featurizer = new QueryFeaturizer({ dim: 32 });

/** A real scope engine with priced models; prices are also what `priceOf` returns. */
function engineWith(prices: PriceEvent[], algorithm = 'ucb1') {
  const e = new ScopeEngine('s', { algorithm, featureDim: 32, seed: 1, defaultLambda: 0 }, featurizer);
  for (const p of prices) e.applyPrice(p);
  const byModel = new Map(prices.map((p) => [p.model, p]));
  return { engine: e, priceOf: (m: string) => byModel.get(m) };
}

/** Feedback through the engine's own learning path, as the aggregator applies it. */
function teach(e: ScopeEngine, arm: string, quality: number, times: number, content = 'anything') {
  for (let i = 0; i < times; i++) {
    const d = e.decide(query(`t-${arm}-${content}-${i}`, content, { model: arm })).event;
    e.learn(d, quality);
  }
}

const z90 = halfWidthMultiplier(0.9, 0.95);

describe('buildWindowEstimates', () => {
  it('lays out one row per query and one column per model, with the policy estimate and the expected cost', () => {
    const { engine, priceOf } = engineWith([price('cheap', 0.1), price('big', 5)]);
    teach(engine, 'big', 0.9, 30);
    teach(engine, 'cheap', 0.4, 30);
    const qs = [query('a'), query('b'), query('c')];
    const wp = buildWindowEstimates(qs, engine, { priceOf, level: 0.9 });
    expect(wp.models).toEqual(['big', 'cheap']);
    expect(wp.estimates).toMatchObject({ n: 3, k: 2 });
    expect(Array.from(wp.estimates.available)).toEqual([1, 1, 1, 1, 1, 1]);
    for (let i = 0; i < 3; i++) {
      const text = queryText(qs[i]);
      for (let j = 0; j < 2; j++) {
        const est = engine.policy.estimate({ features: engine.features(text), text }, wp.models[j]);
        expect(wp.estimates.quality[i * 2 + j]).toBeCloseTo(est.mean, 12);
        expect(wp.estimates.halfWidth![i * 2 + j]).toBeCloseTo(Math.min(est.halfWidth, est.mean / z90), 12);
        expect(wp.estimates.cost[i * 2 + j]).toBe(engine.costs.expectedCost(wp.models[j]));
      }
    }
    expect(wp.estimates.quality[0]).toBeGreaterThan(wp.estimates.quality[1]);
    expect(wp.estimates.cost[0]).toBeGreaterThan(wp.estimates.cost[1]);
  });

  it("uses each query's features: a contextual policy gives different rows to different prompts", () => {
    const { engine, priceOf } = engineWith([price('coder', 1), price('poet', 1)], 'linucb');
    for (let r = 0; r < 20; r++) {
      teach(engine, 'coder', 0.95, 1, `python function sort list ${r}`);
      teach(engine, 'coder', 0.1, 1, `write a sonnet about the moon ${r}`);
      teach(engine, 'poet', 0.1, 1, `python function sort list ${r}`);
      teach(engine, 'poet', 0.95, 1, `write a sonnet about the moon ${r}`);
    }
    const wp = buildWindowEstimates(
      [query('code', 'python function sort list now'), query('poem', 'write a sonnet about the moon now')],
      engine,
      { priceOf, level: 0.9 },
    );
    const [codeCoder, codePoet, poemCoder, poemPoet] = wp.estimates.quality;
    expect(codeCoder).toBeGreaterThan(codePoet);
    expect(poemPoet).toBeGreaterThan(poemCoder);
  });

  it('keeps lower bounds at or above 0: unseen models get a finite bound of 0, clamped means stay in [0, 1]', () => {
    const { engine, priceOf } = engineWith([price('known', 1), price('fresh', 1)]);
    teach(engine, 'known', 0.7, 40);
    const wp = buildWindowEstimates([query('a')], engine, { priceOf, level: 0.9 });
    const j = wp.models.indexOf('fresh');
    expect(engine.policy.estimate({}, 'fresh').halfWidth).toBe(Infinity);
    expect(Number.isFinite(wp.estimates.halfWidth![j])).toBe(true);
    expect(wp.estimates.quality[j] - z90 * wp.estimates.halfWidth![j]).toBeCloseTo(0, 12);
    const k = wp.models.indexOf('known');
    expect(wp.estimates.quality[k] - z90 * wp.estimates.halfWidth![k]).toBeGreaterThan(0.5);
  });

  it('tells a scope with a model the policy knows nothing of from one whose every model it knows', () => {
    const { engine } = engineWith([price('known', 1), price('fresh', 1)]);
    teach(engine, 'known', 0.7, 3);
    expect(offersUnknownModel(engine, query('a'))).toBe(true);
    teach(engine, 'fresh', 0.2, 1);
    expect(offersUnknownModel(engine, query('a'))).toBe(false);
    // auto's prior bounds every model: it never has one it knows nothing of.
    expect(offersUnknownModel(engineWith([price('known', 1), price('fresh', 1)], 'auto').engine, query('a'))).toBe(
      false,
    );
  });

  it('gives self-hosted models their concurrency as capacity, and every model its discount tiers', () => {
    const tiers = [{ fromCalls: 10, factor: 0.8 }];
    const { engine, priceOf } = engineWith([
      price('api', 1, { discountTiers: tiers }),
      price('gpu', 0.2, { selfHosted: true, concurrency: 4 }),
      price('gpu-nolimit', 0.2, { selfHosted: true }),
    ]);
    const wp = buildWindowEstimates([query('a')], engine, { priceOf, level: 0.9 });
    expect(wp.models).toEqual(['api', 'gpu', 'gpu-nolimit']);
    expect(wp.capacity).toEqual([Infinity, 4, Infinity]);
    expect(wp.tiers).toEqual([tiers, null, null]);
    // Self-hosted: the GPUs are paid for, the marginal cost of a query is 0.
    expect(Array.from(wp.estimates.cost)).toEqual([engine.costs.expectedCost('api'), 0, 0]);
  });

  it("honours a query's own maxCostUsd and minQuality by marking excluded models unavailable", () => {
    const { engine, priceOf } = engineWith([price('cheap', 0.1), price('big', 5)]);
    teach(engine, 'big', 0.9, 30);
    teach(engine, 'cheap', 0.4, 30);
    const maxCost = (engine.costs.expectedCost('cheap') + engine.costs.expectedCost('big')) / 2;
    const qs = [
      query('capped', 'x', { maxCostUsd: maxCost }),
      query('picky', 'y', { minQuality: 0.8 }),
      query('free', 'z'),
    ];
    const wp = buildWindowEstimates(qs, engine, { priceOf, level: 0.9 });
    const ok = (i: number, m: string) => wp.estimates.available[i * 2 + wp.models.indexOf(m)] === 1;
    expect(ok(0, 'big')).toBe(false);
    expect(ok(0, 'cheap')).toBe(true);
    expect(ok(1, 'cheap')).toBe(false);
    expect(ok(1, 'big')).toBe(true);
    expect(ok(2, 'big')).toBe(true);
    expect(ok(2, 'cheap')).toBe(true);
  });

  it('refuses a window when no model is priced', () => {
    const { engine, priceOf } = engineWith([]);
    expect(() => buildWindowEstimates([query('a')], engine, { priceOf, level: 0.9 })).toThrow(/no model/);
  });
});

/** The period's last window: it may spend all that is left of `totalUsd`, at no price of the dollar. */
const lastWindowOf = (queries: number, totalUsd: number, spentUsd = 0): PeriodBudget => ({
  perQueryUsd: totalUsd / queries,
  expectedQueries: queries,
  routedQueries: 0,
  spentUsd,
});
const opts = (
  priceOf: AssignWindowOptions['priceOf'],
  extra: Partial<AssignWindowOptions> = {},
): AssignWindowOptions => ({ priceOf, level: 0.9, budget: null, routed: NO_QUERIES, robust: true, ...extra });

/** A window planned and dispatched, every part at once (no bill comes back in between). */
async function assignWindow(qs: QueryRequest[], engine: WindowEngine, o: AssignWindowOptions) {
  const d = await planWindowDispatch(qs, engine, o);
  const parts = [];
  while (!d.done) parts.push(d.dispatchNext());
  return {
    plan: d.plan,
    parts: parts.length,
    assignments: parts.flatMap((p) => p.assignments),
    deferred: parts.flatMap((p) => p.deferred),
    expectedCostUsd: parts.reduce((x, p) => x + p.expectedCostUsd, 0),
  };
}

describe('planWindowDispatch (libs/core/batch planWindow)', () => {
  it('plans a policy that samples its posterior on draws of it, and any other on its means', async () => {
    // cheap is known at 0.5; big has had one call, scored 0.1: its mean is below cheap's.
    const planned = async (algorithm: string, draws?: Rng) => {
      const { engine, priceOf } = engineWith([price('cheap', 0.1), price('big', 0.1)], algorithm);
      teach(engine, 'cheap', 0.5, 40);
      teach(engine, 'big', 0.1, 1);
      const qs = Array.from({ length: 40 }, (_, i) => query(`q${i}`));
      const { assignments } = await assignWindow(qs, engine, opts(priceOf, { robust: false, draws }));
      return assignments.filter((a) => a.model === 'big').length;
    };
    expect(await planned('thompson')).toBe(0);
    const drawn = await planned('thompson', new Rng(5));
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThan(40);
    expect(await planned('ucb1', new Rng(5))).toBe(0);
  });

  it("spends the period's last window on the queries where the better model gains most, and stays within it", async () => {
    const { engine, priceOf } = engineWith([price('cheap', 0.1), price('big', 5)]);
    teach(engine, 'big', 0.9, 50);
    teach(engine, 'cheap', 0.4, 50);
    const qs = Array.from({ length: 10 }, (_, i) => query(`q${i}`));
    const big = engine.costs.expectedCost('big');
    const cheap = engine.costs.expectedCost('cheap');
    const budget = 3 * big + 7 * cheap;
    for (const solver of ['heuristic', 'ilp'] as const) {
      const w = await assignWindow(qs, engine, opts(priceOf, { budget: lastWindowOf(10, budget), solver }));
      expect(w.plan.dualPrice).toBe(0);
      expect(w.plan.windowBudgetUsd).toBeCloseTo(budget, 15);
      expect(w.deferred).toHaveLength(0);
      expect(w.assignments.map((a) => a.query.id)).toEqual(qs.map((q) => q.id));
      expect(w.assignments.filter((a) => a.model === 'big')).toHaveLength(3);
      expect(w.expectedCostUsd).toBeLessThanOrEqual(budget * (1 + 1e-9));
    }
  });

  it("corrects each query by its own kind of prompt's recent residuals, and hands each call its kind", async () => {
    const { engine, priceOf } = engineWith([price('cheap', 0.1), price('big', 5)]);
    teach(engine, 'big', 0.9, 50);
    teach(engine, 'cheap', 0.4, 50);
    const mcq = (q: string) => `${q}\nAnswer with the correct letter and explain why.`;
    const residuals = new RecentResiduals(1, 0);
    residuals.count([mcq('seen once'), mcq('seen twice')]);
    // big has lately done 0.6 worse than estimated on multiple-choice prompts, as estimated on free text.
    residuals.observe('big', 'letter and explain why', 0.9, 0.3);
    residuals.observe('big', FREE_FORM, 0.9, 0.9);
    const qs = [query('m1', mcq('Is it?')), query('f1', 'How far is the moon?'), query('m2', mcq('Or not?'))];
    const w = await assignWindow(qs, engine, opts(priceOf, { residuals, robust: false }));
    expect(w.assignments.map((a) => [a.query.id, a.model, a.kind])).toEqual([
      ['m1', 'cheap', 'letter and explain why'],
      ['f1', 'big', FREE_FORM],
      ['m2', 'cheap', 'letter and explain why'],
    ]);
    // Each call keeps the policy's own estimate, against which its residual will be measured.
    const big = w.assignments.find((a) => a.model === 'big')!;
    expect(big.estimate).toBeCloseTo(
      engine.policy.estimate({ text: queryText(qs[1]), features: engine.features(queryText(qs[1])) }, 'big').mean,
      12,
    );
  });

  /**
   * A period's first window of ten queries, a big model the policy has never pulled (its estimate,
   * 0.5, still beats cheap's 0.4), and money for every query on big with as many again to come.
   */
  const neverPulledBig = () => {
    const { engine, priceOf } = engineWith([price('cheap', 0.1), price('big', 5)]);
    teach(engine, 'cheap', 0.4, 50);
    const qs = Array.from({ length: 10 }, (_, i) => query(`q${i}`));
    const big = engine.costs.expectedCost('big');
    const budget: PeriodBudget = { perQueryUsd: 2 * big, expectedQueries: 20, routedQueries: 0, spentUsd: 0 };
    return { engine, priceOf, qs, big, budget };
  };

  it("gives a model that neither a bill nor the policy has priced one call of a window however much money there is, none of the period's last", async () => {
    const { engine, priceOf, qs, big, budget } = neverPulledBig();
    const count = async (billed?: (m: string) => boolean, b = budget) =>
      (await assignWindow(qs, engine, opts(priceOf, { budget: b, robust: false, billed }))).assignments.filter(
        (a) => a.model === 'big',
      ).length;
    expect(await count()).toBe(10);
    expect(await count(() => false)).toBe(1);
    expect(await count((m) => m === 'big')).toBe(10);
    expect(await count(() => false, lastWindowOf(10, 10 * big))).toBe(0);
    // Pulled by the policy: its usage is learnt, and its cost with it.
    teach(engine, 'big', 0.9, 5);
    expect(await count(() => false)).toBe(10);
    expect(await count(() => false, lastWindowOf(10, 10 * big))).toBe(10);
  });

  it("plans a period's first window like its forecast on the usage the warm start taught, and holds the rest as before", async () => {
    const { engine, priceOf, qs, big, budget: first } = neverPulledBig();
    const kindCosts = { bills: [], warmStart: new Map<string, number>(), recent: {} };
    const like = windowContexts(
      engine,
      Array.from({ length: 20 }, (_, i) => query(`f${i}`)),
    );
    const unlike = windowContexts(
      engine,
      Array.from({ length: 20 }, (_, i) =>
        query(`u${i}`, `Is ${i} odd?\nAnswer with the correct letter and explain why.`),
      ),
    );
    const count = async (forecast: ContextualQueries, budget = first) =>
      (
        await assignWindow(
          qs,
          engine,
          opts(priceOf, { budget, robust: false, billed: () => false, kindCosts, forecast }),
        )
      ).assignments.filter((a) => a.model === 'big').length;
    // Neither billed nor pulled, and its usage unlearnt: one call, however like the forecast the window is.
    expect(engine.costs.learnt('big')).toBe(false);
    expect(await count(like)).toBe(1);
    // The warm start's calls taught big's usage: a first window like the warm start's prompts is planned on it.
    engine.costs.observe('big', big);
    expect(await count(like)).toBe(10);
    // Unlike them, or not the period's first window: held (docs/decisions/0057).
    expect(await count(unlike)).toBe(1);
    expect(await count(like, { ...first, routedQueries: 5, expectedQueries: 25 })).toBe(1);
  });

  it('samples the models the policy has never pulled round-robin in an exploration sub-round', async () => {
    const { engine, priceOf } = engineWith([price('cheap', 0.1), price('mid', 1), price('big', 5)]);
    teach(engine, 'cheap', 0.9, 50);
    const qs = Array.from({ length: 4 }, (_, i) => query(`q${i}`));
    const models = async (explore: boolean) =>
      (await assignWindow(qs, engine, opts(priceOf, { explore }))).assignments.map((a) => a.model);
    expect(await models(false)).toEqual(['cheap', 'cheap', 'cheap', 'cheap']);
    expect(await models(true)).toEqual(['big', 'mid', 'big', 'mid']);
  });

  it("plans an exploration sub-round on optimistic estimates: a model's uncertain value gets it the calls", async () => {
    const { engine, priceOf } = engineWith([price('cheap', 0.1), price('big', 0.1)]);
    teach(engine, 'cheap', 0.8, 200);
    teach(engine, 'big', 0.7, 3);
    const qs = Array.from({ length: 3 }, (_, i) => query(`q${i}`));
    const models = async (explore: boolean) =>
      (await assignWindow(qs, engine, opts(priceOf, { explore, robust: false }))).assignments.map((a) => a.model);
    expect(await models(false)).toEqual(['cheap', 'cheap', 'cheap']);
    expect(await models(true)).toEqual(['big', 'big', 'big']);
  });

  it('prices the dollar against the forecast mix (the warm-start prompts), not only the kinds of query seen so far', async () => {
    const { engine, priceOf } = engineWith([price('cheap', 0.1), price('big', 5)], 'linucb');
    // Code questions gain much from the big model, chat nothing.
    teach(engine, 'big', 0.95, 40, 'write python code for a parser');
    teach(engine, 'cheap', 0.2, 40, 'write python code for a parser');
    teach(engine, 'big', 0.9, 40, 'hello how are you today');
    teach(engine, 'cheap', 0.9, 40, 'hello how are you today');
    const chat = Array.from({ length: 10 }, (_, i) => query(`c${i}`, 'hello how are you today'));
    const code = Array.from({ length: 50 }, (_, i) => query(`f${i}`, 'write python code for a parser'));
    const cheap = engine.costs.expectedCost('cheap');
    const big = engine.costs.expectedCost('big');
    // 100 queries expected, money to upgrade a fifth of them.
    const total = 100 * cheap + 20 * (big - cheap);
    const budget: PeriodBudget = { perQueryUsd: total / 100, expectedQueries: 100, routedQueries: 0, spentUsd: 0 };
    const plain = await assignWindow(chat, engine, opts(priceOf, { budget, robust: false }));
    const foreseen = await assignWindow(
      chat,
      engine,
      opts(priceOf, { budget, robust: false, forecast: windowContexts(engine, code) }),
    );
    // Seen alone, chat clears at the floor; against a period of code questions a dollar is worth far more.
    expect(foreseen.plan.dualPrice).toBeGreaterThan(2 * plain.plan.dualPrice);
  });

  it('prices the dollar when more of the period is to come, and keeps a reserve for it', async () => {
    const { engine, priceOf } = engineWith([price('cheap', 0.1), price('big', 5)]);
    teach(engine, 'big', 0.9, 50);
    teach(engine, 'cheap', 0.4, 50);
    const qs = Array.from({ length: 10 }, (_, i) => query(`q${i}`));
    const big = engine.costs.expectedCost('big');
    const cheap = engine.costs.expectedCost('cheap');
    // 100 queries expected, 3 upgrades' worth of money for the period: this window may not take them all.
    const total = 100 * cheap + 3 * (big - cheap);
    const budget: PeriodBudget = { perQueryUsd: total / 100, expectedQueries: 100, routedQueries: 0, spentUsd: 0 };
    const w = await assignWindow(qs, engine, opts(priceOf, { budget, robust: false }));
    expect(w.plan.reserveUsd).toBeCloseTo(90 * cheap, 12);
    expect(w.plan.windowBudgetUsd).toBeCloseTo(total - 90 * cheap, 12);
    expect(w.plan.dualPrice).toBeGreaterThan(0);
    // Every query of the mix gains alike, so the price spreads the upgrades over the period.
    expect(w.assignments.filter((a) => a.model === 'big').length).toBeLessThan(3);
    expect(w.expectedCostUsd).toBeLessThanOrEqual(w.plan.windowBudgetUsd! * (1 + 1e-9));
  });

  it('never assigns a model a query excludes, even when the budget leaves nothing else', async () => {
    const { engine, priceOf } = engineWith([price('cheap', 0.1), price('big', 5)]);
    teach(engine, 'big', 0.9, 30);
    teach(engine, 'cheap', 0.4, 30);
    // `picky` excludes the cheap model; a budget of nothing makes every other query take it.
    const qs = [query('picky', 'y', { minQuality: 0.8 }), query('free', 'z')];
    const w = await assignWindow(qs, engine, opts(priceOf, { budget: lastWindowOf(2, 1e-12) }));
    expect(w.assignments.map((a) => a.model)).toEqual(['big', 'cheap']);
    expect(w.plan.feasible).toBe(false);
    expect(w.plan.solution.bound).toBeNull();
    expect(w.plan.warnings.join('\n')).toMatch(/infeasible/);
  });

  it('robust mode keeps an unproven model off the queries it does not need to take', async () => {
    const { engine, priceOf } = engineWith([price('proven', 1), price('newcomer', 1)]);
    teach(engine, 'proven', 0.7, 60);
    // One lucky observation: a higher mean than `proven`, but a wide interval.
    teach(engine, 'newcomer', 0.9, 1);
    const qs = [query('a'), query('b')];
    const robust = await assignWindow(qs, engine, opts(priceOf, { solver: 'ilp' }));
    const mean = await assignWindow(qs, engine, opts(priceOf, { solver: 'ilp', robust: false }));
    expect(robust.assignments.map((a) => a.model)).toEqual(['proven', 'proven']);
    expect(mean.assignments.map((a) => a.model)).toEqual(['newcomer', 'newcomer']);
  });

  it('defers what the GPUs cannot hold to the next window, in order', async () => {
    const { engine, priceOf } = engineWith([price('gpu', 0.1, { selfHosted: true, concurrency: 2 })]);
    const qs = [query('a'), query('b'), query('c'), query('d'), query('e')];
    const w = await assignWindow(qs, engine, opts(priceOf, { solver: 'heuristic' }));
    expect(w.assignments).toHaveLength(2);
    expect(w.assignments.every((a) => a.model === 'gpu')).toBe(true);
    expect(w.deferred).toHaveLength(3);
    expect([...w.assignments.map((a) => a.query.id), ...w.deferred.map((q) => q.id)].sort()).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
    const order = w.deferred.map((q) => qs.indexOf(q));
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(w.plan.warnings.join()).toMatch(/deferred/);
  });

  it('gives each assignment its share of the expected bill, volume discounts spread pro rata', async () => {
    const tiers = [{ fromCalls: 3, factor: 0.5 }];
    const { engine, priceOf } = engineWith([price('api', 1, { discountTiers: tiers })]);
    const qs = Array.from({ length: 4 }, (_, i) => query(`q${i}`));
    const w = await assignWindow(qs, engine, opts(priceOf, { solver: 'ilp' }));
    const list = engine.costs.expectedCost('api');
    // All-units tiers: four calls reach the tier, so every call is billed at half the list price.
    expect(w.expectedCostUsd).toBeCloseTo(2 * list, 15);
    for (const a of w.assignments) expect(a.expectedUsd).toBeCloseTo(0.5 * list, 15);
    expect(w.assignments.reduce((x, a) => x + a.expectedUsd, 0)).toBeCloseTo(w.expectedCostUsd, 15);
    // The cost before the bills' level and the discounts: what the next level is measured against.
    for (const a of w.assignments) expect(a.baseUsd).toBeCloseTo(list, 15);
  });

  it("charges each call at its model's cost level, and files its cost before that level", async () => {
    const { engine, priceOf } = engineWith([price('api', 1)]);
    const w = await assignWindow([query('a'), query('b')], engine, opts(priceOf, { costLevel: () => 3 }));
    const list = engine.costs.expectedCost('api');
    for (const a of w.assignments) {
      expect(a.expectedUsd).toBeCloseTo(3 * list, 15);
      expect(a.baseUsd).toBeCloseTo(list, 15);
    }
  });
});

describe('costs per kind of prompt (BATCH_KIND_COSTS, libs/core/batch KindLedger)', () => {
  const mcq = (q: string) => `${q}\nAnswer with the correct letter and explain why.`;
  const closing = 'letter and explain why';
  /** A bill's kind: the questions' closing phrase, and an opening no other prompt here shares. */
  const kind = { closing, opening: 'billed' };
  /** cheap and big, both known; big's level on its recent bills is 1, cheap's 2. */
  const setup = () => {
    const { engine, priceOf } = engineWith([price('cheap', 0.1), price('big', 5)]);
    teach(engine, 'big', 0.9, 50);
    teach(engine, 'cheap', 0.4, 50);
    const base = { big: engine.costs.expectedCost('big'), cheap: engine.costs.expectedCost('cheap') };
    const recent = {
      big: { realisedUsd: 40 * base.big, baseUsd: 40 * base.big, calls: 40 },
      cheap: { realisedUsd: 2 * 40 * base.cheap, baseUsd: 40 * base.cheap, calls: 40 },
    };
    return { engine, priceOf, base, recent };
  };

  it("prices a kind on a model from the other models' bills on it, then from its own, and files each call's kind of prompt", async () => {
    const { engine, priceOf, base, recent } = setup();
    const qs = [query('m1', mcq('Is it?')), query('m2', mcq('Or not?')), query('f1', 'How far is the moon?')];
    // cheap's calls on the kind cost 6 times their guess, 3 times its level of 2.
    const cheapBills = { model: 'cheap', kind, realisedUsd: 6 * base.cheap, baseUsd: base.cheap, calls: 1 };
    const kindCosts = { bills: [cheapBills], warmStart: new Map(), recent };
    const w = await assignWindow(qs, engine, opts(priceOf, { robust: false, kindCosts }));
    expect(w.assignments.map((a) => [a.query.id, a.model, a.promptKind])).toEqual([
      ['m1', 'big', { closing, opening: 'is it', prompt: promptDigest(mcq('Is it?')) }],
      ['m2', 'big', { closing, opening: 'or not', prompt: promptDigest(mcq('Or not?')) }],
      ['f1', 'big', { closing: 'far is the moon', opening: 'how far', prompt: promptDigest('How far is the moon?') }],
    ]);
    // big's guess: its level (1) times the kind's usage on cheap against cheap's level, shrunk by
    // one call's worth of "as its average": exp(log 3 / 2).
    for (const a of w.assignments.slice(0, 2)) {
      expect(a.expectedUsd).toBeCloseTo(base.big * Math.sqrt(3), 12);
      expect(a.baseUsd).toBeCloseTo(base.big, 12);
    }
    // Free text is priced at the usage model's guess.
    expect(w.assignments[2].expectedUsd).toBeCloseTo(base.big, 12);
    // big's own bill on the kind (twice its guess), shrunk towards that guess by one call.
    const own = { model: 'big', kind, realisedUsd: 2 * base.big, baseUsd: base.big, calls: 1 };
    const w2 = await assignWindow(
      qs,
      engine,
      opts(priceOf, { robust: false, kindCosts: { ...kindCosts, bills: [cheapBills, own] } }),
    );
    expect(w2.assignments[0].expectedUsd).toBeCloseTo(base.big * ((2 + Math.sqrt(3)) / 2), 12);
    // Off: the usage model's guess.
    const off = await assignWindow(qs, engine, opts(priceOf, { robust: false }));
    expect(off.assignments[0].expectedUsd).toBeCloseTo(base.big, 12);
  });

  it("prices a prompt that has bills of its own on them, before its kind's (a routed query, a prompt sent again)", async () => {
    const { engine, priceOf, base, recent } = setup();
    const qs = [query('m1', mcq('Is it?')), query('m2', mcq('Or not?'))];
    const cheapBills = { model: 'cheap', kind, realisedUsd: 6 * base.cheap, baseUsd: base.cheap, calls: 1 };
    // big answered 'Is it?' before at 5 times its guess.
    const itsOwn = {
      model: 'big',
      prompt: promptDigest(mcq('Is it?')),
      realisedUsd: 5 * base.big,
      baseUsd: base.big,
      calls: 1,
    };
    const w = await assignWindow(
      qs,
      engine,
      opts(priceOf, {
        robust: false,
        kindCosts: { bills: [cheapBills], promptBills: [itsOwn], warmStart: new Map(), recent },
      }),
    );
    // Its own bill, shrunk by one call towards big's level (1): no other model has a bill on it.
    expect(w.assignments[0].expectedUsd).toBeCloseTo(base.big * 3, 12);
    // The other prompt of the kind is priced on the kind, as before.
    expect(w.assignments[1].expectedUsd).toBeCloseTo(base.big * Math.sqrt(3), 12);
  });

  it('sends a window in parts when it calls a dearer model on a kind of prompt that model has no bill on, however much money there is', async () => {
    const { engine, priceOf, base, recent } = setup();
    const qs = [query('m1', mcq('Is it?')), query('m2', mcq('Or not?')), query('m3', mcq('Why?'))];
    // Not the period's last window, and money for a hundred times the plan.
    const budget: PeriodBudget = { perQueryUsd: 100 * base.big, expectedQueries: 300, routedQueries: 0, spentUsd: 0 };
    const cheapBills = { model: 'cheap', kind, realisedUsd: base.cheap, baseUsd: base.cheap, calls: 1 };
    const withBills = (bills: (typeof cheapBills)[]) =>
      assignWindow(
        qs,
        engine,
        opts(priceOf, { robust: false, budget, maxParts: 3, kindCosts: { bills, warmStart: new Map(), recent } }),
      );
    const guessed = await withBills([cheapBills]);
    expect(guessed.assignments.map((a) => a.model)).toEqual(['big', 'big', 'big']);
    expect(guessed.parts).toBe(3);
    // Once big has a bill on the kind, its cost rests on it: the window goes at once.
    const billed = await withBills([
      cheapBills,
      { model: 'big', kind, realisedUsd: base.big, baseUsd: base.big, calls: 1 },
    ]);
    expect(billed.assignments.map((a) => a.model)).toEqual(['big', 'big', 'big']);
    expect(billed.parts).toBe(1);
  });

  it('prices prompts that begin alike and end apart as one kind, from the bills of that opening', async () => {
    const { engine, priceOf, base, recent } = setup();
    const sort = (words: string) => `Sort the following words alphabetically: List: ${words}`;
    const qs = [query('s1', sort('oblong bucolic whoosh')), query('s2', sort('lunge siren swart'))];
    // cheap was billed on another sorting prompt at 6 times its guess, 3 times its level of 2.
    const sorted = { closing: 'list nitric petition obfuscatory', opening: 'sort the' };
    const cheapBills = { model: 'cheap', kind: sorted, realisedUsd: 6 * base.cheap, baseUsd: base.cheap, calls: 1 };
    const w = await assignWindow(
      qs,
      engine,
      opts(priceOf, { robust: false, kindCosts: { bills: [cheapBills], warmStart: new Map(), recent } }),
    );
    for (const a of w.assignments) expect(a.expectedUsd).toBeCloseTo(base.big * Math.sqrt(3), 12);
  });

  it("keeps the usage model's price on a kind the warm-start file holds: it was fitted on it", async () => {
    const { engine, priceOf, base, recent } = setup();
    const cheapBills = { model: 'cheap', kind, realisedUsd: 6 * base.cheap, baseUsd: base.cheap, calls: 1 };
    const warmStart = kindCounts([mcq('warm one'), mcq('warm two')]);
    const w = await assignWindow(
      [query('m1', mcq('Is it?'))],
      engine,
      opts(priceOf, { robust: false, kindCosts: { bills: [cheapBills], warmStart, recent } }),
    );
    expect(w.assignments[0].expectedUsd).toBeCloseTo(base.big, 12);
  });

  it('probes a kind no earlier prompt has shown: three calls on each model worth them, one on a model never billed', () => {
    const { engine, priceOf, recent } = setup();
    const qs = Array.from({ length: 10 }, (_, i) => query(`m${i}`, mcq(`Question ${i}?`)));
    const big = engine.costs.expectedCost('big');
    const probe = (billed: (m: string) => boolean, perQueryUsd = big, warmStart: string[] = []) =>
      windowProbe(qs, engine, {
        priceOf,
        level: 0.9,
        kindCosts: { bills: [], warmStart: kindCounts(warmStart), recent },
        perQueryUsd,
        billed,
      });
    const models = engine.arms();
    const named = (p: { rows: number[]; arms: number[] }) => p.arms.map((j) => models[j]);
    const both = probe(() => true);
    expect(both.rows).toEqual([0, 1, 2, 3, 4, 5]);
    expect(named(both)).toEqual(['big', 'big', 'big', 'cheap', 'cheap', 'cheap']);
    expect(named(probe((m) => m === 'cheap'))).toEqual(['big', 'cheap', 'cheap', 'cheap']);
    // big's call is worth more than six per-query targets: only cheap is probed.
    expect(named(probe(() => true, big / 7))).toEqual(['cheap', 'cheap', 'cheap']);
    // A kind the warm-start file showed is not new.
    expect(probe(() => true, big, [mcq('warm')]).rows).toEqual([]);
    // Fewer than eight prompts of the kind: no probe.
    expect(
      windowProbe(qs.slice(0, 7), engine, {
        priceOf,
        level: 0.9,
        kindCosts: { bills: [], warmStart: new Map(), recent },
        perQueryUsd: big,
        billed: () => true,
      }).rows,
    ).toEqual([]);
  });

  it('tops up the models its probe called once, once their bills price them, and not one they price out', () => {
    const { engine, priceOf, base, recent } = setup();
    const qs = Array.from({ length: 10 }, (_, i) => query(`m${i}`, mcq(`Question ${i}?`)));
    const models = engine.arms();
    const input = (bills: KindBillRow[]) => ({
      priceOf,
      level: 0.9,
      kindCosts: { bills, warmStart: new Map<string, number>(), recent },
      perQueryUsd: base.big,
    });
    // Neither model billed this period: one call each.
    const first = windowProbe(qs, engine, { ...input([]), billed: () => false });
    expect(first.arms.map((j) => models[j])).toEqual(['big', 'cheap']);
    expect(first.single.map((c) => [c.kind, models[c.arm]])).toEqual([
      [closing, 'big'],
      [closing, 'cheap'],
    ]);
    const rest = qs.filter((_, i) => !first.rows.includes(i));
    const bill = (model: 'big' | 'cheap', times: number) => ({
      model,
      kind,
      realisedUsd: times * base[model],
      baseUsd: base[model],
      calls: 1,
    });
    const billedModels = (bills: KindBillRow[]) => (m: string) => bills.some((b) => b.model === m);
    const topUp = (bills: KindBillRow[]) => {
      const p = windowProbeTopUp(rest, engine, { ...input(bills), billed: billedModels(bills) }, first.single);
      return p.rows.map((i, c) => [rest[i].id, models[p.arms[c]]]);
    };
    // Billed as guessed: one more call each, on the rest's first rows.
    expect(topUp([bill('big', 1), bill('cheap', 2)])).toEqual([
      ['m2', 'big'],
      ['m3', 'cheap'],
    ]);
    // big's call cost 13 times its guess: shrunk towards its level, 7 per-query targets, too dear.
    expect(topUp([bill('big', 13), bill('cheap', 2)])).toEqual([['m2', 'cheap']]);
    // big's bill not in yet: its price is still the list's guess, and it gets no second call.
    expect(topUp([bill('cheap', 2)])).toEqual([['m2', 'cheap']]);
    expect(windowProbeTopUp(rest, engine, { ...input([]), billed: () => true }, [])).toEqual({ rows: [], arms: [] });
  });

  it('sends a probe to the models it was given, through the bill check', async () => {
    const { engine, priceOf, recent } = setup();
    const qs = Array.from({ length: 4 }, (_, i) => query(`m${i}`, mcq(`Question ${i}?`)));
    const models = engine.arms();
    const given = Int32Array.from(['big', 'cheap', 'big', 'cheap'], (m) => models.indexOf(m));
    const big = engine.costs.expectedCost('big');
    const kindCosts = { bills: [], warmStart: new Map(), recent };
    const budget: PeriodBudget = { perQueryUsd: big, expectedQueries: 100, routedQueries: 0, spentUsd: 0 };
    const w = await assignWindow(qs, engine, opts(priceOf, { budget, robust: false, kindCosts, given }));
    expect(w.plan.solution.solver).toBe('given');
    expect(w.assignments.map((a) => a.model)).toEqual(['big', 'cheap', 'big', 'cheap']);
    // With the period all but spent, the check sends the probe's dear calls to the cheapest model.
    const spent = { ...budget, spentUsd: 100 * big - 97 * engine.costs.expectedCost('cheap') * 2 };
    const held = await assignWindow(qs, engine, opts(priceOf, { budget: spent, robust: false, kindCosts, given }));
    expect(held.assignments.map((a) => a.model)).toEqual(['cheap', 'cheap', 'cheap', 'cheap']);
  });
});

describe('periodBudget', () => {
  const noon = Date.parse('2026-11-25T12:00:00Z');
  const base = {
    period: 'daily' as const,
    spentUsd: 0,
    queries: 0,
    expectedQueriesPerPeriod: 1000,
    windowSize: 10,
    now: noon,
  };

  it('does not bind without a budget', () => {
    expect(periodBudget({ ...base, periodBudgetUsd: undefined })).toEqual({
      budget: null,
      remainingUsd: null,
      periodKey: '2026-11-25',
    });
  });

  it("counts the queries routed and the rest of the day's expected ones, and keeps the period's total", () => {
    // Half the day left: 500 queries still expected after the 100 routed; $4 of $24 spent.
    const b = periodBudget({ ...base, periodBudgetUsd: 24, spentUsd: 4, queries: 100 });
    expect(b.remainingUsd).toBeCloseTo(20, 12);
    expect(b.budget).toMatchObject({ expectedQueries: 600, routedQueries: 100, spentUsd: 4 });
    expect(b.budget!.perQueryUsd * b.budget!.expectedQueries).toBeCloseTo(24, 12);
  });

  it("makes a window larger than the expected rest the period's last", () => {
    const b = periodBudget({ ...base, periodBudgetUsd: 1, expectedQueriesPerPeriod: 1, windowSize: 50 });
    expect(b.budget!.expectedQueries).toBe(50);
    expect(b.remainingUsd).toBe(1);
    expect(periodBudget({ ...base, periodBudgetUsd: 1, spentUsd: 1.5 }).remainingUsd).toBe(0);
  });

  it('paced by queries, expects the rest of the count whatever the hour, and makes the last window spend all', () => {
    const job = { ...base, periodBudgetUsd: 10, expectedQueriesPerPeriod: 1000, paceBy: 'queries' as const };
    const b = periodBudget({ ...job, spentUsd: 3, queries: 400 });
    expect(b.budget).toMatchObject({ expectedQueries: 1000, routedQueries: 400, spentUsd: 3 });
    expect(b.budget!.perQueryUsd).toBeCloseTo(0.01, 12);
    // The hour does not matter: a minute before midnight the rest is still 600 queries.
    const late = periodBudget({ ...job, spentUsd: 3, queries: 400, now: Date.parse('2026-11-25T23:59:00Z') });
    expect(late.budget!.expectedQueries).toBe(1000);
    // Past the count, the window is the period's last (libs/core/batch then gives it all that is left).
    expect(periodBudget({ ...job, queries: 995 }).budget!.expectedQueries).toBe(1005);
  });

  it('spreads a monthly budget over the days left in the month', () => {
    // 30-day November, noon of the 25th: 5.5 days of 30 left, 1000 queries a day.
    const b = periodBudget({ ...base, period: 'monthly', periodBudgetUsd: 300, expectedQueriesPerPeriod: 30_000 });
    expect(b.periodKey).toBe('2026-11');
    expect(b.budget!.expectedQueries).toBeCloseTo(5500, 9);
  });

  it('keys periods in UTC', () => {
    expect(periodKey('daily', Date.parse('2026-12-31T23:59:59Z'))).toBe('2026-12-31');
    expect(periodKey('daily', Date.parse('2027-01-01T00:00:00Z'))).toBe('2027-01-01');
    expect(periodKey('monthly', Date.parse('2027-01-01T00:00:00+01:00'))).toBe('2026-12');
  });
});

describe('reconciledSpend', () => {
  it('adds what the billed decisions cost beyond what was expected of them, never going below zero', () => {
    const bill = (realisedUsd: number, expectedUsd: number) => ({ realisedUsd, expectedUsd, calls: 1 });
    expect(reconciledSpend(0.01, {})).toBe(0.01);
    // A model that used three times the tokens its price assumed: the extra is spent money.
    expect(reconciledSpend(0.01, { big: bill(0.006, 0.002) })).toBeCloseTo(0.014, 15);
    // Cheaper than expected: the difference is available again; models add up.
    expect(reconciledSpend(0.01, { big: bill(0.001, 0.004), small: bill(0.002, 0.001) })).toBeCloseTo(0.008, 15);
    expect(billingError({ big: bill(0.001, 0.004), small: bill(0.002, 0.001) })).toBeCloseTo(-0.002, 15);
    expect(reconciledSpend(0.001, { big: bill(0, 0.004) })).toBe(0);
  });

  it('prices a model at its cost level', () => {
    const { engine, priceOf } = engineWith([price('a', 1), price('b', 1)]);
    const wp = buildWindowEstimates([query('q')], engine, {
      priceOf,
      level: 0.9,
      costLevel: (m: string) => (m === 'b' ? 3 : 1),
    });
    const [a, b] = ['a', 'b'].map((m) => wp.estimates.cost[wp.models.indexOf(m)]);
    expect(a).toBeCloseTo(engine.costs.expectedCost('a'), 15);
    expect(b).toBeCloseTo(3 * engine.costs.expectedCost('b'), 15);
  });
});

describe('WindowDispatch (a window sent in parts)', () => {
  const setUp = () => {
    const { engine, priceOf } = engineWith([price('cheap', 0.1), price('big', 5)]);
    teach(engine, 'big', 0.9, 50);
    teach(engine, 'cheap', 0.4, 50);
    return { engine, priceOf, big: engine.costs.expectedCost('big'), cheap: engine.costs.expectedCost('cheap') };
  };

  /** Dispatches every part, the bills of each (big calls at `surprise` times their price) coming back before the next. */
  async function run(surprise: number, maxParts: number, billTwice = false) {
    const { engine, priceOf, big, cheap } = setUp();
    const qs = Array.from({ length: 8 }, (_, i) => query(`q${i}`));
    const budgetUsd = 4 * big + 4 * cheap;
    const d = await planWindowDispatch(qs, engine, opts(priceOf, { budget: lastWindowOf(8, budgetUsd), maxParts }));
    let realised = 0;
    let bigCalls = 0;
    while (!d.done) {
      for (const a of d.dispatchNext().assignments) {
        const bill = a.model === 'big' ? surprise * big : cheap;
        realised += bill;
        bigCalls += a.model === 'big' ? 1 : 0;
        d.bill(a.index, bill);
        if (billTwice) d.bill(a.index, bill);
      }
    }
    return { parts: d.parts, realised, bigCalls, budgetUsd, big, cheap };
  }

  it('sends a window that would spend most of its budget in parts, and stops upgrading once bills show the surprise', async () => {
    const atOnce = await run(2, 1);
    expect(atOnce.parts).toBe(1);
    expect(atOnce.bigCalls).toBe(4);
    // Sent at once, the window's calls are checked against expected costs only: twice the budget's upgrades.
    expect(atOnce.realised).toBeGreaterThan(1.8 * atOnce.budgetUsd);

    const inParts = await run(2, 2);
    // The period's last window: LAST_WINDOW_SPLIT (4) times the parts asked for.
    expect(inParts.parts).toBe(8);
    expect(inParts.bigCalls).toBeGreaterThanOrEqual(1);
    expect(inParts.bigCalls).toBeLessThan(4);
    // What passes the budget is at most the part in flight's surprise on its cheap calls.
    expect(inParts.realised).toBeLessThanOrEqual(inParts.budgetUsd + 2 * inParts.cheap);
  });

  it("settles a part's calls at what their model has cost this window, so that a part cannot pass the budget on a known surprise", async () => {
    const { engine, priceOf, big, cheap } = setUp();
    const qs = Array.from({ length: 8 }, (_, i) => query(`q${i}`));
    const budgetUsd = 6 * big + 2 * cheap;
    const d = await planWindowDispatch(qs, engine, opts(priceOf, { budget: lastWindowOf(8, budgetUsd), maxParts: 2 }));
    const billOf = (model: string) => (model === 'big' ? 1.6 * big : cheap);
    let realised = 0;
    while (!d.done) {
      const part = d.dispatchNext().assignments;
      realised += part.reduce((x, a) => x + billOf(a.model), 0);
      for (const a of part) d.bill(a.index, billOf(a.model));
    }
    // The second part's big calls, each settled at 1.6 times its estimate, stop where the budget
    // does; settled at the estimate they all went and passed it by 7%.
    expect(realised).toBeLessThanOrEqual(budgetUsd * (1 + 1e-9));
  });

  it("counts the period's spend as the check does: a call in flight at its likely bill, then at its bill", async () => {
    const { engine, priceOf, big, cheap } = setUp();
    const qs = Array.from({ length: 8 }, (_, i) => query(`q${i}`));
    const before = big;
    const budget = lastWindowOf(8, before + 6 * big + 2 * cheap, before);
    const d = await planWindowDispatch(qs, engine, opts(priceOf, { budget, maxParts: 2 }));
    expect(d.spentUsd).toBe(before);
    // The parts up to the first that calls the big model, none of them billed yet.
    const part: { index: number; model: string }[] = [];
    while (!part.some((a) => a.model === 'big')) part.push(...d.dispatchNext().assignments);
    const planned = part.reduce((x, a) => x + (a.model === 'big' ? big : cheap), 0);
    expect(d.spentUsd).toBeCloseTo(before + planned, 12);
    for (const a of part) d.bill(a.index, a.model === 'big' ? 2 * big : cheap);
    const billed = part.reduce((x, a) => x + (a.model === 'big' ? 2 * big : cheap), 0);
    expect(billed).toBeGreaterThan(planned);
    expect(d.spentUsd).toBeCloseTo(before + billed, 12);
  });

  it('keeps a dear model priced from few bills off a call that would pass the budget at three times its cost', async () => {
    const { engine, priceOf, big } = setUp();
    // The period's last query with $2 big left: a big call costs ten per-query targets.
    const budget: PeriodBudget = { perQueryUsd: big / 10, expectedQueries: 20, routedQueries: 19, spentUsd: 0 };
    const sent = async (bigBills: number, perQueryUsd = budget.perQueryUsd) => {
      const d = await planWindowDispatch(
        [query('q0')],
        engine,
        opts(priceOf, {
          budget: { ...budget, perQueryUsd, spentUsd: 20 * perQueryUsd - 2 * big },
          billedCalls: (m) => (m === 'big' ? bigBills : 100),
        }),
      );
      expect(d.plan.assignment[0]).toBe(d.models.indexOf('big'));
      return d.dispatchNext().assignments[0].model;
    };
    expect(await sent(1)).toBe('cheap');
    expect(await sent(10)).toBe('big');
    // Worth fewer than ten targets, it goes at its expected cost.
    expect(await sent(1, big / 9)).toBe('big');
  });

  it("spends the period's last window closer to its budget in smaller parts when some bills come back dear", async () => {
    const { engine, priceOf, big, cheap } = setUp();
    const qs = Array.from({ length: 100 }, (_, i) => query(`q${i}`));
    const budgetUsd = 50 * big + 50 * cheap;
    // A big call costs its price times 1.2, one in ten three times.
    const billOf = (model: string, i: number) => (model === 'big' ? (i % 10 === 3 ? 3 : 1.2) * big : cheap);
    const spent = async (lastWindowSplit: number) => {
      const d = await planWindowDispatch(
        qs,
        engine,
        opts(priceOf, { budget: lastWindowOf(100, budgetUsd), maxParts: 4, lastWindowSplit }),
      );
      let realised = 0;
      while (!d.done)
        for (const a of d.dispatchNext().assignments) {
          realised += billOf(a.model, a.index);
          d.bill(a.index, billOf(a.model, a.index));
        }
      expect(d.parts).toBe(4 * lastWindowSplit);
      return realised / budgetUsd;
    };
    // Each call in flight is charged at the dearest level seen (3): in four parts of 25 the
    // charges of a part crowd out its later upgrades, and its bills free the money too late.
    const inFour = await spent(1);
    const inSixteen = await spent(LAST_WINDOW_SPLIT);
    expect(inFour).toBeLessThan(0.8);
    expect(inSixteen).toBeGreaterThan(0.9);
    expect(inSixteen).toBeLessThanOrEqual(1 + 1e-9);
  });

  it('counts a bill once, however often it is reported', async () => {
    expect(await run(2, 4, true)).toEqual(await run(2, 4));
  });

  it('spends all that is planned when the bills come back as expected', async () => {
    const r = await run(1, 2);
    expect(r.parts).toBe(8);
    expect(r.bigCalls).toBe(4);
    expect(r.realised).toBeLessThanOrEqual(r.budgetUsd * (1 + 1e-9));
  });

  it('sends at once a window that could pay its plan COST_SURPRISE times over, or runs under no budget', async () => {
    const { engine, priceOf, big } = setUp();
    const qs = Array.from({ length: 8 }, (_, i) => query(`q${i}`));
    const partsAt = async (share: number) => {
      const d = await planWindowDispatch(
        qs,
        engine,
        opts(priceOf, { budget: lastWindowOf(8, (8 * big) / share), robust: false, maxParts: 4 }),
      );
      const { parts } = d;
      const models = [];
      while (!d.done) models.push(...d.dispatchNext().assignments.map((a) => a.model));
      expect(models).toEqual(qs.map(() => 'big'));
      return parts;
    };
    // Every query on the big model, at a share of what the window may spend: three bills of a
    // plan at 30% fit, those of one at 45% do not (a rate-20 window at 42% cost 2.9x its plan).
    expect(await partsAt(0.3)).toBe(1);
    expect(await partsAt(0.45)).toBe(8);
    expect((await planWindowDispatch(qs, engine, opts(priceOf, { maxParts: 4 }))).parts).toBe(1);
  });

  it('splits into consecutive parts in order, never more parts than queries', async () => {
    const { engine, priceOf, big, cheap } = setUp();
    const qs = Array.from({ length: 3 }, (_, i) => query(`q${i}`));
    const d = await planWindowDispatch(
      qs,
      engine,
      opts(priceOf, { budget: lastWindowOf(3, 3 * big + cheap), maxParts: 8 }),
    );
    expect(d.parts).toBe(3);
    const ids = [];
    while (!d.done) ids.push(d.dispatchNext().assignments.map((a) => a.query.id));
    expect(ids).toEqual([['q0'], ['q1'], ['q2']]);
    expect(() => d.dispatchNext()).toThrow(/every part/);
  });
});
