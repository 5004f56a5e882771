import { policyFromState, policyNames } from '@llm-router/bandits';
import { PriceEvent, QueryRequest } from '@llm-router/contracts';
import { EngineRegistry } from '@llm-router/engine';
import { QueryFeaturizer } from '@llm-router/features';
import { baseEnvSchema, ConfigError, loadConfig, policyEnvShape, policyOptionsFromEnv } from './config';

const schema = baseEnvSchema('svc', 3000).extend(policyEnvShape);
const base = { KAFKA_BROKERS: 'a:1', DATABASE_URL: 'postgres://h/db', FEATURE_DIM: '32' };
const ARMS = ['m-small', 'm-mid', 'm-large'];

/** What every service does at start: parse the variables, then build the engine options from them. */
function engineOptions(env: Record<string, string>) {
  return policyOptionsFromEnv(loadConfig('svc', schema, { ...base, ...env }));
}

function configError(env: Record<string, string>): string {
  try {
    engineOptions(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('no configuration error');
}

/** The environment that selects each registered policy, options included where it needs or shows them. */
const ENV_PER_POLICY: Record<string, Record<string, string>> = {
  random: {},
  'epsilon-greedy': { POLICY_OPTIONS: '{"epsilon-greedy":{"epsilon":0.05}}' },
  ucb1: { POLICY_OPTIONS: '{"ucb1":{"alpha":0.5}}' },
  'discounted-ucb': { POLICY_OPTIONS: '{"discounted-ucb":{"window":20}}' },
  thompson: { POLICY_OPTIONS: '{"thompson":{"propensityDraws":8}}' },
  linucb: { POLICY_OPTIONS: '{"linucb":{"alpha":0.3}}' },
  lints: { POLICY_OPTIONS: '{"lints":{"propensityDraws":8}}' },
  fixed: { ROUTER_POLICY: 'fixed:m-mid' },
  conservative: { POLICY_OPTIONS: '{"conservative":{"baseline":"m-small","alpha":0.1}}' },
  auto: { POLICY_OPTIONS: '{"auto":{"buckets":8}}' },
  preference: { POLICY_OPTIONS: '{"preference":{"epsilon":0.1}}' },
};

const now = '2026-11-25T12:00:00.000Z';
const query = (i: number): QueryRequest =>
  QueryRequest.parse({ id: `q${i}`, messages: [{ role: 'user', content: `Write a python function number ${i}` }] });

describe('every registered policy, configured as the services configure it', () => {
  it('covers the registry', () => {
    expect(policyNames().sort()).toEqual(Object.keys(ENV_PER_POLICY).sort());
  });

  for (const [name, env] of Object.entries(ENV_PER_POLICY)) {
    it(`${name}: starts in an engine, routes and learns, and survives a snapshot`, () => {
      const opts = engineOptions({ ROUTER_POLICY: name, ...env });
      const registry = new EngineRegistry(opts, new QueryFeaturizer({ dim: opts.featureDim }));
      ARMS.forEach((model, i) =>
        registry.applyPrice({
          model,
          inputPerM: 0.1 * 10 ** i,
          outputPerM: 0.4 * 10 ** i,
          effectiveFrom: now,
          source: 'test',
          selfHosted: false,
          discountTiers: [],
        } satisfies PriceEvent),
      );
      const engine = registry.get('default');
      expect(engine.policy.algorithm).toBe(name);
      for (let i = 0; i < 12; i++) {
        const { event } = engine.decide(query(i));
        expect(ARMS).toContain(event.arm);
        expect(event.policy).toBe(name);
        expect(event.propensity).toBeGreaterThan(0);
        engine.learn(event, event.arm === 'm-mid' ? 0.9 : 0.3);
      }
      // What a router does with the aggregator's snapshot.
      const replica = registry.get('replica');
      expect(replica.applySnapshot({ version: 1, algorithm: name, state: engine.snapshotState(), lambda: 0 })).toBe(
        true,
      );
      expect(replica.policy.algorithm).toBe(name);
      expect(ARMS).toContain(replica.decide(query(99)).event.arm);
    });
  }

  it('hands each policy its own options, and a scope its options over them', () => {
    const opts = engineOptions({
      ROUTER_POLICY: 'epsilon-greedy',
      SCOPE_POLICIES: 'safe=conservative,explore=epsilon-greedy',
      POLICY_OPTIONS: '{"epsilon-greedy":{"epsilon":0.05},"conservative":{"baseline":"m-small","alpha":0.1}}',
      SCOPE_POLICY_OPTIONS: '{"explore":{"epsilon":0.3}}',
    });
    const registry = new EngineRegistry(opts, new QueryFeaturizer({ dim: opts.featureDim }));
    expect(registry.get('default').policy.toState().params).toMatchObject({ epsilon: 0.05 });
    expect(registry.get('explore').policy.toState().params).toMatchObject({ epsilon: 0.3 });
    const safe = registry.get('safe').policy.toState();
    expect(safe.params).toMatchObject({ baseline: 'm-small', alpha: 0.1 });
    expect(policyFromState(safe).algorithm).toBe('conservative');
  });
});

describe('policy configuration errors stop the service, naming what is wrong', () => {
  it('a misspelt option, with the known ones', () => {
    expect(configError({ POLICY_OPTIONS: '{"epsilon-greedy":{"epsilonn":0.05}}' })).toContain(
      'POLICY_OPTIONS.epsilon-greedy.epsilonn: unknown option (known: coldPulls, epsilon, epsilonDecay, epsilonMin, exploreAmong, gamma, priors, seed)',
    );
  });

  it('a wrong type or range', () => {
    expect(configError({ POLICY_OPTIONS: '{"epsilon-greedy":{"epsilon":"high"}}' })).toMatch(
      /POLICY_OPTIONS\.epsilon-greedy\.epsilon: .*number/,
    );
    expect(configError({ POLICY_OPTIONS: '{"ucb1":{"alpha":-2}}' })).toMatch(/POLICY_OPTIONS\.ucb1\.alpha: /);
  });

  it('a misspelt policy, wherever it is named', () => {
    expect(configError({ ROUTER_POLICY: 'thompsn' })).toMatch(
      /ROUTER_POLICY: unknown policy 'thompsn' \(known: .*thompson/,
    );
    expect(configError({ SCOPE_POLICIES: 'support=ucb' })).toMatch(/SCOPE_POLICIES\.support: unknown policy 'ucb'/);
    expect(configError({ POLICY_OPTIONS: '{"epsilon_greedy":{}}' })).toMatch(
      /POLICY_OPTIONS\.epsilon_greedy: unknown policy/,
    );
    expect(configError({ POLICY_OPTIONS: '[1]' })).toMatch(/POLICY_OPTIONS: must be a JSON object/);
  });

  it('a policy that lacks what it needs: conservative without a baseline', () => {
    expect(configError({ ROUTER_POLICY: 'conservative' })).toMatch(
      /ROUTER_POLICY=conservative: POLICY_OPTIONS\.conservative\.baseline: is required/,
    );
    expect(configError({ SCOPE_POLICIES: 'safe=conservative' })).toMatch(
      /scope safe \(conservative\): POLICY_OPTIONS\.conservative\.baseline: is required/,
    );
  });

  it("a scope's options, checked against that scope's policy", () => {
    expect(configError({ SCOPE_POLICIES: 'code=linucb', SCOPE_POLICY_OPTIONS: '{"code":{"epsilon":0.1}}' })).toMatch(
      /scope code \(linucb\): SCOPE_POLICY_OPTIONS\.code\.epsilon: unknown option \(known: alpha, /,
    );
  });
});

describe('EMBEDDING_DIM', () => {
  it('extends every policy by the embedding block after the hashed features; 0 (the default) adds none', () => {
    expect(engineOptions({})).toMatchObject({ featureDim: 32, embeddingDim: 0 });
    expect(engineOptions({ EMBEDDING_DIM: '16' })).toMatchObject({ featureDim: 32, embeddingDim: 16 });
    const opts = engineOptions({ EMBEDDING_DIM: '16', ROUTER_POLICY: 'linucb' });
    const engine = new EngineRegistry(opts, new QueryFeaturizer({ dim: 32 })).get('s');
    expect(engine.features('a prompt').length).toBe(48);
    expect((engine.snapshotState().params as { d: number }).d).toBe(48);
  });

  it('refuses a negative or huge block', () => {
    expect(configError({ EMBEDDING_DIM: '-1' })).toMatch(/EMBEDDING_DIM/);
    expect(configError({ EMBEDDING_DIM: '100000' })).toMatch(/EMBEDDING_DIM/);
  });
});
