import {
  argmaxDecision,
  eligibleArms,
  ensureCapacity,
  ExploreAmong,
  exploreAmongOption,
  exploreCeilings,
  Rng,
  withoutAwaitedColdArms,
} from '@llm-router/bandits';
import type {
  ArmId,
  ArmPrior,
  DecideConstraints,
  Decision,
  DecisionContext,
  Outcome,
  Policy,
  PolicyState,
  QualityEstimate,
} from '@llm-router/bandits';
import { QueryFeaturizer } from '@llm-router/features';
import { BradleyTerryModel, FitOptions, sigmoid } from './bradley-terry';
import { PairsOptions, RewardRow, pairsFromRewards } from './pairs';

export interface PreferenceRouterOptions {
  arms?: ArmId[];
  seed?: number;
  /** Feature dimension (default 64, the QueryFeaturizer default). */
  d?: number;
  /** Exploration rate (default 0.05). */
  epsilon?: number;
  /** Which models exploration draws from (default `contenders`; EpsilonGreedyOptions.exploreAmong). */
  exploreAmong?: ExploreAmong;
  /** Online Bradley-Terry step size (default 0.1), decayed in each arm's evidence. */
  lr?: number;
  /** L2 penalty per online step (default 1e-4). */
  l2?: number;
  /** Temperature of the soft win label built from bandit feedback (default 0.1 quality units). */
  softness?: number;
  /** An arm with no prior is forced until it has this many observations (default 1; 0 disables). */
  coldPulls?: number;
  /** Geometric forgetting of the live quality statistics, in (0, 1] (default 1 = never forget). */
  gamma?: number;
  /** Warm-start priors: pseudo-observations of mean quality per arm. */
  priors?: Record<ArmId, ArmPrior>;
  /** Pseudo-observations pulling each arm's mean toward the pooled mean of all arms (default 1). */
  shrink?: number;
  /** Ridge on the calibration slope, in units of summed squared score deviations (default 1). */
  betaRidge?: number;
  /** At most this many pseudo-observations per arm come from an offline fit (default 100). */
  offlineWeight?: number;
  /** Seed of the QueryFeaturizer used for contexts that carry text but no features (default 0). */
  featureSeed?: number;
}

/** Sufficient statistics of the calibration head: [n, sum q, sum q^2, sum z, sum z^2, sum z q]. */
type Head = [number, number, number, number, number, number];
const N = 0;
const SQ = 1;
const SQQ = 2;
const SZ = 3;
const SZZ = 4;
const SZQ = 5;

interface ArmState {
  /** ArmPrior: weight and mean. */
  pw: number;
  pm: number;
  /** Head statistics from the offline fit (the prior part: merge counts it once). */
  prior: Head;
  /** Head statistics from live feedback (decayed by gamma). */
  live: Head;
  /** Online Bradley-Terry updates of this arm's weights: the weight of its vector at merge. */
  updates: number;
  /** Real observations (never decayed): what cold start counts. */
  pulls: number;
}

export interface PreferenceStats {
  t: number;
  removed: ArmId[];
  arms: Record<ArmId, { w: number[]; pw: number; pm: number; prior: Head; live: Head; updates: number; pulls: number }>;
}

const zeroHead = (): Head => [0, 0, 0, 0, 0, 0];

/** Adds one observation (quality q at relative score z) to head statistics h. */
function observe(h: Head, q: number, z: number): void {
  h[N] += 1;
  h[SQ] += q;
  h[SQQ] += q * q;
  h[SZ] += z;
  h[SZZ] += z * z;
  h[SZQ] += z * q;
}
const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

