import { ArmId, ArmPrior, DecideConstraints, Decision, DecisionContext, Outcome, Policy, PolicyState, QualityEstimate } from './policy';
import { Rng } from './rng';
import { eligibleArms } from './eligibility';
import { registerPolicy } from './registry';
import { WarmLinearStats, WarmRow, WarmStartOptions, WarmStartable, fitWarmStart } from './warm-start';

/**
 * `auto`, the default policy. Design notes: docs/decisions/0004-auto-policy.md.
 *
 *   score(a, x) = q_a(x) + alpha * noise * sqrt(z' A_a^-1 z) - lambda * c_a(x)
 *
 * q_a(x): Bayesian ridge regression of quality on z(x) = [bias | prompt-template indicators |
 *         context features], centred on a per-arm prior mean (offline mean, or optimistic
 *         `coldMean` for an arm that arrives without one).
 * c_a(x): the caller's expected cost of the arm (price x mean usage, so a price event acts at
 *         once) times exp(r_a(x)), a learned, price-free token-usage ratio of THIS prompt
 *         against the arm's mean: long or verbose prompts cost more on every arm.
 *
 * Features are scaled per block instead of regularised per block (ridge with unit prior
 * precision on scaled features is the same thing), which keeps one A per arm.
 */
export interface AutoOptions {
  arms?: ArmId[];
  seed?: number;
  /** Length of context.features (0 = template and length features only). */
  d?: number;
  /** Hash buckets per template key (default 64). */
  buckets?: number;
  /** Prior sd of the intercept, in noise units (default 1: the first outcome moves it halfway). */
  biasScale?: number;
  /** Prior sd of a template effect on quality, in noise units. */
  templateScale?: number;
  /** Prior sd of a context-feature weight of the quality model, in noise units. */
  featureScale?: number;
  /** Same three for the log-usage model. */
  costBiasScale?: number;
  costTemplateScale?: number;
  costFeatureScale?: number;
  /** UCB width in posterior standard deviations. */
  alpha?: number;
  /** Residual sd of quality around the model (judge noise), sets the UCB scale. */
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
  templateScale: 0.06,
  featureScale: 0.05,
  costBiasScale: 1,
  costTemplateScale: 1,
  costFeatureScale: 1,
  alpha: 0.5,
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
  /** Prior mean quality the quality model is centred on. */
  m0: number;
  /**
   * Prior weight vectors of a cold arm (null otherwise): the other arms' average view of
   * which prompts are hard and which are long. The cold arm then only has to learn its
   * level and its own deviations, not the whole prompt structure from scratch.
   */
  wq0: Float64Array | null;
  wu0: Float64Array | null;
  quality: Ridge;
  /** log(cost / expected cost at decision) regressed on the cost features. */
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
  /** Statistics that came from a prior (warm start), counted once when replicas merge. */
  prior: { qG: number[]; qb: number[]; uG: number[]; ub: number[] } | null;
}

interface Cached {
  x: Sparse;
  zq: Sparse;
  zc: Sparse;
  costs?: Readonly<Record<ArmId, number>>;
}

interface ArmState {
  m0: number;
  wq0: number[] | null;
  wu0: number[] | null;
  pulls: number;
  offline: number;
  em: number;
  emN: number;
  q: { G: number[]; b: number[]; n: number };
  u: { G: number[]; b: number[]; n: number };
  prior: ArmModel['prior'];
}

