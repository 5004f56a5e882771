import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '@llm-router/bandits';

export interface SyntheticArm {
  id: string;
  /** Mean judged quality; each row draws around it. */
  quality: number;
  cost: number;
  inputPerM: number;
  outputPerM: number;
}

export const DEFAULT_ARMS: SyntheticArm[] = [
  { id: 'acme/small', quality: 0.35, cost: 0.00004, inputPerM: 0.1, outputPerM: 0.1 },
  { id: 'acme/medium', quality: 0.9, cost: 0.0006, inputPerM: 0.5, outputPerM: 1.5 },
  { id: 'acme/large', quality: 0.6, cost: 0.004, inputPerM: 2, outputPerM: 6 },
];

/**
 * Writes a small reward dataset (JSONL, the ParetoBandit format) and its models file into a
 * temp dir: the tests' stand-in for ../shared/data, generated with a seed.
 */
export function writeSyntheticDataset(
  rows: number,
  arms = DEFAULT_ARMS,
  seed = 7,
): { dir: string; dataPath: string; modelsPath: string } {
  const rng = new Rng(seed);
  const dir = mkdtempSync(join(tmpdir(), 'llm-router-data-'));
  const lines: string[] = [];
  const topics = ['python', 'algebra', 'history', 'poetry', 'physics'];
  for (let i = 0; i < rows; i++) {
    const armsOut: Record<string, { reward: number; cost: number }> = {};
    for (const a of arms) {
      const q = Math.min(1, Math.max(0, a.quality + (rng.next() - 0.5) * 0.3));
      armsOut[a.id] = { reward: Math.round(q * 100) / 100, cost: a.cost * (0.8 + 0.4 * rng.next()) };
    }
    lines.push(
      JSON.stringify({
        prompt: `Question ${i} about ${topics[i % topics.length]}: explain item ${i}.`,
        source: topics[i % topics.length],
        arms: armsOut,
      }),
    );
  }
  const dataPath = join(dir, 'data.jsonl');
  writeFileSync(dataPath, lines.join('\n') + '\n');
  const modelsPath = join(dir, 'models.json');
  writeFileSync(
    modelsPath,
    JSON.stringify(
      { models: arms.map((a) => ({ model_id: a.id, input_cost_per_m: a.inputPerM, output_cost_per_m: a.outputPerM })) },
      null,
      2,
    ),
  );
  return { dir, dataPath, modelsPath };
}
