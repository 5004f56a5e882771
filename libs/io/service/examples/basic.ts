// Run: npx tsx --tsconfig tsconfig.typecheck.json libs/io/service/examples/basic.ts
import { ConfigError, baseEnvSchema, loadConfig, policyEnvShape, policyOptionsFromEnv } from '../src'; // in your code: '@llm-router/service'

// A service's configuration: the shared variables, the policy's, and one of its own.
const schema = baseEnvSchema('my-service', 3010).extend({ ...policyEnvShape });

const config = loadConfig('my-service', schema, {
  KAFKA_BROKERS: '127.0.0.1:9092',
  DATABASE_URL: 'postgres://router:router@127.0.0.1:5432/router',
  POLICY_OPTIONS: '{"epsilon-greedy":{"epsilon":0.05}}',
});
console.log('brokers %j, port %d, policy %s', config.KAFKA_BROKERS, config.HTTP_PORT, config.ROUTER_POLICY);
console.log('policy options %j', policyOptionsFromEnv(config).optionsByPolicy);

// Every bad variable is named at once, before the service starts.
try {
  loadConfig('my-service', schema, { KAFKA_BROKERS: '', ROUTER_POLICY: 'ucb2', HTTP_PORT: '70000' });
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.log(e.message);
}
