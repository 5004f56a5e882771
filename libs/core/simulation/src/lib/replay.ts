import { applyWarmStart } from '@llm-router/bandits';
import type { ArmId, DecideConstraints, Decision, DecisionContext, Outcome, Policy } from '@llm-router/bandits';
import { CostModel, ModelPrice } from '@llm-router/pricing';
import { adaptSteps as adaptStepsOf, armShares as sharesOf, quantile } from './metrics';
import { RowOrder, orderRows } from './order';
import { LambdaPacer, PacerFactory } from './pacer';

/** One row of a reward dataset: the quality and cost every arm would have had. */
export interface ReplayRow {
  prompt: string;
  source?: string;
  arms: Record<ArmId, { reward: number; cost: number }>;
}

export type ScenarioName = 'stationary' | 'price-cut' | 'new-arm';

export interface Scenario {
  name: ScenarioName;
  /** The arm whose price is cut, or which arrives at step `at`. */
  arm?: ArmId;
  /** First affected step (0-based: `at` decisions are taken before the event). */
  at?: number;
  /** Multiplier on the arm's cost from step `at` on (price-cut: required; new-arm: default 1). */
  factor?: number;
}

export interface PolicyInit {
  arms: ArmId[];
  seed: number;
}
export type PolicyFactory = (init: PolicyInit) => Policy;

export interface ReplayOptions {
  /** Builds the policy under test from the arms present at step 0. */
  policy: PolicyFactory;
  /** Name reported in the result (default: the policy's `algorithm`). */
  policyName?: string;
  /** Cost weight in R = quality - lambda * cost; with a budget, the pacer's starting lambda. */
  lambda?: number;
  /** Target mean cost per query (USD); null/undefined = unbinding. */
  budget?: number | null;
  /** Required with a budget: builds the pacer that adapts lambda. */
  pacer?: PacerFactory;
  seed?: number;
  scenario?: Scenario;
  order?: RowOrder;
  /** List prices; arms without one get a unit price, so expected cost = mean observed cost. */
  prices?: readonly ModelPrice[];
  /** Prompt features handed to the policy (outside the timed decide call). */
  featurize?: (text: string) => ArrayLike<number>;
  /** Offline rows from another file: priors for the policy and token usage for the cost model. */
  warmStart?: readonly ReplayRow[];
  /** Monotonic clock in nanoseconds (process.hrtime.bigint); without it decide times are null. */
  clock?: () => bigint;
  onProgress?: (done: number, total: number) => void;
  /** Width of the moving window of arm shares in the time series and of adaptSteps (default 100). */
  window?: number;
  /** Approximate number of points in each time series (default 200). */
  seriesPoints?: number;
  /**
   * Per-query mode: the policy learns each outcome this many decisions after it was made
   * (default 0: before the next decision). The services learn late, as a router decides on the
   * last snapshot while the rewards of its recent calls are on their way; this replays that
   * delay (docs/live-vs-replay.md). Costs reach the pacer at once, as a router's own spend does,
   * and the policy is told how many decisions went to each arm (`DecideConstraints.decided`).
   */
  feedbackDelay?: number;
}

export interface ReplaySeries {
  /** Step index (0-based) of each point. */
  t: number[];
  /** Cumulative net reward sum(quality - lambda_t * cost) up to and including step t. */
  cumReward: number[];
  /** Lambda in force at step t. */
  lambda: number[];
  /** Arm id -> share of the last `window` decisions at step t. */
  shares: Record<ArmId, number[]>;
}

export interface ReplayResult {
  policy: string;
  n: number;
  seed: number;
  scenario: ScenarioName;
  order: RowOrder;
  meanQuality: number;
  meanCost: number;
  /** Mean of quality - lambda_t * cost, with the lambda in force at each decision. */
  meanReward: number;
  /** Mean over rows of the best available arm's quality. */
  oracleQuality: number;
  pctOfOracle: number;
  budget: number | null;
  budgetRatio: number | null;
  armShares: Record<ArmId, number>;
  adaptSteps: number | null;
  decideP50Us: number | null;
  decideP99Us: number | null;
  lambda: number;
  finalLambda: number;
  meanLambda: number;
  arms: ArmId[];
  /** Arm index (into `arms`) chosen at each step. */
  picks: Int32Array;
  series: ReplaySeries;
}

const DEFAULT_WINDOW = 100;

