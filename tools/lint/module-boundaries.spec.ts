import { createProjectGraphAsync } from '@nx/devkit';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * The architecture rules of eslint.config.mjs catch what they are there to catch: each case
 * lints a deliberate violation as if it were a file of the project named in its path.
 */
const ROOT = resolve(__dirname, '../..');

interface LintMessage {
  ruleId: string | null;
  severity: number;
  message: string;
}

// ESLint runs as its own process: its flat config is ESM, which Jest's CommonJS runtime cannot load.
async function lint(filePath: string, code: string): Promise<string[]> {
  const bin = resolve(ROOT, 'node_modules/eslint/bin/eslint.js');
  const run = spawnSync(process.execPath, [bin, '--stdin', '--stdin-filename', filePath, '--format', 'json'], {
    cwd: ROOT,
    input: code,
    encoding: 'utf8',
  });
  if (!run.stdout) throw new Error(`eslint failed: ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as Array<{ messages: LintMessage[] }>;
  return result.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('module boundaries', () => {
  beforeAll(async () => {
    // The boundary rule reads the cached project graph and skips itself silently without one.
    await createProjectGraphAsync({ exitOnError: false });
  }, 120000);

  it('refuses a broker client in a core lib', async () => {
    const errors = await lint(
      'libs/core/bandits/src/lib/violation.ts',
      "import { Kafka } from 'kafkajs';\nexport const k = Kafka;\n",
    );
    expect(errors.join('\n')).toMatch(/type:core.*not allowed to import "kafkajs"/);
  });

  it('refuses NestJS, pg, typeorm and node:fs in a core lib', async () => {
    for (const mod of ['@nestjs/common', 'pg', 'typeorm', 'node:fs', 'node:child_process', 'node:net']) {
      const errors = await lint(
        'libs/core/pacing/src/lib/violation.ts',
        `import * as m from '${mod}';\nexport const x = m;\n`,
      );
      expect({ mod, errors: errors.length > 0 }).toEqual({ mod, errors: true });
    }
  });

  it('refuses an I/O lib in a core lib', async () => {
    const errors = await lint(
      'libs/core/batch/src/lib/violation.ts',
      "import { x } from '@llm-router/kafka';\nexport const y = x;\n",
    );
    expect(errors.join('\n')).toMatch(/type:core.*can only depend on libs tagged with "type:core"/);
  });

  it('refuses an app importing another app', async () => {
    const errors = await lint(
      'apps/batch-planner/src/violation.ts',
      "import { x } from '../../router/src/config';\nexport const y = x;\n",
    );
    expect(errors.length).toBeGreaterThan(0);
  });

  it('refuses the dev infrastructure in app code, allows it in tests', async () => {
    const code = "import { freePort } from '@llm-router/infra';\nexport const p = freePort;\n";
    expect((await lint('apps/router/src/violation.ts', code)).join('\n')).toMatch(/type:app.*can only depend on/);
    expect(await lint('apps/router/src/violation.int-spec.ts', code)).toEqual([]);
  });

  it('accepts a core lib importing a core lib', async () => {
    expect(
      await lint(
        'libs/core/pacing/src/lib/fine.ts',
        "import { Rng } from '@llm-router/numerics';\nexport const r = Rng;\n",
      ),
    ).toEqual([]);
  });
});
