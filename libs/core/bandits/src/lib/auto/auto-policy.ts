import {
  ArmId,
  ArmPrior,
  DecideConstraints,
  Decision,
  DecisionContext,
  Outcome,
  Policy,
  PolicyState,
  QualityEstimate,
  SparseVector,
} from '../policy';
import { Rng } from '../rng';
import { eligibleArms } from '../eligibility';
import { registerPolicy } from '../registry';
import { WarmLinearStats, WarmRow, WarmStartOptions, WarmStartable, fitWarmStart } from '../warm-start';
import { AutoFeatureMap, Sparse, densify, dotSparse, scaled, sparseBuffer } from './features';
import { Ridge, RidgeReading, RidgeState } from './ridge';
import {
  MIN_COST,
  TRAFFIC_WINDOW,
  TrafficMean,
  addValue,
  logUsageRatio,
  meanWith,
  pooled,
  promptCost,
  usageMultiplier,
} from './usage';
import { MIN_NOISE, empiricalBayes, templateScale } from './priors';
import { ArmModel, blankArmModel, unobserved } from './arm-model';
import { AUTO_STATE_FORMAT, AutoStats, armModelFromState, armSkeleton, armState, migrateStats } from './state-codec';

/**
 * `auto`, the default policy. Why it is built this way: docs/decisions/0004-auto-policy.md;
 * how it learns from the decision log and what it logs: docs/decisions/0011-one-learning-loop.md.
 *
 *   score(a, x) = m_a + s(x) + d_a(x) + alpha * noise * sd(d_a(x)) - lambda * c_a(x)
 *
 * Quality, in two parts (a "hybrid" linear model fitted by backfitting):
 *   s(x)    what makes a prompt easy or hard for every model (shared ridge regression);
 *   d_a(x)  how arm a deviates from its own mean m_a on this prompt (ridge per arm).
 * Only m_a + d_a decides between arms, and the deviations are small and noisy, so they get
 * their own, tighter priors. Their widths come from an offline file by empirical Bayes (how
 * much arms really differ between prompt templates there), or from defaults without one.
 * Features (./features): bias, log length, prompt-template indicators (hashed opening and
 * closing words) and the caller's context features.
 *
 * Cost (./usage): the caller's expected cost of the arm redistributed over prompts by a
 * learned usage multiplier, normalised so that it never moves the per-arm mean.
 *
 * Choice: the best score wins, near-ties are split evenly and every other eligible arm keeps
 * an exploration floor, so the logged propensity is the true probability of the choice.
 *
 * decide() and estimate() never change what the policy has learned (decide only draws from
 * the RNG, and adds an offered arm it has never heard of): everything is learned in update(),
 * from the context alone, so that a learner restored from the same state that gets the logged
 * decision (features, textFeatures, priceSnapshot) ends in the same state.
 *
 * Features are scaled per block instead of regularised per block (ridge with unit prior
 * precision on scaled features is the same thing), which keeps one matrix per model.
 */