export function validateScenario(s: Scenario, arms: readonly ArmId[], n: number): Required<Scenario> | null {
  if (s.name === 'stationary') return null;
  if (!s.arm) throw new Error(`scenario ${s.name} needs an arm (--arm)`);
  if (!arms.includes(s.arm)) throw new Error(`scenario arm ${s.arm} is not in the data (arms: ${arms.join(', ')})`);
  const at = s.at;
  if (at === undefined || !Number.isInteger(at) || at < 0)
    throw new Error(`scenario ${s.name} needs --at T, a step >= 0`);
  if (at >= n) throw new Error(`scenario step --at ${at} is past the end of the data (${n} rows)`);
  const factor = s.factor ?? (s.name === 'new-arm' ? 1 : undefined);
  if (factor === undefined) throw new Error('scenario price-cut needs --factor F');
  if (!(factor >= 0) || !Number.isFinite(factor))
    throw new Error(`scenario factor must be a finite number >= 0, got ${factor}`);
  return { name: s.name, arm: s.arm, at, factor };
}

/** Arms in order of first appearance in the data, so that arm indices are stable per file. */
export function armsOf(rows: readonly ReplayRow[]): ArmId[] {
  const seen = new Set<ArmId>();
  for (const r of rows) for (const a of Object.keys(r.arms)) seen.add(a);
  return [...seen];
}

/** Everything a replay (per-query or batch) sets up before its first step. */
export interface ReplaySetup {
  data: ReplayRow[];
  n: number;
  seed: number;
  order: RowOrder;
  arms: ArmId[];
  armIndex: Map<ArmId, number>;
  scen: Required<Scenario> | null;
  lateArm: ArmId | null;
  listPrice: Map<ArmId, ModelPrice>;
  costModel: CostModel;
  policy: Policy;
  policyName: string;
  contextOf: (r: { prompt: string }) => DecisionContext;
  baseLambda: number;
  budget: number | null;
}

export function setupReplay(rows: readonly ReplayRow[], options: ReplayOptions): ReplaySetup {
  if (rows.length === 0) throw new Error('replay: no rows');
  const seed = options.seed ?? 1;
  const order = options.order ?? 'shuffled';
  const baseLambda = options.lambda ?? 0;
  if (!(baseLambda >= 0) || !Number.isFinite(baseLambda))
    throw new Error(`lambda must be a finite number >= 0, got ${baseLambda}`);
  const budget = options.budget ?? null;
  if (budget !== null && !(budget > 0 && Number.isFinite(budget)))
    throw new Error(`budget must be a positive number, got ${budget}`);
  const data = orderRows(rows, order, seed);
  const n = data.length;
  const arms = armsOf(data);
  const armIndex = new Map(arms.map((a, i) => [a, i]));
  const scen = validateScenario(options.scenario ?? { name: 'stationary' }, arms, n);
  const lateArm = scen?.name === 'new-arm' ? scen.arm : null;

  const listPrice = new Map<ArmId, ModelPrice>();
  for (const a of arms)
    listPrice.set(a, options.prices?.find((p) => p.model === a) ?? { model: a, inputPerM: 1, outputPerM: 1 });
  const costModel = new CostModel();
  for (const a of arms) if (a !== lateArm) costModel.setPrice(listPrice.get(a)!);

  const policy = options.policy({ arms: arms.filter((a) => a !== lateArm), seed });
  const policyName = options.policyName ?? policy.algorithm;
  const contextOf = (r: { prompt: string }): DecisionContext =>
    options.featurize ? { text: r.prompt, features: options.featurize(r.prompt) } : { text: r.prompt };

  if (options.warmStart && options.warmStart.length > 0) {
    // The new arm arrives cold: nothing about it may leak from the offline file, neither
    // its quality nor its token usage.
    const exclude = lateArm ? [lateArm] : [];
    applyWarmStart(policy, options.warmStart, { exclude, context: contextOf });
    for (const r of options.warmStart) {
      for (const [a, o] of Object.entries(r.arms))
        if (a !== lateArm && listPrice.has(a)) costModel.observe(a, o.cost, listPrice.get(a));
    }
  }
  return {
    data,
    n,
    seed,
    order,
    arms,
    armIndex,
    scen,
    lateArm,
    listPrice,
    costModel,
    policy,
    policyName,
    contextOf,
    baseLambda,
    budget,
  };
}

/**
 * Applies the scenario event due at step t, the way model.prices / model.catalog would reach
 * a router: through the cost model's price (expected costs move at once) and, for a new arm,
 * a cold addArm. Returns true once the late arm (if any) is available.
 */
