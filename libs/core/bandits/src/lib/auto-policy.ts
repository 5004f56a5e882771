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
} from './policy';
import { Rng } from './rng';
import { eligibleArms } from './eligibility';
import { registerPolicy } from './registry';
import { WarmLinearStats, WarmRow, WarmStartOptions, WarmStartable, fitWarmStart } from './warm-start';

/**
 * `auto`, the default policy. Why it is built this way: docs/decisions/0004-auto-policy.md.
 *
 *   score(a, x) = m_a + s(x) + d_a(x) + alpha * noise * sd(d_a(x)) - lambda * c_a(x)
 *
 * Quality, in two parts (a "hybrid" linear model fitted by backfitting):
 *   s(x)    what makes a prompt easy or hard for every model (shared ridge regression);
 *   d_a(x)  how arm a deviates from its own mean m_a on this prompt (ridge per arm).
 * Only m_a + d_a decides between arms, and the deviations are small and noisy, so they get
 * their own, tighter priors. Their widths come from an offline file by empirical Bayes (how
 * much arms really differ between prompt templates there), or from defaults without one.
 * Features: bias, log length, prompt-template indicators (hashed opening and closing words)
 * and the caller's context features.
 *
 * Cost: the caller's expected cost of the arm (price x mean usage, so a price event acts on
 * the next decision) redistributed over prompts by a learned, price-free usage multiplier
 * (long or verbose prompts cost more), normalised so that it never moves the per-arm mean.
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
};
type Params = typeof DEFAULTS;

/** Number of template keys hashed into their own bucket block each. */
const KEYS = 3;
/** Dense slots computed from the text itself: log length. */
const TEXT_SLOTS = 1;
const MIN_COST = 1e-12;
/** Memory, in decisions, of the traffic mean of each arm's usage multiplier. */
const EM_WINDOW = 200;
/** Empirical-Bayes template groups smaller than this carry too little to separate signal from noise. */
const EB_MIN_GROUP = 3;
/** Bounds on empirical-Bayes widths (noise units per key) and on the noise itself. */
const EB_MIN_SCALE = 0.02;
const EB_MAX_SCALE = 2;
const MIN_NOISE = 0.03;

const RE_WORD = /[\p{L}\p{N}]+/gu;

/**
 * FNV-1a, 32 bit: the template keys are short strings, and the hash must be identical in every
 * replica and across restarts (no per-process seed).
 */
