import { Rng } from '@llm-router/numerics';
import type { ModelPrice } from '@llm-router/pricing';
import type { ReplayRow } from '../src';

/**
 * Seeded reward rows from a few kinds of prompt ("sources") on three models, for the examples:
 * each source has a prompt template and each model's chance of a right answer on it.
 */
export const SOURCES = {
  code: { text: 'Write a python function that', p: { small: 0.45, large: 0.85, pro: 0.92 } },
  trivia: { text: 'Which of the following is true of', p: { small: 0.8, large: 0.86, pro: 0.88 } },
  math: { text: 'Solve for x, showing each step:', p: { small: 0.35, large: 0.7, pro: 0.9 } },
  easy: { text: 'Translate to French:', p: { small: 0.9, large: 0.93, pro: 0.94 } },
  hard: { text: 'Prove the following theorem:', p: { small: 0.1, large: 0.3, pro: 0.7 } },
} as const;
export type SourceName = keyof typeof SOURCES;

/** Mean cost of one call per model, USD; each call costs 0.5 to 1.5 times it. */
export const UNIT_COST = { small: 0.00002, large: 0.0005, pro: 0.01 } as const;

/** List prices per million tokens: the replay learns each model's usage from the costs it sees. */
export const PRICES: ModelPrice[] = Object.entries(UNIT_COST).map(([model, c]) => ({
  model,
  inputPerM: c * 1000,
  outputPerM: c * 1000,
}));

/** One row per entry of `sources`, in that order. */
export function syntheticRows(sources: readonly SourceName[], seed: number): ReplayRow[] {
  const rng = new Rng(seed);
  return sources.map((name, i) => {
    const s = SOURCES[name];
    const arms: ReplayRow['arms'] = {};
    for (const [model, p] of Object.entries(s.p)) {
      const cost = UNIT_COST[model as keyof typeof UNIT_COST] * (0.5 + rng.next());
      arms[model] = { reward: rng.next() < p ? 1 : 0, cost };
    }
    return { prompt: `${s.text} item ${i}`, source: name, arms };
  });
}
