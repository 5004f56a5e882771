import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueryFeaturizer, codeScore, detectIntent, detectScript, intentScores, mathScore } from '../index';
import { goldenPrompts } from '../testing/golden-prompts';

/**
 * Learned policy state is indexed by the featurizer's buckets and weighted by its values, so
 * any change to its output, however small, silently invalidates every trained model. This
 * test pins the output bit for bit on a varied prompt set. Regenerate the fixture only for an
 * intended change of features (and say so in the commit):
 *   GOLDEN_UPDATE=1 npx jest libs/core/features/src/lib/featurizer-golden.spec.ts
 *   npx prettier --write libs/core/features/src/lib/featurizer-golden.json
 */

const FIXTURE = join(__dirname, 'featurizer-golden.json');
/** Prompts whose full vectors the fixture stores, so that a failure shows which slots moved. */
const FULL_VECTORS = 20;

const CONFIGS = {
  default64: new QueryFeaturizer({ dim: 64 }),
  dim40seed7: new QueryFeaturizer({ dim: 40, seed: 7, wordWeight: 0.5 }),
  short1000: new QueryFeaturizer({ dim: 48, seed: 3, maxChars: 1000, hashedNorm: 2 }),
};
type ConfigName = keyof typeof CONFIGS;

interface GoldenCase {
  /** Digest of the prompt's UTF-16 code units: tells a generator change from a featurizer change. */
  prompt: string;
  length: number;
  script: string;
  intent: string;
  codeScore: number;
  mathScore: number;
  intentScores: Record<string, number>;
  /** Digest of the Float64Array's bytes per featurizer config. */
  vectors: Record<ConfigName, string>;
  /** Full vectors for the first FULL_VECTORS prompts. */
  full?: Record<ConfigName, number[]>;
}

/** The first 128 bits of sha256: ample to tell two vectors apart, half the fixture size. */
function digest(bytes: ArrayBufferView): string {
  return createHash('sha256')
    .update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    .digest('hex')
    .slice(0, 32);
}

function utf16(text: string): Uint16Array {
  const units = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  return units;
}

function describePrompt(text: string, index: number): GoldenCase {
  const names = Object.keys(CONFIGS) as ConfigName[];
  const vectors = names.map((name) => CONFIGS[name].featurize(text));
  const c: GoldenCase = {
    prompt: digest(utf16(text)),
    length: text.length,
    script: detectScript(text),
    intent: detectIntent(text),
    codeScore: codeScore(text),
    mathScore: mathScore(text),
    intentScores: intentScores(text),
    vectors: Object.fromEntries(names.map((name, i) => [name, digest(vectors[i])])) as Record<ConfigName, string>,
  };
  if (index < FULL_VECTORS) {
    c.full = Object.fromEntries(names.map((name, i) => [name, Array.from(vectors[i])])) as Record<ConfigName, number[]>;
  }
  return c;
}

const prompts = goldenPrompts();
const actual = prompts.map(describePrompt);

if (process.env['GOLDEN_UPDATE'] === '1') writeFileSync(FIXTURE, JSON.stringify(actual) + '\n');

describe('QueryFeaturizer golden outputs', () => {
  const expected: GoldenCase[] = existsSync(FIXTURE) ? JSON.parse(readFileSync(FIXTURE, 'utf8')) : [];

  it('covers the varied prompt set the fixture was recorded on', () => {
    expect(expected).toHaveLength(prompts.length);
    expect(actual.map((c) => c.prompt)).toEqual(expected.map((c) => c.prompt));
    // The set must exercise the truncations and the non-Latin paths it claims to.
    expect(prompts.some((p) => p.length > 4096)).toBe(true);
    expect(prompts.some((p) => p.length > 2000 && p.length <= 4096)).toBe(true);
    expect(new Set(actual.map((c) => c.script))).toEqual(new Set(['latin', 'cyrillic', 'cjk', 'arabic', 'other']));
    expect(new Set(actual.map((c) => c.intent)).size).toBe(6);
  });

  it('reproduces every prompt\u2019s detections and scores exactly', () => {
    const strip = ({ vectors: _v, full: _f, ...rest }: GoldenCase) => rest;
    // toEqual on numbers is Object.is equality: exact, and distinguishes -0 from 0.
    expect(actual.map(strip)).toEqual(expected.map(strip));
  });

  it('reproduces every feature vector bit for bit', () => {
    expect(actual.map((c) => c.vectors)).toEqual(expected.map((c) => c.vectors));
  });

  it('reproduces the stored full vectors value by value', () => {
    const stored = expected.filter((c) => c.full);
    expect(stored).toHaveLength(FULL_VECTORS);
    expect(actual.slice(0, FULL_VECTORS).map((c) => c.full)).toEqual(stored.map((c) => c.full));
  });

  it('writes the same bits through featurizeInto at an offset into a dirty buffer', () => {
    const f = CONFIGS.dim40seed7;
    const buf = new Float64Array(f.dim + 5).fill(Number.NaN);
    for (const p of prompts) {
      f.featurizeInto(p, buf, 5);
      expect(digest(buf.subarray(5))).toBe(digest(f.featurize(p)));
    }
  });
});