export interface AutoOptions {
  arms?: ArmId[];
  seed?: number;
  /** Length of context.features (0 = template and length features only). */
  d?: number;
  /** Hash buckets per template key (default 64). */
  buckets?: number;
  /** Prior sd of an arm's intercept deviation, in noise units (1: the first outcome moves it halfway). */
  biasScale?: number;
  /** Prior sd of a shared template-key effect, in noise units. */
  sharedTemplateScale?: number;
  /** Prior sd of a shared context-feature weight, in noise units. */
  sharedFeatureScale?: number;
  /** Prior sd of an arm's template-key deviation, in noise units (without an offline file). */
  templateScale?: number;
  /** Prior sd of an arm's context-feature deviation weight, in noise units. */
  featureScale?: number;
  /** Set the template widths and the noise from the warm-start file (default 1 = on, 0 = off). */
  empiricalBayes?: number;
  /** Prior sds of the log-usage model (intercept, template keys, features), in log units. */
  costBiasScale?: number;
  costTemplateScale?: number;
  costFeatureScale?: number;
  /** UCB width in posterior standard deviations of the arm's deviation. */
  alpha?: number;
  /** Residual sd of quality around the model (judge noise); the offline file re-estimates it. */
  noise?: number;
  /** Prior mean quality of an arm with no prior and no other arm to copy (optimistic: it gets tried). */
  coldMean?: number;
  /** Weight, in outcomes, of a cold arm's assumed level. */
  coldWeight?: number;
  /**
   * Probability with which every eligible arm that does not lead is chosen anyway (default
   * 0.002; capped at 1 / eligible arms). Keeps every logged propensity above 0, so that
   * inverse propensity scoring can evaluate any other policy on auto's log.
   */
  explorationFloor?: number;
  /**
   * Only arms whose score is within this of the best (in reward units, quality - lambda *
   * cost) get the floor (default 0.5). Under a tight budget lambda is large, and a flagship
   * model's score lies far below: a 0.2% floor on a call worth a hundred per-query budgets
   * would spend a visible share of the period on exploration no candidate policy would
   * follow. The log still supports any policy that stays within the margin.
   */
  explorationMargin?: number;
  /** Scores within this of the best count as tied and share the leader's probability. */
  tieTolerance?: number;
  /** Explicit priors (mean, weight) per arm; an offline warm start replaces them. */
  priors?: Record<ArmId, ArmPrior>;
}

const DEFAULTS = {
  d: 0,
  buckets: 64,
  biasScale: 1,
  sharedTemplateScale: 0.5,
  sharedFeatureScale: 0.3,
  templateScale: 0.3,
  featureScale: 0.1,
  empiricalBayes: 1,
  costBiasScale: 1,
  costTemplateScale: 1,
  costFeatureScale: 1,
  alpha: 1.5,
  noise: 0.15,
  coldMean: 1,
  coldWeight: 5,
  explorationFloor: 0.002,
  explorationMargin: 0.5,
  tieTolerance: 1e-6,
};
type Params = typeof DEFAULTS;

/**
 * Prior coefficients on raw features an arm's predictions add (see ArmModel.borrowedDeviation):
 * the arm's own stored ones, or those a cold arm borrows (shapeOf).
 */
type Shape = Pick<ArmModel, 'borrowedDeviation' | 'borrowedUsage'>;

export class AutoPolicy implements Policy, WarmStartable {
  readonly algorithm = 'auto';
  private readonly params: Params;
  private readonly featureMap: AutoFeatureMap;
  private noise: number;
  private sharedScale: Float64Array;
  private readonly usageScale: Float64Array;
  private readonly shared: Ridge;
  private sharedPrior: RidgeState | null = null;
  /** Traffic mean of the shared part (noise units): with deviationMean, what separates levels from shapes. */
  private sharedMean: TrafficMean = { mean: 0, count: 0 };
  /** Deviation widths a new arm gets (empirical Bayes average once an offline file was seen). */
  private defaultDeviationScale: Float64Array;
  private readonly models = new Map<ArmId, ArmModel>();
  private readonly removed = new Set<ArmId>();
  private readonly rng: Rng;
  private readonly seed: number;
  private readonly priors: Record<ArmId, ArmPrior>;
  // Scratch of the hot path, which allocates nothing of the dimension's size per call: the
  // raw features of the context at hand, their scaled copy for one ridge update, one reading.
  private readonly context: Sparse = sparseBuffer();
  private readonly scaledContext: Sparse = sparseBuffer();
  private readonly reading: RidgeReading = { mean: 0, variance: 0 };

