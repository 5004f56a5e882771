/**
 * Micro-benchmark of QueryFeaturizer.featurizeInto over the golden prompt set, or over the
 * `prompt` fields of a JSONL file (e.g. ../shared/data/paretobandit/val.jsonl):
 *   nice -n 15 node -r @swc-node/register libs/core/features/examples/featurize-bench.ts [passes] [file.jsonl]
 * Prints the median of 5 runs in microseconds per call (each run: `passes` passes over the
 * prompts, after one warm-up run).
 */
import { readFileSync } from 'node:fs';
import { QueryFeaturizer } from '../src/index';
import { goldenPrompts } from '../src/testing/golden-prompts';

const RUNS = 5;
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`Usage: node -r @swc-node/register libs/core/features/examples/featurize-bench.ts [passes] [file.jsonl]

Median of ${RUNS} runs of QueryFeaturizer.featurizeInto, in microseconds per call.
  passes       passes over the prompts per run (default 40)
  file.jsonl   prompts from the \`prompt\` field of each line (default: the golden prompt set)`);
  process.exit(0);
}
const passes = Number(process.argv[2] ?? 40);
if (!(passes >= 1)) throw new Error(`passes must be a number >= 1, got ${process.argv[2]}`);
// JSON round trip: the router gets prompts from JSON.parse as flat strings, while the
// generator builds them by concatenation (cons strings make every charCodeAt slower).
const dataFile = process.argv[3];
const prompts = dataFile
  ? readFileSync(dataFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => (JSON.parse(line) as { prompt: string }).prompt)
  : goldenPrompts().map((p) => JSON.parse(JSON.stringify(p)) as string);
const featurizer = new QueryFeaturizer({ dim: 64 });
const out = new Float64Array(featurizer.dim);

function run(): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) {
    for (const text of prompts) {
      featurizer.featurizeInto(text, out, 0);
      sink += out[20];
    }
  }
  const us = Number(process.hrtime.bigint() - start) / 1000;
  if (Number.isNaN(sink)) throw new Error('unreachable: keeps the loop from being optimised away');
  return us / (passes * prompts.length);
}

run();
const samples = Array.from({ length: RUNS }, run).sort((a, b) => a - b);
const chars = prompts.reduce((s, p) => s + p.length, 0) / prompts.length;
console.log(
  JSON.stringify({
    usPerCallMedian: Number(samples[RUNS >> 1].toFixed(2)),
    runsUs: samples.map((s) => Number(s.toFixed(2))),
    prompts: dataFile ?? `golden (${prompts.length})`,
    count: prompts.length,
    meanChars: Math.round(chars),
    passes,
  }),
);