/**
 * RouteLLM-style router on a contextual Bradley-Terry model (see BradleyTerryModel), turned
 * into a bandit policy.
 *
 * Quality estimate. The BT score z_a(x) = w_a . x - mean_b w_b . x (relative to the average
 * arm) ranks arms but is not a quality. A per-arm head calibrates it linearly:
 *     q_a(x) = clip(mu_a + beta_a * (z_a(x) - zbar_a), 0, 1)
 * mu_a is the arm's mean observed quality (with its prior, shrunk toward the pooled mean by
 * `shrink` pseudo-observations), zbar_a the mean score over the same observations, and
 * beta_a >= 0 the least-squares slope of the arm's quality on its score, shrunk toward the
 * slope pooled over all arms (ridge `betaRidge`). Slopes differ by arm: a strong model is
 * good nearly everywhere, a weak one only where its score says so. Centering within each arm
 * keeps mu_a an unbiased mean whatever the BT offsets are, and with beta = 0 (scores that do
 * not predict quality) the router falls back to per-arm means. All of it lives in additive
 * sums, so it merges exactly.
 *
 * Learning from bandit feedback (one arm a, one quality q). Only a's quality is observed,
 * so only w_a moves: for every other arm b, the observation is read as a soft comparison
 * against the model's current expectation for b, label = sigmoid((q - q_b(x)) / softness),
 * and w_a takes one logistic SGD step toward it with w_b held fixed (steps averaged over the
 * k-1 comparisons so the step size does not grow with k, and decayed as the arm's evidence
 * grows). Explicit pairwise feedback goes through observePreference. The head statistics of a are
 * updated with (z_a(x) before the step, q). Offline, fit() trains on full-information pairs
 * (pairsFromRewards) and seeds the head as a prior capped at `offlineWeight` observations.
 *
 * Decision: score = q_a(x) - lambda * cost_a; epsilon-greedy with exact propensities
 * (argmaxDecision: exploration among the arms that could still be the best at this lambda,
 * unless `exploreAmong: 'all'`). An arm without a
 * prior is forced (cheapest first) until it has `coldPulls` observations, propensity 1/ties.
 *
 * Merge: weight vectors are averaged weighted by their online update counts (deltas since
 * `base` when given): a replica that learned more about an arm moves it more. Head sums add
 * (prior counted once). Averaging is exact for the head and an approximation for the BT
 * weights (the average of SGD iterates, as in federated averaging).
 *
 * Known limit: the head's score sums are taken with the weights of their time; while w moves
 * fast they lag. gamma < 1 lets them refresh.
 */
export class PreferenceRouter implements Policy {
  readonly algorithm = 'preference';
  readonly d: number;
  private readonly bt: BradleyTerryModel;
  private readonly state = new Map<ArmId, ArmState>();
  private readonly removed = new Set<ArmId>();
  private readonly rng: Rng;
  private readonly epsilon: number;
  private readonly exploreAmong: ExploreAmong;
  private ceilings = new Float64Array(0);
  private readonly lr: number;
  private readonly l2: number;
  private readonly softness: number;
  private readonly coldPulls: number;
  private readonly gamma: number;
  private readonly shrink: number;
  private readonly betaRidge: number;
  private readonly offlineWeight: number;
  private readonly featureSeed: number;
  private featurizer: QueryFeaturizer | null = null;
  private readonly x: Float64Array;
  private t = 0;
  private betaCache: number | null = null;
  private pooledCache: number | null = null;

  constructor(opts: PreferenceRouterOptions = {}) {
    this.d = opts.d ?? 64;
    this.bt = new BradleyTerryModel(this.d);
    this.x = new Float64Array(this.d);
    this.rng = new Rng(opts.seed ?? 1);
    this.epsilon = opts.epsilon ?? 0.05;
    if (!(this.epsilon >= 0 && this.epsilon <= 1))
      throw new RangeError(`epsilon must be in [0, 1], got ${this.epsilon}`);
    this.exploreAmong = exploreAmongOption(opts.exploreAmong);
    this.lr = opts.lr ?? 0.1;
    this.l2 = opts.l2 ?? 1e-4;
    this.softness = opts.softness ?? 0.1;
    if (!(this.softness > 0)) throw new RangeError(`softness must be > 0, got ${this.softness}`);
    this.coldPulls = opts.coldPulls ?? 1;
    this.gamma = opts.gamma ?? 1;
    if (!(this.gamma > 0 && this.gamma <= 1)) throw new RangeError(`gamma must be in (0, 1], got ${this.gamma}`);
    this.shrink = opts.shrink ?? 1;
    this.betaRidge = opts.betaRidge ?? 1;
    this.offlineWeight = opts.offlineWeight ?? 100;
    this.featureSeed = opts.featureSeed ?? 0;
    const priors = opts.priors ?? {};
    for (const a of opts.arms ?? []) this.addArm(a, priors[a]);
    for (const a of Object.keys(priors)) this.addArm(a, priors[a]);
  }

