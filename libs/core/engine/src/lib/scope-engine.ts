import {
  basePolicyName,
  createPolicy,
  DecideConstraints,
  DecisionContext,
  Policy,
  policyFromState,
  PolicyState,
  Rng,
} from '@llm-router/bandits';
import { DecisionEvent, ownValue, PriceEvent, QueryRequest } from '@llm-router/contracts';
import { appendEmbeddingBlock } from '@llm-router/features';
import { CostModel, ModelPrice } from '@llm-router/pricing';
import { decisionIdFor } from './decision-id';

/** Turns a prompt into the policy's feature vector (libs/core/features' QueryFeaturizer fits). */
export interface Featurizer {
  readonly dim: number;
  featurize(text: string): Float64Array;
}

export interface EngineOptions {
  algorithm: string;
  /** Length of the featurizer's vectors (FEATURE_DIM). */
  featureDim: number;
  /**
   * Coordinates of the embedding block after them (EMBEDDING_DIM, default 0), which decide()
   * fills from its `embedding`: the policy's dimension is featureDim + embeddingDim.
   */
  embeddingDim?: number;
  seed: number;
  /**
   * Mixed into the seed of this engine's own random stream (`applySnapshot`'s `ownRandomness`),
   * not into the policy's: replicas of one fleet share POLICY_SEED, and without a salt of their
   * own every router drew the same exploration after each snapshot, which made two routers
   * explore as one. 0 (default) keeps the stream a function of `seed` alone.
   */
  replicaSalt?: number;
  /** Cost weight until a pacer or a snapshot says otherwise. */
  defaultLambda: number;
  /** Per-scope algorithm overrides (scope -> policy name); other scopes use `algorithm`. */
  scopePolicies?: Record<string, string>;
  /** Options for every scope's policy, whatever its name (programmatic use and tests). */
  policyOptions?: Record<string, unknown>;
  /** Options per policy name (POLICY_OPTIONS): a scope gets those of the policy it runs. */
  optionsByPolicy?: Record<string, Record<string, unknown>>;
  /** Options per scope (SCOPE_POLICIES' JSON form): they win, key by key, over optionsByPolicy. */
  scopePolicyOptions?: Record<string, Record<string, unknown>>;
}

export interface RoutedDecision {
  event: Omit<DecisionEvent, 'ts'>;
  /** Eligible arms by descending score: the fallback order when a call fails. */
  ranking: string[];
}

/**
 * Everything one scope needs to route and to learn: its policy, the model catalog, the
 * cost model and lambda. Routers use decide(); the reward aggregator uses learn() and
 * snapshot(); both apply prices and catalog events the same way, so they agree on arms.
 */
export class ScopeEngine {
  policy: Policy;
  version = 0;
  lambda: number;
  pacer: unknown = null;
  readonly costs = new CostModel();
  private readonly disabled = new Set<string>();
  /** The policy's dimension: the featurizer's features, then the embedding block. */
  private readonly dim: number;
  /**
   * This engine's own decisions per model (DecideConstraints.decided): a router learns only from
   * snapshots, so its policy does not know of the pulls it has just made.
   */
  private decided: Record<string, number> = noPrototype();
  /** Where each snapshot's policy takes its random state from (`applySnapshot`). */
  private readonly randomness: Rng;

  constructor(
    readonly scope: string,
    private readonly opts: EngineOptions,
    private readonly featurizer: Featurizer,
  ) {
    this.lambda = opts.defaultLambda;
    this.randomness = new Rng(opts.seed ^ SNAPSHOT_RNG_SALT ^ (opts.replicaSalt ?? 0));
    this.dim = opts.featureDim + (opts.embeddingDim ?? 0);
    const algorithm = ownValue(opts.scopePolicies, scope) ?? opts.algorithm;
    const options = {
      arms: [],
      seed: opts.seed,
      d: this.dim,
      ...opts.policyOptions,
      ...ownValue(opts.optionsByPolicy, basePolicyName(algorithm)),
      ...ownValue(opts.scopePolicyOptions, scope),
    };
    this.policy = createPolicy(algorithm, options);
    this.policyKey = JSON.stringify([algorithm, options]);
  }

  /** The policy's name and options: two scopes with the same key start from the same policy. */
  readonly policyKey: string;

  /** Models that can be routed to now: priced, and not disabled or removed. */
  arms(): string[] {
    return this.costs
      .models()
      .filter((m) => !this.disabled.has(m))
      .sort();
  }

  applyPrice(p: PriceEvent | ModelPrice): void {
    this.costs.setPrice({
      model: p.model,
      inputPerM: p.inputPerM,
      outputPerM: p.outputPerM,
      selfHosted: p.selfHosted,
      concurrency: p.concurrency,
      costFactor: p.costFactor,
    });
    if (!this.policy.arms().includes(p.model)) this.policy.addArm(p.model);
  }

  applyCatalog(model: string, action: 'added' | 'removed' | 'enabled' | 'disabled'): void {
    if (action === 'removed') {
      this.costs.removeModel(model);
      this.policy.removeArm(model);
      this.disabled.delete(model);
    } else if (action === 'disabled') {
      this.disabled.add(model);
    } else {
      this.disabled.delete(model);
      if (this.costs.price(model) && !this.policy.arms().includes(model)) this.policy.addArm(model);
    }
  }