function fnv1a(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Prompt-template keys. Production prompts, like benchmark items, come from a small number of
 * templates (a system prompt, "Answer with the correct letter", "Write a python function"),
 * and which model wins is mostly a property of the template. Its opening and closing words
 * identify it far more sharply than bag-of-n-gram features, whose hashed mass is dominated by
 * the variable content.
 */
export function templateKeys(text: string): string[] {
  const words = text.toLowerCase().match(RE_WORD) ?? [];
  return [words.slice(0, 2).join(' '), words.slice(-4).join(' '), words.slice(0, 1).join(' ')];
}

/** Sparse feature vector: the indices of the non-zero entries and their values. */
interface Sparse {
  idx: Int32Array;
  val: Float64Array;
  nnz: number;
}

/** Unscaled features of one context, with the per-model scalings applied lazily. */
class FeatureMap {
  readonly D: number;
  private readonly tStart = 1 + TEXT_SLOTS;
  private readonly fStart: number;

  constructor(
    readonly d: number,
    readonly buckets: number,
  ) {
    this.fStart = this.tStart + KEYS * buckets;
    this.D = this.fStart + d;
  }

  /** Raw (unit-scale) features: bias, log length, template one-hots, context features. */
  raw(ctx: DecisionContext): Sparse {
    const f = ctx.features;
    const cap = 1 + TEXT_SLOTS + KEYS + (f ? Math.min(f.length, this.d) : 0);
    const idx = new Int32Array(cap);
    const val = new Float64Array(cap);
    let k = 0;
    idx[k] = 0;
    val[k++] = 1;
    const text = ctx.text ?? '';
    idx[k] = 1;
    // log1p(16k chars) = 1: the same saturation as the featurizer's length slot.
    val[k++] = Math.min(1, Math.log1p(text.length) / Math.log1p(16384));
    if (text.length > 0) {
      const keys = templateKeys(text);
      for (let j = 0; j < KEYS; j++) {
        idx[k] = this.tStart + j * this.buckets + (fnv1a(keys[j], j + 1) % this.buckets);
        val[k++] = 1;
      }
    }
    if (f) {
      const m = Math.min(f.length, this.d);
      for (let i = 0; i < m; i++) {
        const v = f[i];
        if (v === 0 || !Number.isFinite(v)) continue;
        idx[k] = this.fStart + i;
        val[k++] = v;
      }
    }
    return { idx, val, nnz: k };
  }

  /** Per-coordinate scale of a model: [bias, text slots, template block, feature block]. */
  scales(bias: number, template: number, feature: number, text: number): Float64Array {
    const s = new Float64Array(this.D);
    s[0] = bias;
    for (let i = 1; i < this.tStart; i++) s[i] = text;
    for (let i = this.tStart; i < this.fStart; i++) s[i] = template;
    for (let i = this.fStart; i < this.D; i++) s[i] = feature;
    return s;
  }
}

function scaled(x: Sparse, s: Float64Array): Sparse {
  const val = new Float64Array(x.nnz);
  for (let k = 0; k < x.nnz; k++) val[k] = x.val[k] * s[x.idx[k]];
  return { idx: x.idx, val, nnz: x.nnz };
}

/**
 * Ridge regression with unit prior precision, updated by recursive least squares
 * (Sherman-Morrison on A^-1 plus the matching weight update): O(D * nnz + D^2) per
 * observation, O(nnz^2) per prediction, no inversion after the warm start.
 */
class Ridge {
  /** Data part of A (A = I + G), kept for merging and serialising; G = sum z z'. */
  G: Float64Array;
  /** sum z y. */
  b: Float64Array;
  P: Float64Array;
  w: Float64Array;
  n = 0;
  private readonly u: Float64Array;

  constructor(readonly D: number) {
    this.G = new Float64Array(D * D);
    this.b = new Float64Array(D);
    this.P = new Float64Array(D * D);
    for (let i = 0; i < D; i++) this.P[i * D + i] = 1;
    this.w = new Float64Array(D);
    this.u = new Float64Array(D);
  }

  mean(z: Sparse): number {
    let s = 0;
    for (let k = 0; k < z.nnz; k++) s += this.w[z.idx[k]] * z.val[k];
    return s;
  }

  /** z' A^-1 z. */
  quad(z: Sparse): number {
    const { P, D } = this;
    let s = 0;
    for (let a = 0; a < z.nnz; a++) {
      const row = z.idx[a] * D;
      let r = 0;
      for (let c = 0; c < z.nnz; c++) r += P[row + z.idx[c]] * z.val[c];
      s += r * z.val[a];
    }
    return Math.max(0, s);
  }

  update(z: Sparse, y: number, weight = 1): void {
    const { P, D, u, w } = this;
    // u = P z (P symmetric, so column access = row access).
    u.fill(0);
    for (let c = 0; c < z.nnz; c++) {
      const row = z.idx[c] * D;
      const v = z.val[c] * Math.sqrt(weight);
      for (let i = 0; i < D; i++) u[i] += P[row + i] * v;
    }
    let zu = 0;
    for (let c = 0; c < z.nnz; c++) zu += u[z.idx[c]] * z.val[c] * Math.sqrt(weight);
    const denom = 1 + zu;
    const err = (y - this.mean(z)) * Math.sqrt(weight);
    const g = err / denom;
    for (let i = 0; i < D; i++) w[i] += u[i] * g;
    const inv = 1 / denom;
    for (let i = 0; i < D; i++) {
      const ui = u[i] * inv;
      if (ui === 0) continue;
      const row = i * D;
      for (let j = 0; j < D; j++) P[row + j] -= ui * u[j];
    }
    for (let a = 0; a < z.nnz; a++) {
      const ia = z.idx[a];
      const va = z.val[a] * weight;
      this.b[ia] += va * y;
      const row = ia * D;
      for (let c = 0; c < z.nnz; c++) this.G[row + z.idx[c]] += va * z.val[c];
    }
    this.n += weight;
  }

  /** Recomputes A^-1 and w from G and b (after a warm start or a merge). */
  refresh(): void {
    const { D } = this;
    const A = new Float64Array(D * D);
    for (let i = 0; i < D * D; i++) A[i] = this.G[i];
    for (let i = 0; i < D; i++) A[i * D + i] += 1;
    invertSpdFull(A, D, this.P);
    for (let i = 0; i < D; i++) {
      let s = 0;
      const row = i * D;
      for (let j = 0; j < D; j++) s += this.P[row + j] * this.b[j];
      this.w[i] = s;
    }
  }
}

/** Inverse of a symmetric positive definite matrix (row-major, full) by Cholesky. */
function invertSpdFull(A: Float64Array, D: number, out: Float64Array): void {
  const L = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * D + j];
      for (let k = 0; k < j; k++) s -= L[i * D + k] * L[j * D + k];
      if (i === j) L[i * D + i] = Math.sqrt(Math.max(s, 1e-12));
      else L[i * D + j] = s / L[j * D + j];
    }
  }
  // Solve L Y = I column by column, then A^-1 = Y' Y.
  const Y = new Float64Array(D * D);
  for (let c = 0; c < D; c++) {
    for (let i = c; i < D; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= L[i * D + k] * Y[k * D + c];
      Y[i * D + c] = s / L[i * D + i];
    }
  }
  for (let i = 0; i < D; i++) {
    for (let j = i; j < D; j++) {
      let s = 0;
      for (let k = j; k < D; k++) s += Y[k * D + i] * Y[k * D + j];
      out[i * D + j] = s;
      out[j * D + i] = s;
    }
  }
}

