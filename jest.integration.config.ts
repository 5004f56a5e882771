/* Integration and end-to-end tests: real Kafka and PostgreSQL (KAFKA_BROKERS / DATABASE_URL
 * are provided by `npm run infra -- run -- ...`). One worker: the tests share one broker. */
export default {
  displayName: 'integration',
  rootDir: '.',
  preset: './jest.preset.js',
  testMatch: ['<rootDir>/{libs,apps,test}/**/*.int-spec.ts'],
  testTimeout: 240000,
  maxWorkers: 1,
};
