import { z } from 'zod';

/**
 * One row of a reward dataset (../shared/data/paretobandit/*.jsonl): the prompt and, for
 * every model, the judged quality and the USD cost of that call. Fields such as best_arm
 * or difficulty leak the answer and are deliberately not part of the schema.
 */
export const DatasetRow = z.object({
  prompt: z.string(),
  source: z.string().default('unknown'),
  arms: z.record(z.string(), z.object({ reward: z.number().min(0).max(1), cost: z.number().nonnegative() })),
});
export type DatasetRow = z.infer<typeof DatasetRow>;

/** A models file (models_k3.json): list prices per million tokens. */
export const ModelsFile = z.object({
  models: z
    .array(
      z
        .object({
          model_id: z.string().min(1),
          display: z.string().optional(),
          input_cost_per_m: z.number().finite().nonnegative(),
          output_cost_per_m: z.number().finite().nonnegative(),
          self_hosted: z.boolean().optional(),
          concurrency: z.number().int().positive().optional(),
        })
        .passthrough(),
    )
    .min(1),
});
export type ModelsFile = z.infer<typeof ModelsFile>;

/** A models file's list prices in the form every price consumer takes (libs/core/pricing `ModelPrice`). */
export function modelsFilePrices(
  file: ModelsFile,
): { model: string; inputPerM: number; outputPerM: number; selfHosted?: boolean; concurrency?: number }[] {
  return file.models.map((m) => ({
    model: m.model_id,
    inputPerM: m.input_cost_per_m,
    outputPerM: m.output_cost_per_m,
    selfHosted: m.self_hosted,
    concurrency: m.concurrency,
  }));
}

/** Parses JSONL text into rows; a bad line is an error naming its line number. */
export function parseDataset(text: string): DatasetRow[] {
  const rows: DatasetRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw new Error(`line ${i + 1}: not JSON (${(e as Error).message})`);
    }
    const r = DatasetRow.safeParse(json);
    if (!r.success)
      throw new Error(`line ${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    rows.push(r.data);
  }
  return rows;
}