  constructor(opts: AutoOptions = {}) {
    const p = { ...DEFAULTS };
    for (const k of Object.keys(DEFAULTS) as (keyof Params)[]) {
      const v = opts[k];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw new Error(`auto: option ${k} must be a finite number >= 0, got ${String(v)}`);
      p[k] = v;
    }
    if (!Number.isInteger(p.d) || !Number.isInteger(p.buckets) || p.buckets < 1)
      throw new Error('auto: d and buckets must be integers (buckets >= 1)');
    if (!(p.noise > 0)) throw new Error('auto: noise must be > 0');
    if (!(p.explorationFloor < 1)) throw new Error('auto: explorationFloor must be < 1');
    this.params = p;
    this.seed = opts.seed ?? 1;
    this.rng = new Rng(this.seed);
    this.featureMap = new AutoFeatureMap(p.d, p.buckets);
    this.noise = p.noise;
    // The shared model has no intercept: levels are per arm (baseQuality and the deviation intercept).
    this.sharedScale = this.featureMap.scales(0, p.sharedTemplateScale, p.sharedFeatureScale, p.sharedFeatureScale);
    this.defaultDeviationScale = this.featureMap.scales(p.biasScale, p.templateScale, p.featureScale, p.featureScale);
    this.usageScale = this.featureMap.scales(
      p.costBiasScale,
      p.costTemplateScale,
      p.costFeatureScale,
      p.costFeatureScale,
    );
    this.shared = new Ridge(this.featureMap.dimension, this.featureMap.coreSize);
    this.priors = { ...(opts.priors ?? {}) };
    for (const a of opts.arms ?? []) this.addArm(a, this.priors[a]);
  }

  arms(): ArmId[] {
    return [...this.models.keys()];
  }

  textFeatures(text: string): SparseVector {
    return this.featureMap.textFeatures(text);
  }

  private model(arm: ArmId): ArmModel {
    let m = this.models.get(arm);
    if (!m) {
      this.addArm(arm, this.priors[arm]);
      m = this.models.get(arm)!;
    }
    return m;
  }

  /**
   * The prior shapes an arm's predictions add. An arm that has never been observed (no pull,
   * no offline row) and has no explicit prior borrows its prompt-by-prompt shape from the
   * currently best informed arm until its first outcome freezes it (update): it keeps its
   * optimistic level (coldMean) and is then compared with the incumbents on what it costs,
   * not on a blank model that knows no prompt structure.
   */
  private shapeOf(m: ArmModel): Shape {
    if (!borrowsShape(m)) return m;
    let best: ArmModel | null = null;
    let level = -Infinity;
    const informed: ArmModel[] = [];
    for (const o of this.models.values()) {
      if (unobserved(o)) continue;
      informed.push(o);
      const l = o.baseQuality + this.noise * o.deviationMean.mean;
      if (l > level) {
        level = l;
        best = o;
      }
    }
    if (!best) return m;
    const deviation = rawWeights(best.deviation.coefficients, best.deviationScale, best.borrowedDeviation);
    // Only the shape is borrowed (the raw intercept is always 1, so subtracting the traffic
    // means of the borrowed deviation and of the shared part there centres it); the level
    // stays the newcomer's own optimistic assumption.
    deviation[0] -= best.deviationMean.mean + this.sharedMean.mean;
    const usage = new Float64Array(this.featureMap.dimension);
    for (const o of informed) {
      const u = rawWeights(o.usage.coefficients, this.usageScale, o.borrowedUsage);
      for (let i = 0; i < u.length; i++) usage[i] += u[i] / informed.length;
    }
    // The usage intercept is the cost model's business.
    usage[0] = 0;
    return { borrowedDeviation: deviation, borrowedUsage: usage };
  }

  // Every model is fitted on scaled features and read at raw ones x (features.ts), plus the
  // prior shape on raw features an arm may carry.

  /** Deviation of arm m on this prompt, noise units (learned part plus the prior shape). */
  private deviation(m: ArmModel, x: Sparse, shape: Shape): number {
    return m.deviation.mean(x, m.deviationScale, shape.borrowedDeviation);
  }

  private quality(m: ArmModel, x: Sparse): number {
    return m.baseQuality + this.noise * (this.shared.mean(x, this.sharedScale) + this.deviation(m, x, this.shapeOf(m)));
  }

