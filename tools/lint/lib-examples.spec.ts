import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSyntheticDataset } from '../lib/synthetic-data';
import { NEEDS_INFRA, ROOT, fencedBlocks, libExamples, runExample } from '../lib/lib-examples';

/**
 * Each library's README names one runnable example, and the example runs: here the ones that need
 * no broker or database, in test/e2e/lib-examples.int-spec.ts the others.
 */
const libs = libExamples();

describe('fencedBlocks', () => {
  it('returns the bodies of the blocks of one language, in order', () => {
    const md = 'a\n```ts\nconst x = 1;\n```\nb\n```text\nout 1\nout 2\n```\n```ts\ny();\n```\n';
    expect(fencedBlocks(md, 'ts')).toEqual(['const x = 1;\n', 'y();\n']);
    expect(fencedBlocks(md, 'text')).toEqual(['out 1\nout 2\n']);
    expect(fencedBlocks(md, 'sh')).toEqual([]);
  });
});

describe.each(libs.map((l) => [l.lib, l] as const))('libs/%s README', (lib, l) => {
  it('names its runnable example, which exists', () => {
    expect(existsSync(join(ROOT, l.example))).toBe(true);
    expect(l.readme).toContain(l.example);
  });

  it('shows the example as it is when it shows the whole file', () => {
    const code = readFileSync(join(ROOT, l.example), 'utf8');
    const firstLine = code.slice(0, code.indexOf('\n') + 1);
    for (const s of l.snippets.filter((x) => x.startsWith(firstLine))) expect(s).toBe(code);
  });

  if (NEEDS_INFRA.includes(lib)) return;

  it('runs, and prints what its README says it prints', () => {
    // The providers example replays a dataset: a small synthetic one here, never ../shared/data.
    const args = lib === 'io/providers' ? [writeSyntheticDataset(20).dataPath] : [];
    const run = runExample(l, args);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout.trim()).not.toBe('');
    for (const out of l.outputs) expect(run.stdout).toBe(out);
  }, 180_000);
});
