module.exports = {
  displayName: 'infra',
  preset: '../../../jest.preset.js',
  coverageDirectory: '../../../coverage/libs/infra',
  // Unit specs and the integration spec (real Kafka and PostgreSQL processes) in one run.
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts'],
  // Generous for the integration spec: a first start on a fresh machine installs PostgreSQL and
  // downloads the Kafka jars.
  testTimeout: 120_000,
};
