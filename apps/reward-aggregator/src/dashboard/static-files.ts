import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The dashboard's files live in two places depending on how the aggregator runs: next to this
 * module when it runs from source (swc-node, jest), and under dashboard/public next to main.js
 * when it runs from the webpack bundle (webpack.config.js copies them there). __dirname means
 * either, so both layouts are tried, plus the directory of the entry script in case a bundler
 * ever stops preserving __dirname.
 */
export function dashboardPublicDirCandidates(): string[] {
  const entry = process.argv[1] ? dirname(process.argv[1]) : undefined;
  return [
    join(__dirname, 'public'),
    join(__dirname, 'dashboard', 'public'),
    ...(entry ? [join(entry, 'dashboard', 'public')] : []),
  ];
}

export function findDashboardPublicDir(candidates = dashboardPublicDirCandidates()): string | null {
  return candidates.find((d) => existsSync(join(d, 'index.html')) && existsSync(join(d, 'app.js'))) ?? null;
}

/**
 * Chart.js's UMD build from node_modules (served as-is, never copied into the repository).
 * The package's exports map hides dist/chart.umd.js, so its main entry is resolved and the
 * sibling taken. require.resolve is what resolves it from source, and its literal argument is
 * what makes the build list chart.js in dist/package.json (so the Docker image installs it);
 * inside the webpack bundle it answers a module id rather than a path, hence the createRequire
 * fallbacks from the bundle's directory and from the working directory.
 */
export function findChartJsUmd(): string | null {
  const resolvers: (() => string)[] = [
    () => require.resolve('chart.js'),
    ...[process.argv[1], join(process.cwd(), 'noop.js')]
      .filter((b): b is string => !!b)
      .map((base) => () => createRequire(base).resolve('chart.js')),
  ];
  for (const resolve of resolvers) {
    try {
      const umd = join(dirname(resolve()), 'chart.umd.js');
      if (existsSync(umd)) return umd;
    } catch {
      // Not resolvable this way; the next one may be.
    }
  }
  return null;
}
