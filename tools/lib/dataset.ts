/** The reward dataset a run replays: the given file, or generated data when it is missing. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDataset, type DatasetRow } from '@llm-router/contracts';
import { writeSyntheticDataset } from './synthetic-data';

export interface RunDataset {
  dataPath: string;
  modelsPath: string;
  rows: DatasetRow[];
  /** Set when dataPath did not exist and synthetic data was written instead. */
  generatedIn?: string;
}

/**
 * `dataPath` with its models file (given, or models_k<k>.json / models.json beside it); when
 * dataPath does not exist (a checkout without ../shared/data), `syntheticRows` generated rows.
 */
export function resolveDataset(dataPath: string, modelsPath: string | undefined, syntheticRows: number): RunDataset {
  if (!existsSync(dataPath)) {
    const gen = writeSyntheticDataset(syntheticRows);
    return {
      dataPath: gen.dataPath,
      modelsPath: gen.modelsPath,
      rows: parseDataset(readFileSync(gen.dataPath, 'utf8')),
      generatedIn: gen.dir,
    };
  }
  const rows = parseDataset(readFileSync(dataPath, 'utf8'));
  const k = Object.keys(rows[0]?.arms ?? {}).length;
  const models =
    modelsPath ??
    [join(dirname(dataPath), `models_k${k}.json`), join(dirname(dataPath), 'models.json')].find(existsSync);
  if (!models) throw new Error(`no models file beside ${dataPath}: pass --models`);
  return { dataPath, modelsPath: models, rows };
}