export function applyEvent(s: ReplaySetup, t: number): void {
  const scen = s.scen;
  if (!scen || t !== scen.at) return;
  const p = s.listPrice.get(scen.arm)!;
  s.costModel.setPrice({ ...p, costFactor: (p.costFactor ?? 1) * scen.factor });
  if (scen.name === 'new-arm') s.policy.addArm(scen.arm);
}

/** Arms offered at step t (present in the row, and arrived) and the best quality among them. */
export function offered(s: ReplaySetup, row: ReplayRow, t: number): { available: ArmId[]; oracle: number } {
  const available: ArmId[] = [];
  let oracle = -Infinity;
  for (const a of s.arms) {
    const o = row.arms[a];
    if (!o || (a === s.lateArm && t < s.scen!.at)) continue;
    available.push(a);
    if (o.reward > oracle) oracle = o.reward;
  }
  if (available.length === 0) throw new Error(`replay: row ${t} offers no arm`);
  return { available, oracle };
}

/** Realised cost of pulling `arm` on `row` at step t (scaled by the scenario factor after T). */
export function realisedCost(s: ReplaySetup, row: ReplayRow, arm: ArmId, t: number): number {
  const c = row.arms[arm].cost;
  return s.scen && arm === s.scen.arm && t >= s.scen.at ? c * s.scen.factor : c;
}

/** Accumulates per-step outcomes into the figures and time series of a ReplayResult. */
export class ReplayRecorder {
  readonly picks: Int32Array;
  private readonly decideNs: Float64Array | null;
  private readonly stride: number;
  private readonly window: number;
  private readonly series: ReplaySeries;
  private readonly windowCounts: number[];
  private sumQ = 0;
  private sumC = 0;
  private sumR = 0;
  private sumOracle = 0;
  private sumLambda = 0;
  private lastLambda: number;

  constructor(
    private readonly s: ReplaySetup,
    options: Pick<ReplayOptions, 'window' | 'seriesPoints'>,
    timed: boolean,
  ) {
    this.picks = new Int32Array(s.n);
    this.decideNs = timed ? new Float64Array(s.n) : null;
    this.window = options.window ?? DEFAULT_WINDOW;
    this.stride = Math.max(1, Math.floor(s.n / (options.seriesPoints ?? 200)));
    this.series = {
      t: [],
      cumReward: [],
      lambda: [],
      shares: Object.fromEntries(s.arms.map((a) => [a, [] as number[]])),
    };
    this.windowCounts = new Array<number>(s.arms.length).fill(0);
    this.lastLambda = s.baseLambda;
  }

  record(
    t: number,
    arm: ArmId,
    quality: number,
    cost: number,
    lambda: number,
    oracle: number,
    decideNs?: number,
  ): void {
    const idx = this.s.armIndex.get(arm)!;
    this.picks[t] = idx;
    if (this.decideNs && decideNs !== undefined) this.decideNs[t] = decideNs;
    this.sumQ += quality;
    this.sumC += cost;
    this.sumR += quality - lambda * cost;
    this.sumOracle += oracle;
    this.sumLambda += lambda;
    this.lastLambda = lambda;
    this.windowCounts[idx]++;
    if (t >= this.window) this.windowCounts[this.picks[t - this.window]]--;
    if (t % this.stride === 0 || t === this.s.n - 1) {
      this.series.t.push(t);
      this.series.cumReward.push(this.sumR);
      this.series.lambda.push(lambda);
      const w = Math.min(this.window, t + 1);
      this.s.arms.forEach((a, i) => this.series.shares[a].push(this.windowCounts[i] / w));
    }
  }

  result(): ReplayResult {
    const { s } = this;
    const n = s.n;
    const meanQuality = this.sumQ / n;
    const meanCost = this.sumC / n;
    const oracleQuality = this.sumOracle / n;
    const ns = this.decideNs;
    return {
      policy: s.policyName,
      n,
      seed: s.seed,
      scenario: s.scen?.name ?? 'stationary',
      order: s.order,
      meanQuality,
      meanCost,
      meanReward: this.sumR / n,
      oracleQuality,
      pctOfOracle: oracleQuality > 0 ? meanQuality / oracleQuality : 0,
      budget: s.budget,
      budgetRatio: s.budget !== null ? meanCost / s.budget : null,
      armShares: sharesOf(this.picks, s.arms),
      adaptSteps: s.scen ? adaptStepsOf(this.picks, s.armIndex.get(s.scen.arm)!, s.scen.at, this.window) : null,
      decideP50Us: ns ? quantile(ns, 0.5)! / 1000 : null,
      decideP99Us: ns ? quantile(ns, 0.99)! / 1000 : null,
      lambda: s.baseLambda,
      finalLambda: this.lastLambda,
      meanLambda: this.sumLambda / n,
      arms: s.arms,
      picks: this.picks,
      series: this.series,
    };
  }
}