interface ArmModel {
  /** Mean quality the arm's model is centred on (offline mean, or assumed for a cold arm). */
  m0: number;
  /** Per-coordinate prior sd of the deviation model (noise units). */
  scale: Float64Array;
  /**
   * Prior coefficients on RAW features (null for most arms): a cold arm starts with the
   * incumbent's deviation shape and the others' usage shape, so that it only has to learn
   * its level and its own differences, not the whole prompt structure from scratch.
   */
  w0: Float64Array | null;
  u0: Float64Array | null;
  dev: Ridge;
  /** log(cost / expected cost at decision) on the usage features. */
  usage: Ridge;
  pulls: number;
  /** Rows of an offline file this arm was warm-started from. */
  offline: number;
  /**
   * Traffic mean of exp(r(x)) over recent decisions. The usage model only redistributes the
   * cost model's per-arm mean across prompts (cost = base * exp(r(x)) / em), it never moves
   * the level: the level belongs to price x mean usage, which a price event or a cold arm's
   * first calls would otherwise contaminate.
   */
  em: number;
  emN: number;
  /**
   * Traffic mean of the arm's deviation d(x) (noise units). The template indicators always
   * sum to the same value, so the level of a deviation model is spread over them rather than
   * sitting in its intercept; this mean is what separates the level from the shape.
   */
  dm: number;
  dmN: number;
  /** Statistics that came from a prior (warm start, cold weight), counted once when replicas merge. */
  prior: RidgeSnapshot | null;
  uprior: RidgeSnapshot | null;
  /** Added without a prior: borrows an incumbent's shape until its first outcome. */
  cold: boolean;
}

interface RidgeSnapshot {
  G: number[];
  b: number[];
  n: number;
}

interface Cached {
  x: Sparse;
  zs: Sparse;
  zc: Sparse;
  za: Map<ArmModel, Sparse>;
  costs?: Readonly<Record<ArmId, number>>;
}

interface ArmState {
  m0: number;
  scale: number[];
  w0: number[] | null;
  u0: number[] | null;
  dev: RidgeSnapshot;
  usage: RidgeSnapshot;
  pulls: number;
  offline: number;
  em: number;
  emN: number;
  dm: number;
  dmN: number;
  prior: RidgeSnapshot | null;
  uprior: RidgeSnapshot | null;
  cold: boolean;
}

interface AutoStats {
  noise: number;
  sm: number;
  smN: number;
  sharedScale: number[];
  shared: RidgeSnapshot;
  sharedPrior: RidgeSnapshot | null;
  arms: Record<ArmId, ArmState>;
  removed: ArmId[];
}

function snap(r: Ridge): RidgeSnapshot {
  return { G: Array.from(r.G), b: Array.from(r.b), n: r.n };
}

function load(r: Ridge, s: RidgeSnapshot): void {
  r.G.set(s.G);
  r.b.set(s.b);
  r.n = s.n;
  r.refresh();
}

