import { Rng } from './rng';
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
import { eligibleArms } from './eligibility';
import {
  checkGamma,
  checkPrior,
  coldDecision,
  CommonOptions,
  DEFAULT_COLD_PULLS,
  costOf,
  ensureCapacity,
  resolveAvailable,
  withoutAwaitedColdArms,
} from './common';
import {
  dot,
  dotVec,
  identityPacked,
  invertSpd,
  pack,
  packedSize,
  scale,
  symMatVec,
  symRank1,
  cholesky,
  fusedUpdate,
} from './linalg';
import { PackedStore } from './simd';

export interface LinearOptions extends CommonOptions {
  /** Feature dimension: every context must carry `features` of this length. */
  d: number;
  /** Ridge regularisation: the prior precision is reg * I (default 1). */
  reg?: number;
  /**
   * Recompute an arm's A^-1 from A by Cholesky every this many updates of that arm (default
   * 4096), so rounding from long chains of Sherman-Morrison steps cannot accumulate.
   * 0 disables it.
   */
  refreshEvery?: number;
  /**
   * Use the WebAssembly SIMD kernel for x' A^-1 x when available (default true). Results agree
   * with the plain JS path to rounding, not bit for bit, so replicas that must make identical
   * decisions should use the same setting (states do not depend on it).
   */
  simd?: boolean;
}

/**
 * A prior for a linear arm: either pseudo-observations {mean, weight} (placed at the average
 * context seen so far, or at the first context seen if none yet), or, with `A` and `b`, the
 * full state of an offline ridge fit (A = reg I + sum w x x', b = sum w q x; A as d*d
 * row-major or packed upper triangle).
 */
export interface LinearArmPrior extends ArmPrior {
  A?: ArrayLike<number>;
  b?: ArrayLike<number>;
}

/** Per-arm ridge regression state. A and P = A^-1 are packed symmetric (see linalg.ts). */
export class LinArm {
  A: Float64Array;
  /** P = A^-1 and theta: views into the policy's PackedStore slot `slot` (re-fetched when it grows). */
  P: Float64Array;
  theta: Float64Array;
  readonly slot: number;
  b: Float64Array;
  /** The prior part of A and b (null: reg * I and 0), what forgetting decays toward and merge counts once. */
  A0: Float64Array | null = null;
  b0: Float64Array | null = null;
  /** Cholesky factor of A0 (full, lower), built lazily for forgetting. */
  L0: Float64Array | null = null;
  /** Prior weight in pseudo-observations. */
  pw = 0;
  /** Decayed data count, real observations, decayed sum of squared one-step-ahead residuals. */
  n = 0;
  pulls = 0;
  res2 = 0;
  warm = false;
  /** Next column of the prior factor that forgetting tops up (round-robin). */
  top = 0;
  /** Updates since A^-1 was last recomputed from A. */
  since = 0;

  constructor(d: number, reg: number, store: PackedStore) {
    const m = packedSize(d);
    this.A = identityPacked(d, reg, new Float64Array(m));
    this.slot = store.alloc();
    this.P = identityPacked(d, 1 / reg, store.view(this.slot, 0, m));
    this.theta = store.view(this.slot, m, d);
    this.b = new Float64Array(d);
  }
}

interface LinArmState {
  A: number[];
  /** Optional: when absent it is recomputed from A (state half the size, last bits may differ). */
  P?: number[];
  b: number[];
  A0?: number[];
  b0?: number[];
  pw: number;
  n: number;
  pulls: number;
  res2: number;
  warm: boolean;
  top: number;
  since: number;
}

export interface LinearStats {
  t: number;
  arms: Record<ArmId, LinArmState>;
  removed: ArmId[];
  featSum: number[];
  featN: number;
  pending: Record<ArmId, ArmPrior>;
}

/**
 * Disjoint linear model per arm (ridge regression of quality on the context features):
 * A = A0 + sum x x', b = b0 + sum q x, theta = A^-1 b. A^-1 is maintained by Sherman-Morrison
 * (O(d^2) per update) and never inverted per decision.
 *
 * Forgetting (gamma < 1) is per arm, applied when that arm is updated:
 * A <- gamma A + (1 - gamma) A0 + x x', b <- gamma b + (1 - gamma) b0 + q x. Decaying every arm on
 * every update would cost O(k d^2). The (1 - gamma) A0 term is full rank, which Sherman-Morrison
 * cannot apply in O(d^2), so it is spread round-robin: each update adds d (1 - gamma) l_j l_j'
 * for the next column l_j of A0's Cholesky factor (sum_j l_j l_j' = A0). Over d updates that is
 * exactly the right amount of prior, and A^-1 stays the exact inverse of the stored A.
 */