  private usageMultiplier(m: ArmModel, x: Sparse, shape: Shape): number {
    return usageMultiplier(m.usage.mean(x, this.usageScale, shape.borrowedUsage));
  }

  decide(ctx: DecisionContext, available: readonly ArmId[], c: DecideConstraints): Decision {
    const offered = this.removed.size === 0 ? available : available.filter((a) => !this.removed.has(a));
    if (offered.length === 0)
      throw new Error('auto: no arm available to decide between (all offered arms were removed)');
    const x = this.featureMap.raw(ctx, this.context);
    const arms = eligibleArms(offered, c, (a) => this.quality(this.model(a), x));
    const scores: Record<ArmId, number> = {};
    // The shared part is the same for every arm: it is left out of the comparison, and so is
    // its uncertainty (exploring cannot tell arms apart on it).
    for (const a of arms) {
      const m = this.model(a);
      const shape = this.shapeOf(m);
      const read = m.deviation.read(x, m.deviationScale, shape.borrowedDeviation, this.params.alpha > 0, this.reading);
      const bonus = this.params.alpha * this.noise * Math.sqrt(read.variance);
      const deviation = read.mean;
      const multiplier = this.usageMultiplier(m, x, shape);
      // Normalised by the traffic mean as update() leaves it after learning this decision.
      const cost = promptCost(c.costs[a] ?? 0, multiplier, meanWith(m.usageMultiplier, multiplier));
      scores[a] = m.baseQuality + this.noise * deviation + bonus - c.lambda * cost;
    }
    const probabilities = this.choiceProbabilities(arms, scores);
    // Rounding can leave u just above the last share: fall back to the last arm with one.
    let arm = arms[arms.length - 1];
    for (let i = arms.length - 1; i >= 0; i--)
      if (probabilities[arms[i]] > 0) {
        arm = arms[i];
        break;
      }
    let u = this.rng.next();
    for (const a of arms) {
      if (probabilities[a] === 0) continue;
      u -= probabilities[a];
      if (u < 0) {
        arm = a;
        break;
      }
    }
    return { arm, propensity: probabilities[arm], scores, probabilities };
  }

  /**
   * The leaders (best score, within tieTolerance) share what the others leave; every other
   * eligible arm within explorationMargin of the best gets the exploration floor, the rest 0.
   */
  private choiceProbabilities(arms: ArmId[], scores: Record<ArmId, number>): Record<ArmId, number> {
    let best = -Infinity;
    for (const a of arms) best = Math.max(best, scores[a]);
    const leading = best - this.params.tieTolerance;
    const explored = best - this.params.explorationMargin;
    let leaders = 0;
    let floored = 0;
    // A NaN score neither leads nor is explored.
    for (const a of arms)
      if (scores[a] >= leading) leaders++;
      else if (scores[a] >= explored) floored++;
    const probabilities: Record<ArmId, number> = {};
    if (leaders === 0) {
      // No comparable score (NaN): nothing to prefer.
      for (const a of arms) probabilities[a] = 1 / arms.length;
      return probabilities;
    }
    const floor = Math.min(this.params.explorationFloor, 1 / arms.length);
    const leaderShare = (1 - floor * floored) / leaders;
    for (const a of arms) probabilities[a] = scores[a] >= leading ? leaderShare : scores[a] >= explored ? floor : 0;
    return probabilities;
  }

  /**
   * Folds one learned context into the traffic means (shared part, and every arm's deviation
   * and usage multiplier): they describe the prompts the policy serves, whichever arm served them.
   */
  private trackTraffic(x: Sparse): void {
    // A cold arm's borrowed shape reads the others' traffic means: take the shapes before
    // moving any (every other arm's shape is its own, which the means do not change).
    let borrowed: Map<ArmModel, Shape> | null = null;
    for (const m of this.models.values()) if (borrowsShape(m)) (borrowed ??= new Map()).set(m, this.shapeOf(m));
    addValue(this.sharedMean, this.shared.mean(x, this.sharedScale));
    for (const m of this.models.values()) {
      const shape = borrowed?.get(m) ?? m;
      addValue(m.deviationMean, this.deviation(m, x, shape));
      addValue(m.usageMultiplier, this.usageMultiplier(m, x, shape));
    }
  }