export class AutoPolicy implements Policy, WarmStartable {
  readonly algorithm = 'auto';
  private readonly p: Params;
  private readonly fm: FeatureMap;
  private noise: number;
  private sharedScale: Float64Array;
  private readonly usageScale: Float64Array;
  private readonly shared: Ridge;
  private sharedPrior: RidgeSnapshot | null = null;
  /** Traffic mean of the shared part (noise units): with dm, what separates levels from shapes. */
  private sm = 0;
  private smN = 0;
  /** Deviation widths a new arm gets (empirical Bayes average once an offline file was seen). */
  private defaultScale: Float64Array;
  private readonly models = new Map<ArmId, ArmModel>();
  private readonly removed = new Set<ArmId>();
  private readonly rng: Rng;
  private readonly seed: number;
  private readonly priors: Record<ArmId, ArmPrior>;
  /** Features and offered costs of recent contexts: update() gets the same context object. */
  private cache = new WeakMap<DecisionContext, Cached>();

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
    this.p = p;
    this.seed = opts.seed ?? 1;
    this.rng = new Rng(this.seed);
    this.fm = new FeatureMap(p.d, p.buckets);
    this.noise = p.noise;
    // The shared model has no intercept: levels are per arm (m0 and the deviation intercept).
    this.sharedScale = this.fm.scales(0, p.sharedTemplateScale, p.sharedFeatureScale, p.sharedFeatureScale);
    this.defaultScale = this.fm.scales(p.biasScale, p.templateScale, p.featureScale, p.featureScale);
    this.usageScale = this.fm.scales(p.costBiasScale, p.costTemplateScale, p.costFeatureScale, p.costFeatureScale);
    this.shared = new Ridge(this.fm.D);
    this.priors = { ...(opts.priors ?? {}) };
    for (const a of opts.arms ?? []) this.addArm(a, this.priors[a]);
  }

  arms(): ArmId[] {
    return [...this.models.keys()];
  }

  private features(ctx: DecisionContext): Cached {
    let c = this.cache.get(ctx);
    if (!c) {
      const x = this.fm.raw(ctx);
      c = { x, zs: scaled(x, this.sharedScale), zc: scaled(x, this.usageScale), za: new Map() };
      this.cache.set(ctx, c);
    }
    return c;
  }

  private za(m: ArmModel, c: Cached): Sparse {
    let z = c.za.get(m);
    if (!z) c.za.set(m, (z = scaled(c.x, m.scale)));
    return z;
  }

  private model(arm: ArmId): ArmModel {
    let m = this.models.get(arm);
    if (!m) {
      this.addArm(arm, this.priors[arm]);
      m = this.models.get(arm)!;
    }
    return m;
  }

  /** Deviation of arm m on this prompt, noise units (learned part plus a cold arm's prior shape). */
  private deviation(m: ArmModel, c: Cached): number {
    return m.dev.mean(this.za(m, c)) + (m.w0 ? dotSparse(m.w0, c.x) : 0);
  }

  /** deviation(), also folded into the arm's traffic mean (every prompt the arm is scored on). */
  private trackedDeviation(m: ArmModel, c: Cached): number {
    const d = this.deviation(m, c);
    m.dmN++;
    m.dm += (d - m.dm) / Math.min(m.dmN, EM_WINDOW);
    return d;
  }

  private quality(m: ArmModel, c: Cached): number {
    return m.m0 + this.noise * (this.shared.mean(c.zs) + this.deviation(m, c));
  }

  private trackShared(c: Cached): void {
    this.smN++;
    this.sm += (this.shared.mean(c.zs) - this.sm) / Math.min(this.smN, EM_WINDOW);
  }

  private usageOffset(m: ArmModel, c: Cached): number {
    return m.usage.mean(c.zc) + (m.u0 ? dotSparse(m.u0, c.x) : 0);
  }

  /** Expected cost of this prompt on this arm, from the per-arm expectation `base`. */
  private cost(m: ArmModel, c: Cached, base: number, track: boolean): number {
    if (base <= 0) return 0;
    const e = Math.exp(Math.min(5, Math.max(-5, this.usageOffset(m, c))));
    if (track) {
      m.emN++;
      m.em += (e - m.em) / Math.min(m.emN, EM_WINDOW);
    }
    return m.em > 0 ? (base * e) / m.em : base;
  }

  decide(ctx: DecisionContext, available: readonly ArmId[], c: DecideConstraints): Decision {
    const offered = available.filter((a) => !this.removed.has(a));
    if (offered.length === 0)
      throw new Error('auto: no arm available to decide between (all offered arms were removed)');
    const f = this.features(ctx);
    f.costs = c.costs;
    this.trackShared(f);
    const arms = eligibleArms(offered, c, (a) => this.quality(this.model(a), f));
    const scores: Record<ArmId, number> = {};
    let best = -Infinity;
    let ties: ArmId[] = [];
    // The shared part is the same for every arm: it is left out of the comparison, and so is
    // its uncertainty (exploring cannot tell arms apart on it).
    for (const a of arms) {
      const m = this.model(a);
      this.borrowShape(m);
      const za = this.za(m, f);
      const bonus = this.p.alpha > 0 ? this.p.alpha * this.noise * Math.sqrt(m.dev.quad(za)) : 0;
      const s =
        m.m0 + this.noise * this.trackedDeviation(m, f) + bonus - c.lambda * this.cost(m, f, c.costs[a] ?? 0, true);
      scores[a] = s;
      if (s > best) {
        best = s;
        ties = [a];
      } else if (s === best) ties.push(a);
    }
    if (ties.length === 0) ties = [...arms];
    const arm = ties.length === 1 ? ties[0] : ties[this.rng.int(ties.length)];
    const probabilities: Record<ArmId, number> = {};
    for (const a of arms) probabilities[a] = ties.includes(a) ? 1 / ties.length : 0;
    return { arm, propensity: 1 / ties.length, scores, probabilities };
  }

  update(ctx: DecisionContext, arm: ArmId, o: Outcome): void {
    if (this.removed.has(arm)) return;
    const m = this.model(arm);
    const f = this.features(ctx);
    const y = (o.quality - m.m0) / this.noise;
    const s = this.shared.mean(f.zs);
    const d = this.deviation(m, f);
    // One backfitting sweep: each part learns what the other does not explain.
    m.dev.update(this.za(m, f), y - s - (m.w0 ? dotSparse(m.w0, f.x) : 0));
    this.shared.update(f.zs, y - d);
    m.pulls++;
    const base = f.costs?.[arm];
    // The usage ratio is only defined against the expectation the decision was made with; an
    // update for a context this replica never decided on teaches quality only.
    if (base !== undefined && base > 0 && o.costUsd >= 0) {
      const r = Math.log(Math.max(MIN_COST, o.costUsd) / base);
      m.usage.update(f.zc, r - (m.u0 ? dotSparse(m.u0, f.x) : 0));
    }
  }

  /** This prompt's expected cost on `arm`, given the per-model expectation `baseCost` (batch planning). */
  expectedCost(ctx: DecisionContext, arm: ArmId, baseCost: number): number {
    const m = this.models.get(arm);
    return m ? this.cost(m, this.features(ctx), baseCost, false) : baseCost;
  }

  estimate(ctx: DecisionContext, arm: ArmId): QualityEstimate {
    const m = this.models.get(arm);
    if (!m) return { mean: this.p.coldMean, halfWidth: Infinity, n: 0 };
    this.borrowShape(m);
    const f = this.features(ctx);
    const v = m.dev.quad(this.za(m, f)) + this.shared.quad(f.zs);
    this.trackedDeviation(m, f);
    this.trackShared(f);
    return { mean: this.quality(m, f), halfWidth: 1.96 * this.noise * Math.sqrt(v), n: m.pulls };
  }

  private blank(m0: number, scale: Float64Array): ArmModel {
    const D = this.fm.D;
    return {
      m0,
      scale: Float64Array.from(scale),
      w0: null,
      u0: null,
      dev: new Ridge(D),
      usage: new Ridge(D),
      pulls: 0,
      offline: 0,
      em: 0,
      emN: 0,
      dm: 0,
      dmN: 0,
      prior: null,
      uprior: null,
      cold: false,
    };
  }

  addArm(arm: ArmId, prior?: ArmPrior): void {
    if (this.models.has(arm)) return;
    this.removed.delete(arm);
    const m = this.blank(prior ? prior.mean : this.p.coldMean, this.defaultScale);
    // A cold arm's level is an assumption worth `coldWeight` outcomes: enough that one bad
    // draw does not bury it, few enough that a genuinely worse arm is dropped quickly.
    m.cold = !prior;
    const weight = prior ? prior.weight : this.p.coldWeight;
    if (weight > 0) {
      const z: Sparse = { idx: Int32Array.of(0), val: Float64Array.of(m.scale[0]), nnz: 1 };
      m.dev.update(z, 0, weight);
      m.prior = snap(m.dev);
    }
    this.models.set(arm, m);
  }

  /**
   * An arm that has never been observed (no pull, no offline row) and has no explicit prior
   * borrows its prompt-by-prompt shape from the currently best informed arm, refreshed until
   * its first outcome: it keeps its optimistic level (coldMean) and is then compared with
   * the incumbents on what it costs, not on a blank model that knows no prompt structure.
   */
  private borrowShape(m: ArmModel): void {
    if (m.pulls + m.offline > 0 || !m.cold) return;
    let best: ArmModel | null = null;
    let level = -Infinity;
    const informed: ArmModel[] = [];
    for (const o of this.models.values()) {
      if (o.pulls + o.offline === 0) continue;
      informed.push(o);
      const l = o.m0 + this.noise * o.dm;
      if (l > level) {
        level = l;
        best = o;
      }
    }
    if (!best) return;
    m.w0 = rawWeights(best.dev.w, best.scale, best.w0);
    // Only the shape is borrowed (the raw intercept is always 1, so subtracting the traffic
    // means of the borrowed deviation and of the shared part there centres it); the level
    // stays the newcomer's own optimistic assumption.
    m.w0[0] -= best.dm + this.sm;
    const u0 = new Float64Array(this.fm.D);
    for (const o of informed) {
      const u = rawWeights(o.usage.w, this.usageScale, o.u0);
      for (let i = 0; i < u.length; i++) u0[i] += u[i] / informed.length;
    }
    // The usage intercept is the cost model's business.
    u0[0] = 0;
    m.u0 = u0;
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
    const xs: Sparse[] = [];
    const ws = fitWarmStart(rows, {
      exclude,
      featurize: (r) => {
        const x = this.fm.raw(context(r));
        xs.push(x);
        return densify(x, this.fm.D);
      },
    });
    const arms = Object.keys(ws.arms).filter((a) => ws.linear?.[a]);
    if (arms.length === 0) return;
    const m0: Record<ArmId, number> = Object.fromEntries(arms.map((a) => [a, ws.arms[a].meanQuality]));
    const eb = this.p.empiricalBayes > 0 ? empiricalBayes(rows, arms, m0, new Set(exclude)) : null;
    if (eb) {
      this.noise = Math.max(MIN_NOISE, eb.noise);
      const perKey = (tau: number) =>
        Math.min(EB_MAX_SCALE, Math.max(EB_MIN_SCALE, tau / Math.sqrt(KEYS) / this.noise));
      this.sharedScale = this.fm.scales(0, perKey(eb.sharedTau), this.p.sharedFeatureScale, this.p.sharedFeatureScale);
      const avg = arms.reduce((s, a) => s + eb.tau[a], 0) / arms.length;
      this.defaultScale = this.fm.scales(this.p.biasScale, perKey(avg), this.p.featureScale, this.p.featureScale);
    }
    // Shared part: the mean over arms of each row's centred quality.
    const D = this.fm.D;
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
      for (let i = 0; i < D; i++) sharedLin.xq[i] += (lin.xq[i] - m0[a] * lin.xs[i]) / k;
    }
    this.cache = new WeakMap();
    absorb(this.shared, sharedLin, this.sharedScale, (i) => sharedLin.xq[i] / this.noise);
    this.sharedPrior = snap(this.shared);
    for (const a of arms) {
      const lin = ws.linear![a];
      const s = ws.arms[a];
      const m = this.blank(
        s.meanQuality,
        eb
          ? this.fm.scales(
              this.p.biasScale,
              Math.min(EB_MAX_SCALE, Math.max(EB_MIN_SCALE, eb.tau[a] / Math.sqrt(KEYS) / this.noise)),
              this.p.featureScale,
              this.p.featureScale,
            )
          : this.defaultScale,
      );
      this.models.set(a, m);
      this.removed.delete(a);
      // Deviation: centred quality minus the shared part, sum x (q - m0) - sum x ebar.
      absorb(m.dev, lin, m.scale, (i) => (lin.xq[i] - m0[a] * lin.xs[i] - sharedLin.xq[i]) / this.noise);
      m.prior = snap(m.dev);
      // The usage anchor is the arm's mean cost over the file, which is what the cost model's
      // expectation becomes after observing the same rows.
      const logMean = Math.log(Math.max(MIN_COST, s.meanCost));
      absorb(m.usage, lin, this.usageScale, (i) => lin.xlc[i] - logMean * lin.xs[i]);
      m.uprior = snap(m.usage);
      m.offline = s.n;
      // The traffic mean of the multiplier starts from the file's prompts.
      let em = 0;
      for (const x of xs) em += Math.exp(Math.min(5, Math.max(-5, m.usage.mean(scaled(x, this.usageScale)))));
      m.em = xs.length > 0 ? em / xs.length : 0;
      m.emN = Math.min(xs.length, EM_WINDOW);
      let dm = 0;
      for (const x of xs) dm += m.dev.mean(scaled(x, m.scale));
      m.dm = xs.length > 0 ? dm / xs.length : 0;
      m.dmN = Math.min(xs.length, EM_WINDOW);
    }
  }

  toState(): PolicyState {
    const arms: Record<ArmId, ArmState> = {};
    for (const [a, m] of this.models) {
      arms[a] = {
        m0: m.m0,
        scale: Array.from(m.scale),
        w0: m.w0 ? Array.from(m.w0) : null,
        u0: m.u0 ? Array.from(m.u0) : null,
        dev: snap(m.dev),
        usage: snap(m.usage),
        pulls: m.pulls,
        offline: m.offline,
        em: m.em,
        emN: m.emN,
        dm: m.dm,
        dmN: m.dmN,
        prior: m.prior,
        uprior: m.uprior,
        cold: m.cold,
      };
    }
    const stats: AutoStats = {
      noise: this.noise,
      sm: this.sm,
      smN: this.smN,
      sharedScale: Array.from(this.sharedScale),
      shared: snap(this.shared),
      sharedPrior: this.sharedPrior,
      arms,
      removed: [...this.removed],
    };
    return {
      algorithm: this.algorithm,
      params: { ...this.p, seed: this.seed, priors: this.priors },
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
    const o = other.stats as AutoStats;
    const b = base?.stats as AutoStats | undefined;
    mergeRidge(this.shared, o.shared, b ? b.shared : o.sharedPrior);
    const sn = this.smN + o.smN;
    if (sn > 0) this.sm = (this.sm * this.smN + o.sm * o.smN) / sn;
    this.smN = Math.min(sn, EM_WINDOW);
    for (const a of other.arms) {
      if (this.removed.has(a)) continue;
      const os = o.arms[a];
      if (!this.models.has(a)) {
        const nm = this.blank(os.m0, Float64Array.from(os.scale));
        nm.w0 = os.w0 ? Float64Array.from(os.w0) : null;
        nm.u0 = os.u0 ? Float64Array.from(os.u0) : null;
        nm.offline = os.offline;
        nm.cold = os.cold;
        this.models.set(a, nm);
      }
      const m = this.models.get(a)!;
      const bs = b?.arms[a];
      mergeRidge(m.dev, os.dev, bs ? bs.dev : os.prior);
      mergeRidge(m.usage, os.usage, bs ? bs.usage : os.uprior);
      m.pulls += os.pulls - (bs ? bs.pulls : 0);
      const n = m.emN + os.emN;
      if (n > 0) m.em = (m.em * m.emN + os.em * os.emN) / n;
      m.emN = Math.min(n, EM_WINDOW);
      const dn = m.dmN + os.dmN;
      if (dn > 0) m.dm = (m.dm * m.dmN + os.dm * os.dmN) / dn;
      m.dmN = Math.min(dn, EM_WINDOW);
    }
    this.cache = new WeakMap();
  }

  static fromState(s: PolicyState): AutoPolicy {
    const params = s.params as Partial<Params> & { seed?: number; priors?: Record<ArmId, ArmPrior> };
    const p = new AutoPolicy({ ...params, arms: [] });
    const st = s.stats as AutoStats;
    p.noise = st.noise;
    p.sm = st.sm;
    p.smN = st.smN;
    p.sharedScale = Float64Array.from(st.sharedScale);
    load(p.shared, st.shared);
    p.sharedPrior = st.sharedPrior;
    for (const a of s.arms) {
      const as = st.arms[a];
      const m = p.blank(as.m0, Float64Array.from(as.scale));
      p.models.set(a, m);
      m.w0 = as.w0 ? Float64Array.from(as.w0) : null;
      m.u0 = as.u0 ? Float64Array.from(as.u0) : null;
      load(m.dev, as.dev);
      load(m.usage, as.usage);
      m.pulls = as.pulls;
      m.offline = as.offline;
      m.em = as.em;
      m.emN = as.emN;
      m.dm = as.dm;
      m.dmN = as.dmN;
      m.prior = as.prior;
      m.uprior = as.uprior;
      m.cold = as.cold;
    }
    for (const a of st.removed ?? []) p.removed.add(a);
    if (s.rng !== undefined) p.rng.state = s.rng;
    return p;
  }
}