export abstract class LinearPolicy implements Policy {
  abstract readonly algorithm: string;
  readonly d: number;
  protected readonly m: number;
  protected readonly reg: number;
  protected readonly gamma: number;
  protected readonly coldPulls: number;
  protected readonly refreshEvery: number;
  protected readonly rng: Rng;
  protected readonly lin = new Map<ArmId, LinArm>();
  protected readonly removed = new Set<ArmId>();
  protected readonly pending = new Map<ArmId, ArmPrior>();
  protected t = 0;
  protected featSum: Float64Array;
  protected featN = 0;
  /** Where every arm's A^-1 and the scratch outer product z live (WebAssembly memory when SIMD is on). */
  protected readonly store: PackedStore;
  private readonly zSlot: number;
  private readonly xSlot: number;
  // Scratch buffers: the hot path allocates nothing of size d or d^2.
  protected readonly xs: Float64Array;
  protected readonly u: Float64Array;
  protected readonly col: Float64Array;
  protected means = new Float64Array(16);
  protected sds = new Float64Array(16);
  protected costs = new Float64Array(16);
  protected scores = new Float64Array(16);
  private chol: Float64Array | null = null;

  protected constructor(opts: LinearOptions) {
    if (!(Number.isInteger(opts.d) && opts.d >= 1)) throw new Error(`d must be a positive integer, got ${opts.d}`);
    this.d = opts.d;
    this.m = packedSize(opts.d);
    this.reg = opts.reg ?? 1;
    if (!(this.reg > 0)) throw new Error(`reg must be > 0, got ${this.reg}`);
    this.gamma = checkGamma(opts.gamma);
    this.coldPulls = opts.coldPulls ?? DEFAULT_COLD_PULLS;
    this.refreshEvery = opts.refreshEvery ?? 4096;
    this.rng = new Rng(opts.seed ?? 1);
    this.featSum = new Float64Array(this.d);
    this.xs = new Float64Array(this.d);
    // Slot layout: packed A^-1 (m doubles) then theta (d), so one kernel reads both.
    this.store = new PackedStore(this.m + this.d, opts.simd ?? true, () => {
      for (const s of this.lin.values()) {
        s.P = this.store.view(s.slot, 0, this.m);
        s.theta = this.store.view(s.slot, this.m, this.d);
      }
    });
    this.zSlot = this.store.alloc();
    this.xSlot = this.store.alloc();
    this.u = new Float64Array(this.d);
    this.col = new Float64Array(this.d);
    const priors = opts.priors ?? {};
    for (const a of opts.arms ?? []) this.addArm(a, priors[a]);
    for (const a of Object.keys(priors)) this.addArm(a, priors[a]);
  }

  protected abstract params(): Record<string, unknown>;
  /** Chooses among eligible warm arms given each arm's mean and sd (sqrt(x' A^-1 x)) in this.means / this.sds. */
  protected abstract choose(arms: ArmId[], c: DecideConstraints): Decision;

  protected baseParams(): Record<string, unknown> {
    return {
      d: this.d,
      reg: this.reg,
      gamma: this.gamma,
      coldPulls: this.coldPulls,
      refreshEvery: this.refreshEvery,
      simd: this.store.simd,
    };
  }

  arms(): ArmId[] {
    return [...this.lin.keys()];
  }

  /** Copies the context's features into the scratch vector (one monomorphic Float64Array for all the math). */
  protected features(ctx: DecisionContext): Float64Array {
    const f = ctx.features;
    if (!f || f.length !== this.d) {
      throw new Error(`${this.algorithm} needs context.features of length ${this.d}, got ${f ? f.length : 'none'}`);
    }
    const xs = this.xs;
    for (let i = 0; i < this.d; i++) {
      const v = f[i];
      if (!Number.isFinite(v)) throw new Error(`feature ${i} is not finite`);
      xs[i] = v;
    }
    return xs;
  }

  protected isCold(a: LinArm): boolean {
    return !a.warm && a.pulls < this.coldPulls;
  }