  update(ctx: DecisionContext, arm: ArmId, o: Outcome): void {
    if (this.removed.has(arm)) return;
    const m = this.model(arm);
    const x = this.featureMap.raw(ctx, this.context);
    this.trackTraffic(x);
    if (borrowsShape(m)) {
      const shape = this.shapeOf(m);
      m.borrowedDeviation = shape.borrowedDeviation;
      m.borrowedUsage = shape.borrowedUsage;
    }
    const y = (o.quality - m.baseQuality) / this.noise;
    const sharedPart = this.shared.mean(x, this.sharedScale);
    const borrowed = m.borrowedDeviation ? dotSparse(m.borrowedDeviation, x) : 0;
    const deviation = m.deviation.mean(x, m.deviationScale) + borrowed;
    // One backfitting sweep: each part learns what the other does not explain.
    m.deviation.update(scaled(x, m.deviationScale, this.scaledContext), y - sharedPart - borrowed);
    this.shared.update(scaled(x, this.sharedScale, this.scaledContext), y - deviation);
    m.pulls++;
    const expected = o.expectedCostUsd;
    // The usage ratio is only defined against the expectation the decision was made with;
    // without it the outcome teaches quality only.
    if (expected !== undefined && expected > 0 && o.costUsd >= 0) {
      const borrowedUsage = m.borrowedUsage ? dotSparse(m.borrowedUsage, x) : 0;
      m.usage.update(
        scaled(x, this.usageScale, this.scaledContext),
        logUsageRatio(o.costUsd, expected) - borrowedUsage,
      );
    }
  }

  /** This prompt's expected cost on `arm`, given the per-model expectation `baseCost` (batch planning). */
  expectedCost(ctx: DecisionContext, arm: ArmId, baseCost: number): number {
    const m = this.models.get(arm);
    if (!m) return baseCost;
    const x = this.featureMap.raw(ctx, this.context);
    return promptCost(baseCost, this.usageMultiplier(m, x, this.shapeOf(m)), m.usageMultiplier.mean);
  }

  estimate(ctx: DecisionContext, arm: ArmId): QualityEstimate {
    const m = this.models.get(arm);
    if (!m) return { mean: this.params.coldMean, halfWidth: Infinity, n: 0 };
    const x = this.featureMap.raw(ctx, this.context);
    const v = m.deviation.variance(x, m.deviationScale) + this.shared.variance(x, this.sharedScale);
    return { mean: this.quality(m, x), halfWidth: 1.96 * this.noise * Math.sqrt(v), n: m.pulls };
  }

  addArm(arm: ArmId, prior?: ArmPrior): void {
    if (this.models.has(arm)) return;
    this.removed.delete(arm);
    const m = blankArmModel(
      prior ? prior.mean : this.params.coldMean,
      this.defaultDeviationScale,
      this.featureMap.dimension,
      this.featureMap.coreSize,
    );
    // A cold arm's level is an assumption worth `coldWeight` outcomes: enough that one bad
    // draw does not bury it, few enough that a genuinely worse arm is dropped quickly.
    m.cold = !prior;
    const weight = prior ? prior.weight : this.params.coldWeight;
    if (weight > 0) {
      m.deviation.update(AutoFeatureMap.intercept(m.deviationScale[0]), 0, weight);
      m.deviationPrior = m.deviation.dataState();
    }
    this.models.set(arm, m);
  }

  removeArm(arm: ArmId): void {
    this.models.delete(arm);
    this.removed.add(arm);
  }

