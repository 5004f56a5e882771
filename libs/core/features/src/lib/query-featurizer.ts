import { murmur3Range, murmur3Units } from './hash';
import { padAndCollapseWhitespace, wordEnd } from './code-units';
import { INTENTS, SCRIPTS, bestIntent, detectScript, intentScores } from './detect';

/**
 * Names of the dense slots, in order; they occupy indices 0..DENSE_FEATURES.length-1 and the
 * hashed n-grams fill the rest. The bias comes first so that index 0 means the same thing
 * at every dimension.
 */
export const DENSE_FEATURES: readonly string[] = [
  'bias',
  'logLength',
  'digitRatio',
  'codeMarkers',
  'mathMarkers',
  ...SCRIPTS.map((s) => `script:${s}`),
  ...INTENTS.map((i) => `intent:${i}`),
];

const N_DENSE = DENSE_FEATURES.length;
const SLOT_LOGLEN = 1;
const SLOT_DIGITS = 2;
const SLOT_CODE = 3;
const SLOT_MATH = 4;
const SLOT_SCRIPT = 5;
const SLOT_INTENT = SLOT_SCRIPT + SCRIPTS.length;
/** The hashed block must be wide enough for collisions to stay rare among salient n-grams. */
const MIN_HASHED = 8;

/**
 * Output length when none is given, here and wherever a featurizer is built without one: the
 * services' FEATURE_DIM default, the replay and OPE CLIs. Policies learnt on one length do not
 * read vectors of another.
 */
export const DEFAULT_FEATURE_DIM = 64;

export interface QueryFeaturizerOptions {
  /** Output length (default DEFAULT_FEATURE_DIM): the dense slots plus dim - DENSE_FEATURES.length hash buckets. */
  dim?: number;
  /** Hash seed (default 0). Replicas that share a model must share the seed. */
  seed?: number;
  /** Weight of word unigrams+bigrams vs character 3-grams inside the hashed block (default 0.7). */
  wordWeight?: number;
  /** L2 norm of the hashed block (default 1), i.e. its weight against the dense slots. */
  hashedNorm?: number;
  /** n-grams are taken from at most this many leading characters (default 4096), bounding cost. */
  maxChars?: number;
}

// Distinct seeds per n-gram kind: the same string as a word and as a 3-gram must not collide
// systematically.
const KIND_WORD = 0x1b873593;
const KIND_BIGRAM = 0x5bd1e995;
const KIND_CHAR = 0x27d4eb2f;

/** log(1 + 16k chars): prompts longer than that saturate the length slot. */
const LOG_LEN_SCALE = Math.log1p(16384);

/**
 * Deterministic, network-free prompt features for contextual routing policies.
 *
 * Layout: [dense slots (see DENSE_FEATURES) | signed hash buckets]. The hashed block is the
 * sum of a word part (unigrams and bigrams, which carry task templates such as "Write a
 * python function" or "Answer with the correct letter") and a character 3-gram part (robust
 * to typos, inflection and scripts without spaces), each L2-normalised before mixing so that
 * long prompts do not drown the dense slots. Signed hashing (Weinberger et al. 2009) makes
 * collisions cancel in expectation instead of piling up.
 */
export class QueryFeaturizer {
  readonly dim: number;
  readonly seed: number;
  private readonly hashed: number;
  private readonly wordWeight: number;
  private readonly hashedNorm: number;
  private readonly maxChars: number;
  private readonly wordBuf: Float64Array;
  private readonly charBuf: Float64Array;
  /** Scratch for bigrams whose tokens are not separated by a single space; grows as needed. */
  private bigramBuf = new Uint16Array(256);
  /** The normalised text whose 3-grams are hashed; grows as needed. */
  private normBuf = new Uint16Array(0);

  constructor(opts: QueryFeaturizerOptions = {}) {
    this.dim = opts.dim ?? DEFAULT_FEATURE_DIM;
    if (!Number.isInteger(this.dim) || this.dim < N_DENSE + MIN_HASHED) {
      throw new RangeError(`QueryFeaturizer dim must be an integer >= ${N_DENSE + MIN_HASHED}, got ${opts.dim}`);
    }
    this.seed = (opts.seed ?? 0) >>> 0;
    this.hashed = this.dim - N_DENSE;
    this.wordWeight = clamp01(opts.wordWeight ?? 0.7);
    this.hashedNorm = opts.hashedNorm ?? 1;
    this.maxChars = opts.maxChars ?? 4096;
    this.wordBuf = new Float64Array(this.hashed);
    this.charBuf = new Float64Array(this.hashed);
  }

  /** Name of each output index: dense slot names, then `hash:<bucket>`. */
  featureNames(): string[] {
    const names = [...DENSE_FEATURES];
    for (let i = 0; i < this.hashed; i++) names.push(`hash:${i}`);
    return names;
  }

  featurize(text: string): Float64Array {
    const out = new Float64Array(this.dim);
    this.featurizeInto(text, out, 0);
    return out;
  }