  decide(ctx: DecisionContext, available: readonly ArmId[], c: DecideConstraints): Decision {
    const x = this.features(ctx);
    if (this.pending.size > 0) this.applyPending(x);
    const avail = resolveAvailable(available, this.lin, this.removed, (a) => this.addArm(a));
    const arms = withoutAwaitedColdArms(
      c.maxCostUsd === undefined && c.minQuality === undefined
        ? avail
        : eligibleArms(avail, c, (a) => {
            const s = this.lin.get(a)!;
            return this.isCold(s) ? 1 : dotVec(s.theta, x, this.d);
          }),
      (a) => {
        const s = this.lin.get(a)!;
        return s.warm ? null : s.pulls;
      },
      this.coldPulls,
      c.decided,
    );
    const k = arms.length;
    this.means = ensureCapacity(this.means, k);
    this.sds = ensureCapacity(this.sds, k);
    this.costs = ensureCapacity(this.costs, k);
    this.scores = ensureCapacity(this.scores, k);
    const zs = this.zSlot;
    const xsl = this.xSlot;
    const st = this.store;
    const m = this.m;
    st.view(xsl).set(x);
    st.outer(xsl, zs, this.d);
    let cold: boolean[] | null = null;
    for (let i = 0; i < k; i++) {
      const s = this.lin.get(arms[i])!;
      this.means[i] = st.dot(xsl, 0, s.slot, m, this.d);
      const v = st.dot(zs, 0, s.slot, 0, m);
      this.sds[i] = v > 0 ? Math.sqrt(v) : 0;
      this.costs[i] = c.lambda * costOf(c, arms[i]);
      if (this.isCold(s)) {
        cold ??= new Array<boolean>(k).fill(false);
        cold[i] = true;
      }
    }
    if (cold) {
      for (let i = 0; i < k; i++) this.scores[i] = this.means[i] - this.costs[i];
      return coldDecision(arms, cold, this.scores, c, this.rng);
    }
    return this.choose(arms, c);
  }

  update(ctx: DecisionContext, arm: ArmId, o: Outcome): void {
    if (this.removed.has(arm)) return;
    if (!Number.isFinite(o.quality)) throw new Error(`quality must be finite, got ${o.quality}`);
    const x = this.features(ctx);
    if (this.pending.size > 0) this.applyPending(x);
    if (!this.lin.has(arm)) this.addArm(arm);
    const s = this.lin.get(arm)!;
    const d = this.d;
    const q = o.quality;
    const r = q - dotVec(s.theta, x, d);
    if (this.gamma < 1) this.forget(s);
    for (let i = 0; i < d; i++) s.b[i] += q * x[i];
    // u = P x, then P -= u u' / (1 + x' u), A += x x' and theta = P b in one fused pass.
    const u = this.u;
    symMatVec(s.P, x, d, u);
    fusedUpdate(s.P, s.A, u, 1 / (1 + dot(x, u, d)), x, 1, s.b, s.theta, d);
    s.n += 1;
    s.res2 += r * r;
    s.pulls++;
    this.t++;
    for (let i = 0; i < d; i++) this.featSum[i] += x[i];
    this.featN++;
    if (this.refreshEvery > 0 && ++s.since >= this.refreshEvery) this.refresh(s);
  }

  /** A += w v v' and the matching Sherman-Morrison step on P = A^-1. */
  protected rank1(s: LinArm, v: Float64Array, w: number): void {
    const u = this.u;
    symMatVec(s.P, v, this.d, u);
    const den = 1 / w + dotVec(v, u, this.d);
    symRank1(s.P, u, this.d, -1 / den);
    symRank1(s.A, v, this.d, w);
  }

  private forget(s: LinArm): void {
    const g = this.gamma;
    const d = this.d;
    scale(s.A, this.m, g);
    scale(s.P, this.m, 1 / g);
    for (let i = 0; i < d; i++) s.b[i] = g * s.b[i] + (s.b0 ? (1 - g) * s.b0[i] : 0);
    s.n *= g;
    s.res2 *= g;
    const l = this.col;
    const j = s.top;
    if (s.A0 === null) {
      l.fill(0);
      l[j] = Math.sqrt(this.reg);
    } else {
      if (s.L0 === null) {
        s.L0 = new Float64Array(d * d);
        if (!cholesky(s.A0, d, s.L0)) throw new Error('prior matrix is not positive definite');
      }
      for (let i = 0; i < d; i++) l[i] = i >= j ? s.L0[i * d + j] : 0;
    }
    s.top = (j + 1) % d;
    this.rank1(s, l, d * (1 - g));
  }

  /** Recomputes A^-1 from A (O(d^3)) and theta from it. */
  protected refresh(s: LinArm): void {
    this.chol ??= new Float64Array(this.d * this.d);
    invertSpd(s.A, this.d, s.P, this.chol);
    symMatVec(s.P, s.b, this.d, s.theta);
    s.since = 0;
  }