  arms(): ArmId[] {
    return [...this.state.keys()];
  }

  addArm(arm: ArmId, prior?: ArmPrior): void {
    if (this.state.has(arm)) return;
    if (prior && (!(prior.weight >= 0) || !Number.isFinite(prior.weight) || !Number.isFinite(prior.mean))) {
      throw new RangeError(`prior for ${arm} needs a finite mean and weight >= 0`);
    }
    this.removed.delete(arm);
    this.state.set(arm, {
      pw: prior?.weight ?? 0,
      pm: prior?.mean ?? 0.5,
      prior: zeroHead(),
      live: zeroHead(),
      updates: 0,
      pulls: 0,
    });
    this.bt.ensure(arm);
    this.dirty();
  }

  removeArm(arm: ArmId): void {
    this.state.delete(arm);
    this.bt.weights.delete(arm);
    this.removed.add(arm);
    this.dirty();
  }

  /** P(a beats b | context) under the Bradley-Terry model. */
  winProbability(ctx: DecisionContext, a: ArmId, b: ArmId): number {
    return this.bt.winProbability(a, b, this.features(ctx));
  }

  decide(ctx: DecisionContext, available: readonly ArmId[], c: DecideConstraints): Decision {
    const avail: ArmId[] = [];
    for (const a of available) {
      if (this.removed.has(a)) continue;
      if (!this.state.has(a)) this.addArm(a);
      avail.push(a);
    }
    if (avail.length === 0) throw new Error('no arm available to decide between (all offered arms were removed)');
    const x = this.features(ctx);
    const q = new Map<ArmId, number>();
    const ms = this.meanScore(x);
    for (const a of avail) q.set(a, this.quality(a, x, ms));
    const arms = withoutAwaitedColdArms(
      eligibleArms(avail, c, (a) => (this.isCold(a) ? 1 : q.get(a)!)),
      (a) => {
        const st = this.state.get(a)!;
        return st.pw > 0 || st.prior[N] > 0 ? null : st.pulls;
      },
      this.coldPulls,
      c.decided,
    );
    const k = arms.length;
    const scores = new Array<number>(k);
    const cold = arms.map((a) => this.isCold(a));
    const anyCold = cold.some(Boolean);
    for (let i = 0; i < k; i++) {
      const cost = c.costs[arms[i]] ?? 0;
      // Cold arms outrank warm ones (cheapest cold first); finite so the logged scores stay JSON.
      scores[i] = anyCold && cold[i] ? 1e6 - c.lambda * cost : q.get(arms[i])! - c.lambda * cost;
    }
    this.ceilings = ensureCapacity(this.ceilings, k);
    const ceilings = exploreCeilings(this.exploreAmong, arms, c, this.ceilings);
    return argmaxDecision(arms, scores, this.rng, anyCold ? 0 : this.epsilon, ceilings);
  }

  update(ctx: DecisionContext, arm: ArmId, outcome: Outcome): void {
    if (this.removed.has(arm)) return; // late feedback must not resurrect a removed arm
    if (!Number.isFinite(outcome.quality)) throw new RangeError(`quality must be finite, got ${outcome.quality}`);
    if (!this.state.has(arm)) this.addArm(arm);
    const q = clamp01(outcome.quality);
    const x = this.features(ctx);
    const st = this.state.get(arm)!;
    const ms = this.meanScore(x);
    const z = this.relScore(arm, x, ms);

    // References for the comparisons, taken before anything moves.
    const others: [ArmId, number][] = [];
    for (const b of this.state.keys()) if (b !== arm) others.push([b, this.quality(b, x, ms)]);

    if (this.gamma < 1) for (const s of this.state.values()) for (let i = 0; i < 6; i++) s.live[i] *= this.gamma;
    observe(st.live, q, z);
    st.pulls++;

    if (others.length > 0) {
      // Robbins-Monro decay in the arm's evidence: early feedback shapes w_a, later feedback
      // (and the feedback after an offline fit) only nudges it, since one bandit observation is
      // a noisy comparison.
      const lr = this.lr / others.length / Math.sqrt(1 + (st.prior[N] + st.live[N]) / 100);
      for (const [b, qb] of others) this.bt.stepOneSided(x, arm, b, sigmoid((q - qb) / this.softness), lr, this.l2);
      st.updates++;
    }
    this.t++;
    this.dirty();
  }