  /**
   * Offline priors from a full-information reward file (every arm's outcome of every row):
   * per-arm mean quality, the shared and per-arm deviation models fitted on all rows, and
   * (empirical Bayes) the deviation widths and the noise level the file shows. Excluded arms
   * (a model meant to arrive cold) learn nothing; an arm already in the policy but absent
   * from the file keeps its cold prior.
   */
  warmStart(rows: readonly WarmRow[], opts: WarmStartOptions = {}): void {
    const context = opts.context ?? ((r: WarmRow) => ({ text: r.prompt }));
    const exclude = [...(opts.exclude ?? []), ...this.removed];
    const D = this.featureMap.dimension;
    const xs: Sparse[] = [];
    const ws = fitWarmStart(rows, {
      exclude,
      featurize: (r) => {
        const x = this.featureMap.raw(context(r));
        xs.push(x);
        return densify(x, D);
      },
    });
    const arms = Object.keys(ws.arms).filter((a) => ws.linear?.[a]);
    if (arms.length === 0) return;
    const meanQuality = Object.fromEntries(arms.map((a) => [a, ws.arms[a].meanQuality]));
    const p = this.params;
    const eb = p.empiricalBayes > 0 ? empiricalBayes(rows, arms, meanQuality, new Set(exclude)) : null;
    if (eb) {
      this.noise = Math.max(MIN_NOISE, eb.noise);
      const sharedWidth = templateScale(eb.sharedTau, this.noise);
      this.sharedScale = this.featureMap.scales(0, sharedWidth, p.sharedFeatureScale, p.sharedFeatureScale);
      const avg = arms.reduce((s, a) => s + eb.armTau[a], 0) / arms.length;
      this.defaultDeviationScale = this.featureMap.scales(
        p.biasScale,
        templateScale(avg, this.noise),
        p.featureScale,
        p.featureScale,
      );
    }
    // Shared part: the mean over arms of each row's centred quality.
    const k = arms.length;
    const sharedLin: WarmLinearStats = {
      d: D,
      n: 0,
      xx: new Float64Array(D * D),
      xs: new Float64Array(D),
      xq: new Float64Array(D),
      xlc: new Float64Array(D),
    };
    for (const a of arms) {
      const lin = ws.linear![a];
      sharedLin.n = Math.max(sharedLin.n, lin.n);
      for (let i = 0; i < D * D; i++) sharedLin.xx[i] += lin.xx[i] / k;
      for (let i = 0; i < D; i++) sharedLin.xq[i] += (lin.xq[i] - meanQuality[a] * lin.xs[i]) / k;
    }
    this.shared.absorb(sharedLin, this.sharedScale, (i) => sharedLin.xq[i] / this.noise);
    this.sharedPrior = this.shared.dataState();
    for (const a of arms) {
      const lin = ws.linear![a];
      const s = ws.arms[a];
      const scale = eb
        ? this.featureMap.scales(p.biasScale, templateScale(eb.armTau[a], this.noise), p.featureScale, p.featureScale)
        : this.defaultDeviationScale;
      const m = blankArmModel(s.meanQuality, scale, D, this.featureMap.coreSize);
      this.models.set(a, m);
      this.removed.delete(a);
      // Deviation: centred quality minus the shared part, sum x (q - m0) - sum x ebar.
      m.deviation.absorb(
        lin,
        m.deviationScale,
        (i) => (lin.xq[i] - meanQuality[a] * lin.xs[i] - sharedLin.xq[i]) / this.noise,
      );
      m.deviationPrior = m.deviation.dataState();
      // The usage anchor is the arm's mean cost over the file, which is what the cost model's
      // expectation becomes after observing the same rows.
      const logMean = Math.log(Math.max(MIN_COST, s.meanCost));
      m.usage.absorb(lin, this.usageScale, (i) => lin.xlc[i] - logMean * lin.xs[i]);
      m.usagePrior = m.usage.dataState();
      m.offlineRows = s.n;
      // The traffic means start from the file's prompts.
      const count = Math.min(xs.length, TRAFFIC_WINDOW);
      let multiplierSum = 0;
      let deviationSum = 0;
      for (const x of xs) {
        multiplierSum += usageMultiplier(m.usage.mean(x, this.usageScale));
        deviationSum += m.deviation.mean(x, m.deviationScale);
      }
      m.usageMultiplier = { mean: xs.length > 0 ? multiplierSum / xs.length : 0, count };
      m.deviationMean = { mean: xs.length > 0 ? deviationSum / xs.length : 0, count };
    }
  }