  /**
   * Adds `weight` pseudo-observations of `quality` at `features` to the arm's PRIOR (so they
   * are counted once at merge and forgetting decays toward them). O(d^2) per call. This is
   * how an offline fit (warmStartFromRows) seeds an arm; a seeded arm is warm, not cold.
   */
  seed(arm: ArmId, features: ArrayLike<number>, quality: number, weight = 1): void {
    if (!(weight > 0)) throw new Error('seed weight must be > 0');
    if (!this.lin.has(arm)) this.addArm(arm);
    const s = this.lin.get(arm)!;
    const x = this.features({ features });
    const d = this.d;
    s.A0 ??= identityPacked(d, this.reg);
    s.b0 ??= new Float64Array(d);
    symRank1(s.A0, x, d, weight);
    for (let i = 0; i < d; i++) {
      s.b0[i] += weight * quality * x[i];
      s.b[i] += weight * quality * x[i];
    }
    s.L0 = null;
    this.rank1(s, x, weight);
    symMatVec(s.P, s.b, d, s.theta);
    s.pw += weight;
    s.warm = true;
  }

  addArm(arm: ArmId, prior?: LinearArmPrior): void {
    if (this.lin.has(arm)) return;
    const p = checkPrior(prior);
    this.removed.delete(arm);
    const s = new LinArm(this.d, this.reg, this.store);
    this.lin.set(arm, s);
    if (!p) return;
    if (prior?.A !== undefined || prior?.b !== undefined) {
      if (!prior.A || !prior.b) throw new Error('a full linear prior needs both A and b');
      this.setPriorState(s, prior.A, prior.b, p.weight);
      return;
    }
    if (p.weight <= 0) return;
    s.warm = true;
    if (this.featN > 0) {
      const mean = new Float64Array(this.d);
      for (let i = 0; i < this.d; i++) mean[i] = this.featSum[i] / this.featN;
      this.seed(arm, mean, p.mean, p.weight);
    } else this.pending.set(arm, { mean: p.mean, weight: p.weight });
  }

  private setPriorState(s: LinArm, A: ArrayLike<number>, b: ArrayLike<number>, weight: number): void {
    const d = this.d;
    if (b.length !== d) throw new Error(`prior b must have length ${d}`);
    const Ap = new Float64Array(this.m);
    if (A.length === d * d) pack(A, d, Ap);
    else if (A.length === this.m) Ap.set(A);
    else throw new Error(`prior A must have length ${d * d} (full) or ${this.m} (packed)`);
    s.A0 = Ap;
    s.A.set(Ap);
    s.b0 = Float64Array.from(b);
    s.b.set(s.b0);
    s.pw = weight;
    s.warm = true;
    this.refresh(s);
  }

  /** {mean, weight} priors that arrived before any context: placed at the first context seen. */
  private applyPending(x: Float64Array): void {
    const copy = Float64Array.from(x);
    const todo = [...this.pending];
    this.pending.clear();
    for (const [arm, p] of todo) if (this.lin.has(arm)) this.seed(arm, copy, p.mean, p.weight);
  }

  removeArm(arm: ArmId): void {
    const s = this.lin.get(arm);
    if (s) this.store.release(s.slot);
    this.lin.delete(arm);
    this.pending.delete(arm);
    this.removed.add(arm);
  }

  /** The context's features, or the average context seen so far when none are given. */
  private contextOrMean(ctx: DecisionContext): Float64Array | null {
    if (ctx.features) return this.features(ctx);
    if (this.featN === 0) return null;
    for (let i = 0; i < this.d; i++) this.xs[i] = this.featSum[i] / this.featN;
    return this.xs;
  }

  estimate(ctx: DecisionContext, arm: ArmId): QualityEstimate {
    const s = this.lin.get(arm);
    if (!s) return { mean: 0.5, halfWidth: Infinity, n: 0 };
    const n = s.n + s.pw;
    const x = this.contextOrMean(ctx);
    if (!x || (!s.warm && s.pulls === 0)) return { mean: x ? dotVec(s.theta, x, this.d) : 0.5, halfWidth: Infinity, n };
    symMatVec(s.P, x, this.d, this.u);
    const v = Math.max(0, dotVec(x, this.u, this.d));
    // Noise scale from one-step-ahead residuals, shrunk toward 0.5 (the largest sd of a [0,1] quality).
    const noiseVar = (0.25 + s.res2) / (1 + s.n);
    return { mean: dotVec(s.theta, x, this.d), halfWidth: 1.96 * Math.sqrt(noiseVar * v), n };
  }