function mergeRidge(r: Ridge, other: RidgeSnapshot, sub: RidgeSnapshot | null): void {
  for (let i = 0; i < r.G.length; i++) r.G[i] += other.G[i] - (sub ? sub.G[i] : 0);
  for (let i = 0; i < r.b.length; i++) r.b[i] += other.b[i] - (sub ? sub.b[i] : 0);
  r.n += other.n - (sub ? sub.n : 0);
  r.refresh();
}

/** Coefficients on raw features of a model fitted on scaled ones (plus a raw prior). */
function rawWeights(w: Float64Array, scale: Float64Array, prior: Float64Array | null): Float64Array {
  const out = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = w[i] * scale[i] + (prior ? prior[i] : 0);
  return out;
}

function dotSparse(w: Float64Array, z: Sparse): number {
  let s = 0;
  for (let k = 0; k < z.nnz; k++) s += w[z.idx[k]] * z.val[k];
  return s;
}

function densify(x: Sparse, D: number): Float64Array {
  const out = new Float64Array(D);
  for (let k = 0; k < x.nnz; k++) out[x.idx[k]] = x.val[k];
  return out;
}

/** Loads offline sufficient statistics (on raw features) into a ridge on scaled features. */
function absorb(r: Ridge, lin: WarmLinearStats, s: Float64Array, target: (i: number) => number): void {
  const D = r.D;
  if (lin.d !== D) throw new Error(`auto: warm-start dimension ${lin.d} != ${D}`);
  for (let i = 0; i < D; i++) {
    r.b[i] = s[i] * target(i);
    const row = i * D;
    for (let j = 0; j < D; j++) r.G[row + j] = s[i] * s[j] * lin.xx[row + j];
  }
  r.n = lin.n;
  r.refresh();
}