  /** Writes the dim features of `text` into out[offset .. offset+dim). */
  featurizeInto(text: string, out: Float64Array, offset = 0): void {
    if (out.length < offset + this.dim) throw new RangeError('output buffer too short');
    const t = text ?? '';
    out.fill(0, offset, offset + this.dim);
    out[offset] = 1;
    out[offset + SLOT_LOGLEN] = Math.min(1, Math.log1p(t.length) / LOG_LEN_SCALE);
    let digits = 0;
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c >= 48 && c <= 57) digits++;
    }
    // sqrt spreads the typical 0-5% range over more of [0, 1].
    out[offset + SLOT_DIGITS] = t.length > 0 ? Math.sqrt(digits / t.length) : 0;
    // One scoring pass feeds both the marker slots and the intent: the regexes are most of the cost.
    const scores = intentScores(t);
    out[offset + SLOT_CODE] = 1 - Math.exp(-scores.code / 3);
    out[offset + SLOT_MATH] = 1 - Math.exp(-scores.math / 3);
    out[offset + SLOT_SCRIPT + SCRIPTS.indexOf(detectScript(t))] = 1;
    out[offset + SLOT_INTENT + INTENTS.indexOf(bestIntent(scores))] = 1;
    this.hashInto(t, out, offset + N_DENSE);
  }

  /** Non-zero entries only (index -> value), compact enough to log with every decision. */
  featurizeSparse(text: string): Record<number, number> {
    const x = this.featurize(text);
    const sparse: Record<number, number> = {};
    for (let i = 0; i < x.length; i++) if (x[i] !== 0) sparse[i] = x[i];
    return sparse;
  }

  private hashInto(text: string, out: Float64Array, base: number): void {
    const src = text.length > this.maxChars ? text.slice(0, this.maxChars) : text;
    const lower = src.toLowerCase();
    const words = this.wordBuf.fill(0);
    const chars = this.charBuf.fill(0);

    // n-grams are hashed as ranges of `lower` and of the normalised code units, never sliced
    // out: the same hashes as murmur3 of the substrings, without a string per n-gram.
    const wordSeed = (this.seed ^ KIND_WORD) >>> 0;
    const bigramSeed = (this.seed ^ KIND_BIGRAM) >>> 0;
    let prevStart = -1;
    let prevEnd = -1;
    // Tokens are the matches of /[\p{L}\p{N}]+/gu in `lower`, scanned with a class table.
    for (let start = 0; start < lower.length; ) {
      const end = wordEnd(lower, start);
      if (end === start) {
        start++;
        continue;
      }
      this.add(words, murmur3Range(lower, start, end, wordSeed));
      if (prevStart >= 0) this.add(words, this.hashBigram(lower, prevStart, prevEnd, start, end, bigramSeed));
      prevStart = start;
      prevEnd = end;
      start = end;
    }

    // Whitespace runs collapse to one space and the ends are padded with one, so no 3-gram is
    // three spaces (an empty text gives two spaces, which hold no 3-gram at all).
    if (this.normBuf.length < lower.length + 2) this.normBuf = new Uint16Array(lower.length + 2);
    const norm = this.normBuf;
    const normLength = padAndCollapseWhitespace(lower, norm);
    const charSeed = (this.seed ^ KIND_CHAR) >>> 0;
    for (let i = 0; i + 3 <= normLength; i++) this.add(chars, murmur3Units(norm, i, i + 3, charSeed));

    const nw = l2(words);
    const nc = l2(chars);
    const ww = nw > 0 ? this.wordWeight / nw : 0;
    const wc = nc > 0 ? (1 - this.wordWeight) / nc : 0;
    let total = 0;
    for (let j = 0; j < this.hashed; j++) {
      const v = ww * words[j] + wc * chars[j];
      out[base + j] = v;
      total += v * v;
    }
    if (total > 0) {
      const s = this.hashedNorm / Math.sqrt(total);
      for (let j = 0; j < this.hashed; j++) out[base + j] *= s;
    }
  }

  /** murmur3 of text[aStart, aEnd) + ' ' + text[bStart, bEnd), the bigram of two tokens. */
  private hashBigram(text: string, aStart: number, aEnd: number, bStart: number, bEnd: number, seed: number): number {
    // Tokens are usually separated by exactly one space: then the bigram is a range of `text`.
    if (bStart === aEnd + 1 && text.charCodeAt(aEnd) === 32) return murmur3Range(text, aStart, bEnd, seed);
    const len = aEnd - aStart + 1 + bEnd - bStart;
    if (this.bigramBuf.length < len) this.bigramBuf = new Uint16Array(2 * len);
    const buf = this.bigramBuf;
    let j = 0;
    for (let i = aStart; i < aEnd; i++) buf[j++] = text.charCodeAt(i);
    buf[j++] = 32;
    for (let i = bStart; i < bEnd; i++) buf[j++] = text.charCodeAt(i);
    return murmur3Units(buf, 0, len, seed);
  }

  private add(buf: Float64Array, h: number): void {
    // The sign comes from a re-mix, not from a raw bit of h: with a non-power-of-two bucket
    // count every bit of h takes part in the modulus.
    const sign = Math.imul(h, 0x9e3779b1) < 0 ? -1 : 1;
    buf[h % this.hashed] += sign;
  }
}

function l2(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

const defaultFeaturizer = new QueryFeaturizer();

/** Sparse features of `text` with the default featurizer (DEFAULT_FEATURE_DIM, seed 0). */
export function featurizeSparse(text: string): Record<number, number> {
  return defaultFeaturizer.featurizeSparse(text);
}