  toState(): PolicyState {
    const arms: Record<ArmId, LinArmState> = {};
    for (const [a, s] of this.lin) {
      const st: LinArmState = {
        A: Array.from(s.A),
        P: Array.from(s.P),
        b: Array.from(s.b),
        pw: s.pw,
        n: s.n,
        pulls: s.pulls,
        res2: s.res2,
        warm: s.warm,
        top: s.top,
        since: s.since,
      };
      if (s.A0) st.A0 = Array.from(s.A0);
      if (s.b0) st.b0 = Array.from(s.b0);
      arms[a] = st;
    }
    const stats: LinearStats = {
      t: this.t,
      arms,
      removed: [...this.removed],
      featSum: Array.from(this.featSum),
      featN: this.featN,
      pending: Object.fromEntries(this.pending),
    };
    return { algorithm: this.algorithm, params: this.params(), arms: this.arms(), stats, rng: this.rng.state };
  }

  private armFromState(st: LinArmState): LinArm {
    if (st.A.length !== this.m || st.b.length !== this.d) throw new Error(`state does not match d = ${this.d}`);
    const s = new LinArm(this.d, this.reg, this.store);
    s.A.set(st.A);
    s.b.set(st.b);
    if (st.A0) s.A0 = Float64Array.from(st.A0);
    if (st.b0) s.b0 = Float64Array.from(st.b0);
    s.pw = st.pw;
    s.n = st.n;
    s.pulls = st.pulls;
    s.res2 = st.res2;
    s.warm = st.warm;
    s.top = st.top;
    s.since = st.since;
    if (st.P) {
      s.P.set(st.P);
      symMatVec(s.P, s.b, this.d, s.theta);
    } else this.refresh(s);
    return s;
  }

  protected load(state: PolicyState): this {
    const st = state.stats as LinearStats;
    for (const s of this.lin.values()) this.store.release(s.slot);
    this.lin.clear();
    for (const a of state.arms) this.lin.set(a, this.armFromState(st.arms[a]));
    this.removed.clear();
    for (const a of st.removed ?? []) this.removed.add(a);
    this.pending.clear();
    for (const [a, p] of Object.entries(st.pending ?? {})) this.pending.set(a, p);
    this.featSum.set(st.featSum);
    this.featN = st.featN;
    this.t = st.t;
    if (state.rng !== undefined) this.rng.state = state.rng;
    return this;
  }

  /**
   * Adds the other replica's data (its A - A0, b - b0, or minus the base snapshot's) to this
   * one and recomputes A^-1 exactly: the result equals a policy that saw both streams.
   */
  merge(other: PolicyState, base?: PolicyState): void {
    if (other.algorithm !== this.algorithm) throw new Error(`cannot merge ${other.algorithm} into ${this.algorithm}`);
    if (base && base.algorithm !== this.algorithm) throw new Error(`base is ${base.algorithm}, not ${this.algorithm}`);
    if ((other.params as { d?: number }).d !== this.d) throw new Error('cannot merge policies of different d');
    const o = other.stats as LinearStats;
    const b = (base?.stats as LinearStats | undefined) ?? null;
    const d = this.d;
    for (const a of other.arms) {
      if (this.removed.has(a)) continue;
      const oa = o.arms[a];
      const mine = this.lin.get(a);
      if (!mine) {
        this.lin.set(a, this.armFromState(oa));
        continue;
      }
      const ba = b?.arms[a];
      const A0 = ba ? ba.A : (oa.A0 ?? Array.from(identityPacked(d, this.reg)));
      const b0 = ba ? ba.b : oa.b0;
      for (let i = 0; i < this.m; i++) mine.A[i] += oa.A[i] - A0[i];
      for (let i = 0; i < d; i++) mine.b[i] += oa.b[i] - (b0 ? b0[i] : 0);
      mine.n += oa.n - (ba?.n ?? 0);
      mine.pulls += oa.pulls - (ba?.pulls ?? 0);
      mine.res2 += oa.res2 - (ba?.res2 ?? 0);
      this.refresh(mine);
    }
    for (const a of o.removed ?? []) if (!other.arms.includes(a)) this.removeArm(a);
    for (let i = 0; i < d; i++) this.featSum[i] += o.featSum[i] - (b ? b.featSum[i] : 0);
    this.featN += o.featN - (b?.featN ?? 0);
    this.t += o.t - (b?.t ?? 0);
  }
}