/** Between-group sd (method of moments) of per-row values grouped by key, and the pooled within-group variance. */
function betweenWithin(groups: Map<string, number[]>): { tau: number; within: number } {
  let n = 0;
  let sum = 0;
  let ssw = 0;
  let g = 0;
  let sumN2 = 0;
  const means: [number, number][] = [];
  for (const vs of groups.values()) {
    if (vs.length < EB_MIN_GROUP) continue;
    const m = vs.reduce((a, b) => a + b, 0) / vs.length;
    for (const v of vs) ssw += (v - m) * (v - m);
    means.push([m, vs.length]);
    n += vs.length;
    sum += m * vs.length;
    sumN2 += vs.length * vs.length;
    g++;
  }
  if (g < 2 || n <= g) return { tau: 0, within: 0 };
  const grand = sum / n;
  let ssb = 0;
  for (const [m, k] of means) ssb += k * (m - grand) * (m - grand);
  const within = ssw / (n - g);
  const tau2 = (ssb - (g - 1) * within) / (n - sumN2 / n);
  return { tau: Math.sqrt(Math.max(0, tau2)), within };
}

/**
 * Empirical Bayes on an offline file: how much each arm's deviation from the all-arm mean
 * really varies between prompt templates (opening + closing words), how much the shared
 * difficulty does, and the judge noise within a template.
 */