  toState(): PolicyState {
    const arms: AutoStats['arms'] = {};
    for (const [a, m] of this.models) arms[a] = armState(m);
    const stats: AutoStats = {
      format: AUTO_STATE_FORMAT,
      noise: this.noise,
      sharedMean: { ...this.sharedMean },
      sharedScale: Array.from(this.sharedScale),
      shared: this.shared.toState(),
      sharedPrior: this.sharedPrior,
      arms,
      removed: [...this.removed],
    };
    return {
      algorithm: this.algorithm,
      params: { ...this.params, seed: this.seed, priors: this.priors },
      arms: this.arms(),
      stats,
      rng: this.rng.state,
    };
  }

  /**
   * Adds another replica's statistics. Both must have started from the same prior (same
   * offline file, same options); what they share (the base snapshot, or else the prior) is
   * subtracted once so that it is not counted twice.
   */
  merge(other: PolicyState, base?: PolicyState): void {
    const { dimension, coreSize } = this.featureMap;
    const o = migrateStats(other.stats, coreSize);
    const b = base ? migrateStats(base.stats, coreSize) : undefined;
    this.shared.merge(o.shared, b ? b.shared : o.sharedPrior);
    this.sharedMean = pooled(this.sharedMean, o.sharedMean);
    for (const a of other.arms) {
      if (this.removed.has(a)) continue;
      const os = o.arms[a];
      if (!this.models.has(a)) this.models.set(a, armSkeleton(os, dimension, coreSize));
      const m = this.models.get(a)!;
      const bs = b?.arms[a];
      m.deviation.merge(os.deviation, bs ? bs.deviation : os.deviationPrior);
      m.usage.merge(os.usage, bs ? bs.usage : os.usagePrior);
      m.pulls += os.pulls - (bs ? bs.pulls : 0);
      m.usageMultiplier = pooled(m.usageMultiplier, os.usageMultiplier);
      m.deviationMean = pooled(m.deviationMean, os.deviationMean);
    }
  }

  /** Restores any stored format (state-codec migrates formats 1 and 2). */
  static fromState(s: PolicyState): AutoPolicy {
    const params = s.params as Partial<Params> & { seed?: number; priors?: Record<ArmId, ArmPrior> };
    const p = new AutoPolicy({ ...params, arms: [] });
    const st = migrateStats(s.stats, p.featureMap.coreSize);
    p.noise = st.noise;
    p.sharedMean = { ...st.sharedMean };
    p.sharedScale = Float64Array.from(st.sharedScale);
    p.shared.load(st.shared);
    p.sharedPrior = st.sharedPrior;
    for (const a of s.arms)
      p.models.set(a, armModelFromState(st.arms[a], p.featureMap.dimension, p.featureMap.coreSize));
    for (const a of st.removed) p.removed.add(a);
    if (s.rng !== undefined) p.rng.state = s.rng;
    return p;
  }
}

/** A cold arm nobody has observed yet borrows the best informed arm's shape (shapeOf). */
function borrowsShape(m: ArmModel): boolean {
  return m.cold && unobserved(m);
}

/** Coefficients on raw features of a model fitted on scaled ones (plus a raw prior). */
function rawWeights(w: Float64Array, scale: Float64Array, prior: Float64Array | null): Float64Array {
  const out = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = w[i] * scale[i] + (prior ? prior[i] : 0);
  return out;
}

registerPolicy('auto', (o) => new AutoPolicy(o as AutoOptions), AutoPolicy.fromState);
