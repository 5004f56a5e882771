import nx from '@nx/eslint-plugin';

/**
 * The architecture, enforced (docs/architecture.md):
 *   apps -> io libs -> core libs; dev libs (local infrastructure) serve tools and tests.
 * Core libs are the learning and optimisation code: no framework, no broker, no database,
 * no file system, so they stay testable and benchmarkable in-process.
 */
const IO_PACKAGES = [
  '@nestjs/*',
  'nestjs-pino',
  'kafkajs',
  'typeorm',
  'pg',
  'pino',
  'pino-http',
  'express',
  'axios',
  'prom-client',
];
const NODE_IO = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'child_process',
  'dgram',
  'tls',
  'worker_threads',
  'cluster',
];
const CORE_BANNED = [...IO_PACKAGES, ...NODE_IO, ...NODE_IO.map((m) => `node:${m}`)];

const boundaries = (devAllowed) => ({
  '@nx/enforce-module-boundaries': [
    'error',
    {
      enforceBuildableLibDependency: true,
      // Shared build configs that project config files import by path.
      allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$', '^.*/tools/webpack/app-webpack(\\.js)?$'],
      depConstraints: [
        { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:core'], bannedExternalImports: CORE_BANNED },
        {
          sourceTag: 'type:io',
          onlyDependOnLibsWithTags: ['type:io', 'type:core', ...(devAllowed ? ['type:dev'] : [])],
        },
        { sourceTag: 'type:dev', onlyDependOnLibsWithTags: ['type:io', 'type:core', 'type:dev'] },
        { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:io', 'type:core', 'type:dev'] },
        {
          sourceTag: 'type:app',
          onlyDependOnLibsWithTags: ['type:io', 'type:core', ...(devAllowed ? ['type:dev'] : [])],
        },
      ],
    },
  ],
});

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/out-tsc', '**/node_modules', 'tmp/**', 'coverage/**'],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs', '**/*.cts'],
    rules: boundaries(false),
  },
  {
    // Tests may start the local infrastructure (type:dev) to reach a real broker and database.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/examples/**/*.ts'],
    rules: boundaries(true),
  },
  {
    // Node built-ins are not in the project graph, so Nx's banned list cannot see them.
    files: ['libs/core/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: CORE_BANNED.filter((m) => !m.includes('*')), patterns: ['@nestjs/*'] },
      ],
    },
  },
];