  /**
   * Explicit preference feedback ("winner's answer was better than loser's on this prompt",
   * e.g. from an A/B judge or a user picking one of two answers): a two-sided BT step. The
   * quality head is untouched, since no absolute quality was observed.
   */
  observePreference(ctx: DecisionContext, winner: ArmId, loser: ArmId, weight = 1): void {
    if (winner === loser) return;
    for (const a of [winner, loser]) {
      if (this.removed.has(a)) return;
      if (!this.state.has(a)) this.addArm(a);
    }
    this.bt.step(this.features(ctx), winner, loser, this.lr, this.l2, weight);
    this.state.get(winner)!.updates++;
    this.state.get(loser)!.updates++;
    this.t++;
    this.dirty();
  }

  estimate(ctx: DecisionContext, arm: ArmId): QualityEstimate {
    const st = this.state.get(arm);
    if (!st) return { mean: 0.5, halfWidth: Infinity, n: 0 };
    const n = st.prior[N] + st.live[N];
    const w = st.pw + n;
    const mean = this.quality(arm, this.features(ctx));
    if (w <= 0) return { mean, halfWidth: Infinity, n: 0 };
    const sq = st.prior[SQ] + st.live[SQ];
    const sqq = st.prior[SQQ] + st.live[SQQ];
    const dataVar = n > 0 ? Math.max(0, sqq - (sq * sq) / n) : 0;
    // One pseudo-observation at variance 0.25 (the most a [0, 1] quality can have) shrinks early estimates.
    const v = (0.25 + dataVar) / (1 + n);
    return { mean, halfWidth: 1.96 * Math.sqrt(v / w), n: w };
  }

  /**
   * Offline training on full-information rows: Bradley-Terry on the derived pairs, then the
   * calibration head seeded from the same rows as a prior (capped at offlineWeight
   * observations per arm, so online feedback can still move it). Call it before the policy
   * is served or replicated: merge counts the prior once.
   */
  fit(rows: readonly RewardRow[], opts: FitOptions & PairsOptions = {}): { pairs: number; logLoss: number } {
    for (const r of rows) for (const a of Object.keys(r.rewards)) if (!this.removed.has(a)) this.addArm(a);
    const pairs = pairsFromRewards(rows, opts).filter((p) => this.state.has(p.winner) && this.state.has(p.loser));
    this.bt.fit(pairs, opts);
    for (const st of this.state.values()) st.prior = zeroHead();
    for (const r of rows) {
      const ms = this.meanScore(r.features);
      for (const [a, raw] of Object.entries(r.rewards)) {
        const st = this.state.get(a);
        if (!st || !Number.isFinite(raw)) continue;
        const q = clamp01(raw);
        const z = this.relScore(a, r.features, ms);
        observe(st.prior, q, z);
      }
    }
    for (const st of this.state.values()) {
      const n = st.prior[N];
      if (n > this.offlineWeight) {
        const k = this.offlineWeight / n;
        for (let i = 0; i < 6; i++) st.prior[i] *= k;
      }
    }
    this.dirty();
    return { pairs: pairs.length, logLoss: this.bt.logLoss(pairs) };
  }

