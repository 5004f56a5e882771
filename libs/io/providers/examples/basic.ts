// npx tsx libs/io/providers/examples/basic.ts [dataset.jsonl]
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ReplayProvider } from '../src';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(
    'Usage: npx tsx libs/io/providers/examples/basic.ts [dataset.jsonl]\n\n' +
      "Answers the dataset's first prompt with its first model from the replay provider\n" +
      '(default dataset: ../shared/data/paretobandit/val.jsonl).',
  );
  process.exit(0);
}
const path = process.argv[2] ?? resolve(__dirname, '../../../../../shared/data/paretobandit/val.jsonl');
if (!existsSync(path)) throw new Error(`no dataset at ${path}: pass one`);
const replay = ReplayProvider.fromFile(path);
const model = replay.models()[0];
replay.complete({ model, messages: [{ role: 'user', content: replay.rows[0].prompt }] }).then((r) => {
  console.log(model, r.output, 'cost', r.costUsd, 'judged quality', replay.quality(0, model));
});