export class AutoPolicy implements Policy, WarmStartable {
  readonly algorithm = 'auto';
  private readonly p: Params;
  private readonly fm: FeatureMap;
  private readonly sq: Float64Array;
  private readonly sc: Float64Array;
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
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`auto: option ${k} must be a finite number >= 0, got ${String(v)}`);
      p[k] = v;
    }
    if (!Number.isInteger(p.d) || !Number.isInteger(p.buckets) || p.buckets < 1) throw new Error('auto: d and buckets must be integers (buckets >= 1)');
    this.p = p;
    this.seed = opts.seed ?? 1;
    this.rng = new Rng(this.seed);
    this.fm = new FeatureMap(p.d, p.buckets);
    this.sq = this.fm.scales(p.biasScale, p.templateScale, p.featureScale, p.featureScale);
    this.sc = this.fm.scales(p.costBiasScale, p.costTemplateScale, p.costFeatureScale, p.costFeatureScale);
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
      c = { x, zq: scaled(x, this.sq), zc: scaled(x, this.sc) };
      this.cache.set(ctx, c);
    }
    return c;
  }

  private model(arm: ArmId): ArmModel {
    let m = this.models.get(arm);
    if (!m) {
      this.addArm(arm, this.priors[arm]);
      m = this.models.get(arm)!;
    }
    return m;
  }

  private quality(m: ArmModel, c: Cached): number {
    return m.m0 + this.p.noise * (m.quality.mean(c.zq) + (m.wq0 ? dotSparse(m.wq0, c.zq) : 0));
  }

  private usageOffset(m: ArmModel, c: Cached): number {
    return m.usage.mean(c.zc) + (m.wu0 ? dotSparse(m.wu0, c.zc) : 0);
  }

  private sd(m: ArmModel, c: Cached): number {
    return this.p.noise * Math.sqrt(m.quality.quad(c.zq));
  }

  /** Expected cost of this prompt on this arm, from the price-based expectation. */
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
    if (offered.length === 0) throw new Error('auto: no arm available to decide between (all offered arms were removed)');
    const f = this.features(ctx);
    f.costs = c.costs;
    const arms = eligibleArms(offered, c, (a) => this.quality(this.model(a), f));
    const scores: Record<ArmId, number> = {};
    let best = -Infinity;
    let ties: ArmId[] = [];
    for (const a of arms) {
      const m = this.model(a);
      const s = this.quality(m, f) + this.p.alpha * this.sd(m, f) - c.lambda * this.cost(m, f, c.costs[a] ?? 0, true);
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
    m.quality.update(f.zq, (o.quality - m.m0) / this.p.noise - (m.wq0 ? dotSparse(m.wq0, f.zq) : 0));
    m.pulls++;
    const base = f.costs?.[arm];
    // The usage ratio is only defined against the expectation the decision was made with; an
    // update for a context this replica never decided on teaches quality only.
    if (base !== undefined && base > 0 && o.costUsd >= 0) {
      const r = Math.log(Math.max(MIN_COST, o.costUsd) / base);
      m.usage.update(f.zc, r - (m.wu0 ? dotSparse(m.wu0, f.zc) : 0));
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
    const f = this.features(ctx);
    return { mean: this.quality(m, f), halfWidth: 1.96 * this.sd(m, f), n: m.pulls };
  }

  addArm(arm: ArmId, prior?: ArmPrior): void {
    if (this.models.has(arm)) return;
    this.removed.delete(arm);
    const m = this.blank(prior ? prior.mean : this.p.coldMean);
    const others = [...this.models.values()].filter((o) => o.pulls + o.offline > 0);
    if (!prior && others.length > 0) {
      // Optimism: a newcomer is assumed to be as good as the incumbent best arm, prompt by
      // prompt (its level and its per-prompt shape), until its own outcomes say otherwise.
      const best = others.reduce((a, b) => (b.m0 + this.p.noise * b.quality.w[0] * this.sq[0] > a.m0 + this.p.noise * a.quality.w[0] * this.sq[0] ? b : a));
      m.m0 = best.m0;
      m.wq0 = Float64Array.from(best.quality.w);
      if (best.wq0) for (let i = 0; i < m.wq0.length; i++) m.wq0[i] += best.wq0[i];
      m.wu0 = averageWeights(others, (o) => o.usage.w, (o) => o.wu0, this.fm.D);
    }
    // A cold arm's level is an assumption, worth `coldWeight` outcomes: enough that one bad
    // draw does not bury it, few enough that a genuinely worse arm is dropped quickly.
    if (!prior && this.p.coldWeight > 0) prior = { mean: m.m0, weight: this.p.coldWeight };
    if (prior && prior.weight > 0) {
      // Pseudo-observations of the prior mean on the intercept: they make the prior as hard to
      // move as `weight` real outcomes.
      const z: Sparse = { idx: Int32Array.of(0), val: Float64Array.of(this.sq[0]), nnz: 1 };
      m.quality.update(z, 0, prior.weight);
      m.prior = snapshotPrior(m);
    }
    this.models.set(arm, m);
  }

  private blank(m0: number): ArmModel {
    const D = this.fm.D;
    return { m0, wq0: null, wu0: null, quality: new Ridge(D), usage: new Ridge(D), pulls: 0, offline: 0, em: 0, emN: 0, prior: null };
  }

  removeArm(arm: ArmId): void {
    this.models.delete(arm);
    this.removed.add(arm);
  }

  /**
   * Offline priors from a full-information reward file: per-arm mean quality as the centre,
   * and the file's sufficient statistics (every row, every arm) as the starting A and b of the
   * quality and usage models. Excluded arms (a model meant to arrive cold) learn nothing.
   */
  warmStart(rows: readonly WarmRow[], opts: WarmStartOptions = {}): void {
    const context = opts.context ?? ((r: WarmRow) => ({ text: r.prompt }));
    const exclude = new Set(opts.exclude ?? []);
    const xs: Sparse[] = [];
    const ws = fitWarmStart(rows, {
      exclude: [...exclude, ...this.removed],
      featurize: (r) => {
        const x = this.fm.raw(context(r));
        xs.push(x);
        return densify(x, this.fm.D);
      },
    });
    for (const [arm, s] of Object.entries(ws.arms)) {
      const lin = ws.linear?.[arm];
      if (!lin) continue;
      const m = this.blank(s.meanQuality);
      this.models.set(arm, m);
      this.removed.delete(arm);
      absorb(m.quality, lin, this.sq, (xq, xs, i) => (xq[i] - s.meanQuality * xs[i]) / this.p.noise);
      // The usage anchor is the arm's mean cost over the file, which is what the cost model's
      // expectation becomes after observing the same rows.
      const logMean = Math.log(Math.max(MIN_COST, s.meanCost));
      absorb(m.usage, lin, this.sc, (_xq, xs, i) => lin.xlc[i] - logMean * xs[i]);
      m.offline = s.n;
      // The traffic mean of the multiplier starts from the file's prompts.
      let em = 0;
      for (const x of xs) em += Math.exp(Math.min(5, Math.max(-5, m.usage.mean(scaled(x, this.sc)))));
      m.em = xs.length > 0 ? em / xs.length : 0;
      m.emN = Math.min(xs.length, EM_WINDOW);
      m.prior = snapshotPrior(m);
    }
  }

  toState(): PolicyState {
    const arms: Record<ArmId, ArmState> = {};
    for (const [a, m] of this.models) {
      arms[a] = {
        m0: m.m0,
        wq0: m.wq0 ? Array.from(m.wq0) : null,
        wu0: m.wu0 ? Array.from(m.wu0) : null,
        pulls: m.pulls,
        offline: m.offline,
        em: m.em,
        emN: m.emN,
        q: { G: Array.from(m.quality.G), b: Array.from(m.quality.b), n: m.quality.n },
        u: { G: Array.from(m.usage.G), b: Array.from(m.usage.b), n: m.usage.n },
        prior: m.prior,
      };
    }
    return {
      algorithm: this.algorithm,
      params: { ...this.p, seed: this.seed, priors: this.priors },
      arms: this.arms(),
      stats: { arms, removed: [...this.removed] },
      rng: this.rng.state,
    };
  }

  merge(other: PolicyState, base?: PolicyState): void {
    const o = (other.stats as { arms: Record<ArmId, ArmState> }).arms;
    const b = (base?.stats as { arms: Record<ArmId, ArmState> } | undefined)?.arms ?? {};
    for (const a of other.arms) {
      if (this.removed.has(a)) continue;
      const os = o[a];
      if (!this.models.has(a)) {
        const nm = this.blank(os.m0);
        nm.wq0 = os.wq0 ? Float64Array.from(os.wq0) : null;
        nm.wu0 = os.wu0 ? Float64Array.from(os.wu0) : null;
        this.models.set(a, nm);
      }
      const m = this.models.get(a)!;
      // What both replicas share (the common base snapshot, or else the prior) is subtracted
      // once so that it is not counted twice.
      const bs = b[a];
      const sub = bs ? { qG: bs.q.G, qb: bs.q.b, uG: bs.u.G, ub: bs.u.b } : os.prior;
      addInto(m.quality.G, os.q.G, sub?.qG);
      addInto(m.quality.b, os.q.b, sub?.qb);
      addInto(m.usage.G, os.u.G, sub?.uG);
      addInto(m.usage.b, os.u.b, sub?.ub);
      m.quality.n += os.q.n - (bs ? bs.q.n : 0);
      m.usage.n += os.u.n - (bs ? bs.u.n : 0);
      m.pulls += os.pulls - (bs ? bs.pulls : 0);
      m.offline = Math.max(m.offline, os.offline);
      const n = m.emN + os.emN;
      if (n > 0) m.em = (m.em * m.emN + os.em * os.emN) / n;
      m.emN = Math.min(n, EM_WINDOW);
      m.quality.refresh();
      m.usage.refresh();
    }
    this.cache = new WeakMap();
  }

  static fromState(s: PolicyState): AutoPolicy {
    const params = s.params as Partial<Params> & { seed?: number; priors?: Record<ArmId, ArmPrior> };
    const p = new AutoPolicy({ ...params, arms: [] });
    const st = s.stats as { arms: Record<ArmId, ArmState>; removed?: ArmId[] };
    for (const a of s.arms) {
      const as = st.arms[a];
      const m = p.blank(as.m0);
      p.models.set(a, m);
      m.wq0 = as.wq0 ? Float64Array.from(as.wq0) : null;
      m.wu0 = as.wu0 ? Float64Array.from(as.wu0) : null;
      m.pulls = as.pulls;
      m.offline = as.offline;
      m.em = as.em;
      m.emN = as.emN;
      m.prior = as.prior;
      m.quality.G.set(as.q.G);
      m.quality.b.set(as.q.b);
      m.quality.n = as.q.n;
      m.usage.G.set(as.u.G);
      m.usage.b.set(as.u.b);
      m.usage.n = as.u.n;
      m.quality.refresh();
      m.usage.refresh();
    }
    for (const a of st.removed ?? []) p.removed.add(a);
    if (s.rng !== undefined) p.rng.state = s.rng;
    return p;
  }
}

