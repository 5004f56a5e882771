import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';

/**
 * A stack's dataset and models file where the models `ids` are served by an OpenAI-compatible
 * upstream (a fake one started by the test: its port is known only when the stack starts).
 */
export function upstreamDataset(upstream: { url: string }, ids: readonly string[]) {
  const d = writeSyntheticDataset(10, [{ id: 't/one', quality: 0.5, cost: 0.001, inputPerM: 10, outputPerM: 10 }]);
  const modelsPath = join(d.dir, 'models.yaml');
  const model = (id: string) => ({
    model_id: id,
    input_cost_per_m: 2,
    output_cost_per_m: 4,
    protocol: 'openai',
    base_url: `${upstream.url}/v1`,
  });
  writeFileSync(modelsPath, stringify({ models: ids.map(model) }));
  return { dataPath: d.dataPath, modelsPath };
}
