import { ConfigError } from '@llm-router/service';
import { loadAggregatorConfig } from '../config';

const env = { KAFKA_BROKERS: 'a:1', DATABASE_URL: 'postgres://h/db' };

describe('aggregator policy configuration', () => {
  it('reads the switch gate settings with their defaults', () => {
    expect(loadAggregatorConfig(env)).toMatchObject({
      POLICY_SWITCH_TOLERANCE: 0.02,
      POLICY_SWITCH_LEVEL: 0.95,
      POLICY_SWITCH_MIN_ESS: 10,
      POLICY_SWITCH_MAX_DECISIONS: 20000,
    });
    expect(() => loadAggregatorConfig({ ...env, POLICY_SWITCH_TOLERANCE: '-1' })).toThrow(/POLICY_SWITCH_TOLERANCE/);
  });

  it('stops at load on a policy that lacks what it needs, before the service is built', () => {
    const load = () => loadAggregatorConfig({ ...env, ROUTER_POLICY: 'conservative' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      /reward-aggregator: invalid configuration:\n.*POLICY_OPTIONS\.conservative\.baseline: is required/,
    );
    expect(
      loadAggregatorConfig({
        ...env,
        ROUTER_POLICY: 'conservative',
        POLICY_OPTIONS: '{"conservative":{"baseline":"meta-llama/llama-3.1-8b-instruct","alpha":0.1}}',
      }).POLICY_OPTIONS,
    ).toEqual({ conservative: { baseline: 'meta-llama/llama-3.1-8b-instruct', alpha: 0.1 } });
  });
});