function dotSparse(w: Float64Array, z: Sparse): number {
  let s = 0;
  for (let k = 0; k < z.nnz; k++) s += w[z.idx[k]] * z.val[k];
  return s;
}

function averageWeights(
  arms: ArmModel[],
  learned: (m: ArmModel) => Float64Array,
  prior: (m: ArmModel) => Float64Array | null,
  D: number,
): Float64Array {
  const out = new Float64Array(D);
  for (const m of arms) {
    const w = learned(m);
    const p = prior(m);
    for (let i = 0; i < D; i++) out[i] += (w[i] + (p ? p[i] : 0)) / arms.length;
  }
  // The intercept is the newcomer's own business (its m0 carries the level).
  out[0] = 0;
  return out;
}

function densify(x: Sparse, D: number): Float64Array {
  const out = new Float64Array(D);
  for (let k = 0; k < x.nnz; k++) out[x.idx[k]] = x.val[k];
  return out;
}

/** Loads offline sufficient statistics (on raw features) into a ridge on scaled features. */
function absorb(r: Ridge, lin: WarmLinearStats, s: Float64Array, target: (xq: Float64Array, xs: Float64Array, i: number) => number): void {
  const D = r.D;
  if (lin.d !== D) throw new Error(`auto: warm-start dimension ${lin.d} != ${D}`);
  for (let i = 0; i < D; i++) {
    r.b[i] = s[i] * target(lin.xq, lin.xs, i);
    const row = i * D;
    for (let j = 0; j < D; j++) r.G[row + j] = s[i] * s[j] * lin.xx[row + j];
  }
  r.n = lin.n;
  r.refresh();
}

function snapshotPrior(m: ArmModel): NonNullable<ArmModel['prior']> {
  return { qG: Array.from(m.quality.G), qb: Array.from(m.quality.b), uG: Array.from(m.usage.G), ub: Array.from(m.usage.b) };
}

function addInto(dst: Float64Array, src: ArrayLike<number>, sub?: ArrayLike<number>): void {
  for (let i = 0; i < dst.length; i++) dst[i] += src[i] - (sub ? sub[i] : 0);
}

registerPolicy('auto', (o) => new AutoPolicy(o as AutoOptions), AutoPolicy.fromState);