  /**
   * Replaces the local policy with a newer one learned by the aggregator; older versions are
   * ignored. `ownRandomness`: a decider's (a router's) policy takes its random state from this
   * engine's own stream, not the snapshot's. The learner never decides, so that state never
   * moves: restored as it is, every snapshot sent a router back to the same draws, and each
   * interval replayed the same exploration (docs/decisions/0046). The learner restoring its own
   * checkpoint keeps the state exactly.
   */
  applySnapshot(
    s: { version: number; algorithm: string; state: unknown; lambda: number },
    opts: { ownRandomness?: boolean } = {},
  ): boolean {
    if (s.version <= this.version) return false;
    const before = this.policy.algorithm;
    const state = s.state as PolicyState;
    this.policy = policyFromState(opts.ownRandomness ? { ...state, rng: this.randomness.int(RNG_STATES) } : state);
    // A switched policy starts its own cold start; the same one keeps counting this engine's pulls.
    if (this.policy.algorithm !== before) this.decided = noPrototype();
    for (const m of this.costs.models()) if (!this.policy.arms().includes(m)) this.policy.addArm(m);
    this.version = s.version;
    this.lambda = s.lambda;
    return true;
  }

  snapshotState(): PolicyState {
    return this.policy.toState();
  }

  /** The policy's context for `text`: its features, then the embedding block (zeros without `embedding`). */
  features(text: string, embedding?: ArrayLike<number>): Float64Array {
    return appendEmbeddingBlock(this.featurizer.featurize(text), embedding, this.dim);
  }

  /**
   * `embedding`: the query's embedding block (libs/core/features EmbeddingBlock), already
   * quantised: it is logged in `features` with the rest, so the learner gets exactly it back.
   */
  decide(query: QueryRequest, opts: { decisionId?: string; embedding?: ArrayLike<number> } = {}): RoutedDecision {
    const arms = this.arms();
    if (arms.length === 0) throw new Error(`scope ${this.scope}: no model is available (no prices received yet?)`);
    const text = queryText(query);
    const x = this.features(text, opts.embedding);
    // Computed once and handed to decide() in place of the text, so that what is logged is
    // exactly what the policy decided on (and, for explicit choices, what it will learn from).
    const textFeatures = this.policy.textFeatures?.(text);
    const costs = this.costs.costs(arms);
    const c = query.constraints;
    const decisionId = opts.decisionId ?? decisionIdFor(this.scope, query.id);
    const base = {
      decisionId,
      requestId: query.id,
      scope: this.scope,
      policyVersion: this.version,
      features: sparse(x),
      ...(textFeatures ? { textFeatures } : {}),
      priceSnapshot: costs,
      lambda: this.lambda,
      mode: c.mode,
      batchId: query.batchId,
    };
    if (c.model) {
      if (!arms.includes(c.model)) throw new Error(`model ${c.model} is not available (known: ${arms.join(', ')})`);
      this.countDecision(c.model);
      return { event: { ...base, policy: 'explicit', arm: c.model, propensity: 1, scores: {} }, ranking: [c.model] };
    }
    const constraints: DecideConstraints = {
      lambda: this.lambda,
      costs,
      maxCostUsd: c.maxCostUsd,
      minQuality: c.minQuality,
      decided: this.decided,
    };
    const d = this.policy.decide({ features: x, text, textFeatures }, arms, constraints);
    this.countDecision(d.arm);
    const ranking = Object.keys(d.scores).sort((a, b) => d.scores[b] - d.scores[a]);
    return {
      event: {
        ...base,
        policy: this.policy.algorithm,
        arm: d.arm,
        propensity: Math.max(d.propensity, 1e-6),
        scores: d.scores,
      },
      ranking: [d.arm, ...ranking.filter((a) => a !== d.arm)],
    };
  }

  private countDecision(model: string): void {
    this.decided[model] = (this.decided[model] ?? 0) + 1;
  }

  /**
   * Learns one observed quality for a logged decision, from what the decision logged alone:
   * the features, the policy's text features and the expected costs (priceSnapshot). Returns
   * R = quality - lambda * cost at decision time.
   */
  learn(
    decision: Pick<DecisionEvent, 'arm' | 'features' | 'textFeatures' | 'priceSnapshot' | 'lambda'>,
    quality: number,
    costUsd?: number,
  ): { reward: number; costUsd: number } {
    const cost = costUsd ?? decision.priceSnapshot[decision.arm] ?? 0;
    if (!this.policy.arms().includes(decision.arm)) this.policy.addArm(decision.arm);
    this.policy.update(loggedContext(decision, this.dim), decision.arm, {
      quality,
      costUsd: cost,
      expectedCostUsd: decision.priceSnapshot[decision.arm],
      decidedWith: { lambda: decision.lambda, costs: decision.priceSnapshot },
    });
    return { reward: quality - decision.lambda * cost, costUsd: cost };
  }
}

/** Random states a restored policy may take (mulberry32's: 32 bits). */
const RNG_STATES = 2 ** 32;

/** Keeps the snapshots' stream apart from the policy's own stream of the same seed. */
const SNAPSHOT_RNG_SALT = 0x5bd1e995;

/** A record without a prototype: a model named __proto__ is a key like any other. */
function noPrototype(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

/** The text a query's features (and its embedding) are computed from: its messages, one per line. */
export function queryText(query: Pick<QueryRequest, 'messages'>): string {
  return query.messages.map((m) => m.content).join('\n');
}

/** The DecisionContext a logged decision restores: what decide() saw, minus the text. */
export function loggedContext(
  decision: Pick<DecisionEvent, 'features' | 'textFeatures'>,
  featureDim: number,
): DecisionContext {
  return {
    features: dense(decision.features ?? {}, featureDim),
    ...(decision.textFeatures ? { textFeatures: decision.textFeatures } : {}),
  };
}

export function sparse(x: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) out[i] = x[i];
  return out;
}

export function dense(s: Record<string, number>, dim: number): Float64Array {
  const x = new Float64Array(dim);
  for (const [k, v] of Object.entries(s)) {
    const i = Number(k);
    if (i >= 0 && i < dim) x[i] = v;
  }
  return x;
}