  /** The calibration slope currently in use (quality per unit of BT score). */
  calibrationSlope(): number {
    if (this.betaCache !== null) return this.betaCache;
    let cov = 0;
    let vz = 0;
    for (const st of this.state.values()) {
      const n = st.prior[N] + st.live[N];
      if (n <= 0) continue;
      const sz = st.prior[SZ] + st.live[SZ];
      const sq = st.prior[SQ] + st.live[SQ];
      cov += st.prior[SZQ] + st.live[SZQ] - (sz * sq) / n;
      vz += st.prior[SZZ] + st.live[SZZ] - (sz * sz) / n;
    }
    this.betaCache = Math.max(0, cov / (Math.max(0, vz) + this.betaRidge));
    return this.betaCache;
  }

  toState(): PolicyState {
    const arms: PreferenceStats['arms'] = {};
    for (const [a, st] of this.state) {
      arms[a] = {
        w: Array.from(this.bt.ensure(a)),
        pw: st.pw,
        pm: st.pm,
        prior: [...st.prior] as Head,
        live: [...st.live] as Head,
        updates: st.updates,
        pulls: st.pulls,
      };
    }
    const stats: PreferenceStats = { t: this.t, removed: [...this.removed], arms };
    return { algorithm: this.algorithm, params: this.params(), arms: this.arms(), stats, rng: this.rng.state };
  }

  static fromState(s: PolicyState): PreferenceRouter {
    if (s.algorithm !== 'preference') throw new Error(`not a preference state: ${s.algorithm}`);
    const p = new PreferenceRouter({ ...(s.params as PreferenceRouterOptions), arms: [] });
    const st = s.stats as PreferenceStats;
    for (const a of s.arms) {
      const v = st.arms[a];
      if (!v || v.w.length !== p.d) throw new Error(`state of arm ${a} is missing or has the wrong dimension`);
      p.state.set(a, {
        pw: v.pw,
        pm: v.pm,
        prior: [...v.prior] as Head,
        live: [...v.live] as Head,
        updates: v.updates,
        pulls: v.pulls,
      });
      p.bt.weights.set(a, Float64Array.from(v.w));
    }
    for (const a of st.removed ?? []) p.removed.add(a);
    p.t = st.t;
    if (s.rng !== undefined) p.rng.state = s.rng;
    return p;
  }

  /**
   * Folds another replica into this one. With `base` (the state both replicas started from)
   * only what the other learned since then is added; without it, the other's live statistics
   * are added whole and its weights weigh by all of its updates.
   */
  merge(other: PolicyState, base?: PolicyState): void {
    if (other.algorithm !== this.algorithm) throw new Error(`cannot merge ${other.algorithm} into ${this.algorithm}`);
    const o = other.stats as PreferenceStats;
    const b = (base?.stats as PreferenceStats | undefined) ?? null;
    for (const a of other.arms) {
      if (this.removed.has(a)) continue;
      const v = o.arms[a];
      if (v.w.length !== this.d) throw new Error(`cannot merge arm ${a}: dimension ${v.w.length}, expected ${this.d}`);
      const bv = b?.arms[a];
      const baseLive = bv?.live ?? zeroHead();
      const baseUpdates = bv?.updates ?? 0;
      const mine = this.state.get(a);
      if (!mine) {
        this.state.set(a, {
          pw: v.pw,
          pm: v.pm,
          prior: [...v.prior] as Head,
          live: v.live.map((x, i) => x - baseLive[i]) as Head,
          updates: v.updates - baseUpdates,
          pulls: v.pulls - (bv?.pulls ?? 0),
        });
        this.bt.weights.set(a, Float64Array.from(v.w));
        continue;
      }
      const nMine = mine.updates - baseUpdates;
      const nOther = v.updates - baseUpdates;
      if (nOther > 0) {
        const w = this.bt.ensure(a);
        const k = nMine > 0 ? nOther / (nMine + nOther) : 1;
        for (let i = 0; i < this.d; i++) w[i] += k * (v.w[i] - w[i]);
      }
      for (let i = 0; i < 6; i++) mine.live[i] += v.live[i] - baseLive[i];
      mine.updates += nOther;
      mine.pulls += v.pulls - (bv?.pulls ?? 0);
    }
    for (const a of o.removed ?? []) if (!other.arms.includes(a)) this.removeArm(a);
    this.t += o.t - (b?.t ?? 0);
    this.dirty();
  }

