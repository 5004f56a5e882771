import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * Every library's runnable example, `libs/<group>/<lib>/examples/basic.ts`, and what its README
 * says of it: run by tools/lint/lib-examples.spec.ts (the ones that need no broker or database)
 * and test/e2e/lib-examples.int-spec.ts (the others), so a README's example cannot rot.
 */
export const ROOT = resolve(__dirname, '../..');

/** Libraries whose example needs Kafka or PostgreSQL (run by the integration suite). */
export const NEEDS_INFRA = ['io/kafka', 'io/persistence', 'io/replica', 'dev/infra'];

/** Examples that build a Nest module: run as the services run, with SWC (tsx emits no decorator metadata). */
const RUN_WITH_SWC = ['io/replica'];

export interface LibExample {
  /** `core/bandits`, `io/kafka`, ... */
  lib: string;
  readme: string;
  /** Repository-relative path of the example. */
  example: string;
  /** ```text blocks of the README: what the example prints, exactly. */
  outputs: string[];
  /** ```ts blocks of the README. */
  snippets: string[];
}

export function libExamples(): LibExample[] {
  const out: LibExample[] = [];
  for (const group of ['core', 'io', 'dev']) {
    for (const name of readdirSync(join(ROOT, 'libs', group)).sort()) {
      const dir = join(ROOT, 'libs', group, name);
      const readmePath = join(dir, 'README.md');
      if (!existsSync(readmePath)) continue;
      const readme = readFileSync(readmePath, 'utf8');
      out.push({
        lib: `${group}/${name}`,
        readme,
        example: relative(ROOT, join(dir, 'examples/basic.ts')),
        outputs: fencedBlocks(readme, 'text'),
        snippets: fencedBlocks(readme, 'ts'),
      });
    }
  }
  return out;
}

/** The bodies of a Markdown text's fenced blocks of one language, each with its final newline. */
export function fencedBlocks(markdown: string, lang: string): string[] {
  const blocks: string[] = [];
  const re = new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm');
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) blocks.push(m[1]);
  return blocks;
}

/** Runs a library's example from the repository root, with tsx or, for a Nest module, SWC as the services run. */
export function runExample(
  l: Pick<LibExample, 'lib' | 'example'>,
  args: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): { status: number | null; stdout: string; stderr: string } {
  const command = RUN_WITH_SWC.includes(l.lib)
    ? ['-r', '@swc-node/register', l.example]
    : [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), '--tsconfig', 'tsconfig.typecheck.json', l.example];
  const r = spawnSync(process.execPath, [...command, ...args], {
    cwd: ROOT,
    env: { ...env, SWC_NODE_PROJECT: 'tsconfig.typecheck.json' },
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