function empiricalBayes(
  rows: readonly WarmRow[],
  arms: ArmId[],
  m0: Record<ArmId, number>,
  exclude: Set<ArmId>,
): { tau: Record<ArmId, number>; sharedTau: number; noise: number } | null {
  const dev = new Map<ArmId, Map<string, number[]>>(arms.map((a) => [a, new Map()]));
  const raw = new Map<ArmId, Map<string, number[]>>(arms.map((a) => [a, new Map()]));
  const shared = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, v: number) => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  for (const r of rows) {
    const present = arms.filter((a) => r.arms[a] && !exclude.has(a));
    if (present.length < arms.length) continue;
    const keys = templateKeys(r.prompt);
    const key = `${keys[0]}|${keys[1]}`;
    const e = present.map((a) => r.arms[a].reward - m0[a]);
    const mean = e.reduce((x, y) => x + y, 0) / e.length;
    push(shared, key, mean);
    present.forEach((a, i) => {
      push(dev.get(a)!, key, e[i] - mean);
      push(raw.get(a)!, key, e[i]);
    });
  }
  const s = betweenWithin(shared);
  if (s.within === 0) return null;
  const tau: Record<ArmId, number> = {};
  let noise2 = 0;
  for (const a of arms) {
    tau[a] = betweenWithin(dev.get(a)!).tau;
    noise2 += betweenWithin(raw.get(a)!).within / arms.length;
  }
  return { tau, sharedTau: s.tau, noise: Math.sqrt(noise2) };
}

registerPolicy('auto', (o) => new AutoPolicy(o as AutoOptions), AutoPolicy.fromState);