  private params(): Record<string, unknown> {
    return {
      d: this.d,
      epsilon: this.epsilon,
      exploreAmong: this.exploreAmong,
      lr: this.lr,
      l2: this.l2,
      softness: this.softness,
      coldPulls: this.coldPulls,
      gamma: this.gamma,
      shrink: this.shrink,
      betaRidge: this.betaRidge,
      offlineWeight: this.offlineWeight,
      featureSeed: this.featureSeed,
    };
  }

  private dirty(): void {
    this.betaCache = null;
    this.pooledCache = null;
  }

  private isCold(arm: ArmId): boolean {
    const st = this.state.get(arm)!;
    return st.pw <= 0 && st.prior[N] <= 0 && st.pulls < this.coldPulls;
  }

  /** Pooled mean quality over all arms' observations and priors (0.5 before any). */
  private pooledMean(): number {
    if (this.pooledCache !== null) return this.pooledCache;
    let s = 0;
    let n = 0;
    for (const st of this.state.values()) {
      s += st.pw * st.pm + st.prior[SQ] + st.live[SQ];
      n += st.pw + st.prior[N] + st.live[N];
    }
    this.pooledCache = n > 0 ? s / n : 0.5;
    return this.pooledCache;
  }

  /**
   * The arm's own calibration slope, shrunk toward the pooled one by betaRidge: how much an
   * arm's quality follows its relative score differs by arm (a strong model is good almost
   * everywhere, a weak one only where the score says so).
   */
  private armSlope(st: ArmState, n: number, sz: number): number {
    const sq = st.prior[SQ] + st.live[SQ];
    const cov = st.prior[SZQ] + st.live[SZQ] - (sz * sq) / n;
    const vz = Math.max(0, st.prior[SZZ] + st.live[SZZ] - (sz * sz) / n);
    return Math.max(0, (cov + this.betaRidge * this.calibrationSlope()) / (vz + this.betaRidge));
  }

  /** Mean BT score over the known arms at x: what relative scores are taken against. */
  private meanScore(x: ArrayLike<number>): number {
    let mean = 0;
    for (const a of this.state.keys()) mean += this.bt.score(a, x);
    return mean / Math.max(1, this.state.size);
  }

  /** BT score relative to the average known arm: the part of w_a . x that ranks arms. */
  private relScore(arm: ArmId, x: ArrayLike<number>, meanScore = this.meanScore(x)): number {
    return this.bt.score(arm, x) - meanScore;
  }

  /** Pass `meanScore` when estimating several arms at one x: it saves k dot products per arm. */
  private quality(arm: ArmId, x: Float64Array, meanScore?: number): number {
    const st = this.state.get(arm);
    if (!st) return 0.5;
    const n = st.prior[N] + st.live[N];
    const mu =
      (st.pw * st.pm + st.prior[SQ] + st.live[SQ] + this.shrink * this.pooledMean()) / (st.pw + n + this.shrink);
    if (n <= 0) return clamp01(mu);
    const sz = st.prior[SZ] + st.live[SZ];
    const zbar = sz / n;
    return clamp01(mu + this.armSlope(st, n, sz) * (this.relScore(arm, x, meanScore ?? this.meanScore(x)) - zbar));
  }

  private features(ctx: DecisionContext): Float64Array {
    const x = this.x;
    if (ctx.features) {
      if (ctx.features.length !== this.d)
        throw new RangeError(`preference needs context.features of length ${this.d}, got ${ctx.features.length}`);
      for (let i = 0; i < this.d; i++) x[i] = ctx.features[i];
    } else if (ctx.text !== undefined) {
      this.featurizer ??= new QueryFeaturizer({ dim: this.d, seed: this.featureSeed });
      this.featurizer.featurizeInto(ctx.text, x, 0);
    } else {
      // No context at all: the bias slot alone, so the router degrades to per-arm means.
      x.fill(0);
      x[0] = 1;
    }
    return x;
  }
}