/**
 * Replays a reward dataset through one policy with bandit feedback: at each step the policy
 * sees the prompt (and features), the arms on offer and their EXPECTED costs from the cost
 * model, chooses, and only then learns the quality and realised cost of the arm it chose.
 */
export function runReplay(rows: readonly ReplayRow[], options: ReplayOptions): ReplayResult {
  const s = setupReplay(rows, options);
  const { policy, costModel, n, data } = s;
  let pacer: LambdaPacer | null = null;
  if (s.budget !== null) {
    if (!options.pacer) throw new Error('replay: a budget needs a pacer');
    pacer = options.pacer({ budget: s.budget, horizon: n, initialLambda: s.baseLambda });
  }
  const clock = options.clock;
  const rec = new ReplayRecorder(s, options, !!clock);
  const delay = options.feedbackDelay ?? 0;
  if (!(Number.isInteger(delay) && delay >= 0))
    throw new Error(`replay: feedbackDelay must be an integer >= 0, got ${delay}`);
  const late = delay > 0 ? new LateFeedback(policy, costModel) : null;
  for (let t = 0; t < n; t++) {
    const row = data[t];
    applyEvent(s, t);
    late?.learnUpTo(t - delay - 1);
    const { available, oracle } = offered(s, row, t);
    const lambda = pacer ? pacer.lambda() : s.baseLambda;
    const costs = costModel.costs(available);
    const ctx = s.contextOf(row);
    const constraints: DecideConstraints = { lambda, costs, ...(late && { decided: late.decided }) };
    let decision: Decision;
    let ns: number | undefined;
    if (clock) {
      const t0 = clock();
      decision = policy.decide(ctx, available, constraints);
      ns = Number(clock() - t0);
    } else {
      decision = policy.decide(ctx, available, constraints);
    }
    const arm = decision.arm;
    if (!available.includes(arm))
      throw new Error(`replay: policy ${s.policyName} chose ${arm}, which step ${t} does not offer`);
    const quality = row.arms[arm].reward;
    const cost = realisedCost(s, row, arm, t);
    const outcome: Outcome = { quality, costUsd: cost, expectedCostUsd: costs[arm], decidedWith: { lambda, costs } };
    if (late) late.decide(t, ctx, arm, outcome);
    else {
      policy.update(ctx, arm, outcome);
      costModel.observe(arm, cost);
    }
    pacer?.record(cost);
    rec.record(t, arm, quality, cost, lambda, oracle, ns);
    options.onProgress?.(t + 1, n);
  }
  return rec.result();
}

/** Outcomes on their way to the policy (ReplayOptions.feedbackDelay), learnt in decision order. */
class LateFeedback {
  /** Decisions per arm so far, learnt or not (DecideConstraints.decided). */
  readonly decided: Record<ArmId, number> = Object.create(null) as Record<ArmId, number>;
  private readonly pending: { t: number; ctx: DecisionContext; arm: ArmId; outcome: Outcome }[] = [];
  private head = 0;

  constructor(
    private readonly policy: Policy,
    private readonly costModel: CostModel,
  ) {}

  decide(t: number, ctx: DecisionContext, arm: ArmId, outcome: Outcome): void {
    this.decided[arm] = (this.decided[arm] ?? 0) + 1;
    this.pending.push({ t, ctx, arm, outcome });
  }

  /** Learns every outcome decided at step `t` or before. */
  learnUpTo(t: number): void {
    while (this.head < this.pending.length && this.pending[this.head].t <= t) {
      const { ctx, arm, outcome } = this.pending[this.head++];
      this.policy.update(ctx, arm, outcome);
      this.costModel.observe(arm, outcome.costUsd);
    }
    // Learnt outcomes go: a long replay would otherwise hold every context it decided on.
    if (this.head > PENDING_COMPACT_AT && this.head * 2 > this.pending.length) {
      this.pending.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** Learnt outcomes LateFeedback keeps before it drops them (compacting in bulk keeps it O(1) per step). */
const PENDING_COMPACT_AT = 1024;
