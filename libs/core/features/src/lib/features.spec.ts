import fc from 'fast-check';
import {
  CombinedFeaturizer,
  DENSE_FEATURES,
  EmbeddingsProvider,
  INTENTS,
  QueryFeaturizer,
  RandomProjection,
  detectIntent,
  detectScript,
  featurizeSparse,
  murmur3,
} from '../index';
import { murmur3Range, murmur3Units } from './hash';

const N_DENSE = DENSE_FEATURES.length;
const slot = (name: string) => DENSE_FEATURES.indexOf(name);

function norm(v: ArrayLike<number>, from = 0, to = v.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function cosine(a: Float64Array, b: Float64Array, from = 0): number {
  let d = 0;
  for (let i = from; i < a.length; i++) d += a[i] * b[i];
  return d / (norm(a, from) * norm(b, from));
}

describe('murmur3', () => {
  it('matches the reference x86_32 values for ASCII pairs-of-code-units input', () => {
    // Known-answer values pin the function: replicas trained elsewhere must bucket identically.
    expect(murmur3('', 0)).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('abc', 0)).not.toBe(murmur3('abd', 0));
    expect(murmur3('abc', 0)).toBe(murmur3('abc', 0));
    expect(murmur3('abc', 0)).not.toBe(murmur3('abc', 1));
  });

  it('hashes a range of a string or of code units exactly like the sliced string', () => {
    // Cuts fall anywhere, also inside surrogate pairs, and cover odd and even lengths.
    const textWithCut = fc
      .string({ unit: 'binary', maxLength: 40 })
      .chain((text) =>
        fc.tuple(
          fc.constant(text),
          fc.nat({ max: text.length }),
          fc.nat({ max: text.length }),
          fc.integer({ min: 0, max: 0xffffffff }),
        ),
      );
    fc.assert(
      fc.property(textWithCut, ([text, a, b, seed]) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        const expected = murmur3(text.slice(start, end), seed);
        const units = new Uint16Array(text.length + 3);
        for (let i = 0; i < text.length; i++) units[i + 3] = text.charCodeAt(i);
        expect(murmur3Range(text, start, end, seed)).toBe(expected);
        expect(murmur3Units(units, start + 3, end + 3, seed)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('detectScript', () => {
  it.each([
    ['Write a python function to reverse a list.', 'latin'],
    ['Ça va? Größe und Übung', 'latin'],
    ['Привет, как дела? Напиши функцию', 'cyrillic'],
    ['你好，请帮我写一首诗', 'cjk'],
    ['日本語のテキストです', 'cjk'],
    ['안녕하세요', 'cjk'],
    ['مرحبا كيف حالك', 'arabic'],
    ['Γειά σου κόσμε', 'other'],
    ['12345 + 678 = ?', 'other'],
    ['', 'other'],
  ])('%s -> %s', (text, script) => {
    expect(detectScript(text)).toBe(script);
  });

  it('follows the majority of letters in mixed text', () => {
    expect(detectScript('Переведи на английский: hello')).toBe('cyrillic');
    expect(detectScript('Translate this into English please: 你好')).toBe('latin');
  });
});

describe('detectIntent', () => {
  it.each([
    ['Write a python function to find the shared elements from the given two lists.', 'code'],
    ['```js\nconst x = [1,2,3].map((v) => v * 2);\n```\nWhy does this fail?', 'code'],
    ['def add(a, b):\n    return a + b\nWhat is wrong here?', 'code'],
    ['Tom has 12 apples and gives 5 to Mary. Then he buys 3 more. How many apples does Tom have now?', 'math'],
    ['Solve for x: 3x + 5 = 20', 'math'],
    ['Compute \\frac{1}{2} + \\sqrt{16}.', 'math'],
    [
      '[High School Biology]\nWhich of the following is a function of the ribosome?\n  (A) storage\n  (B) protein synthesis\n  (C) transport\n  (D) digestion\nAnswer with the correct letter and explain why.',
      'reasoning',
    ],
    ['Question: Fred lies. Jim says Fred lies. Does Jim tell the truth?', 'reasoning'],
    [
      'Complete the sentence with the correct option:\nThe cup fell because the _ was slippery.\nOption 1: cup\nOption 2: table',
      'reasoning',
    ],
    ['Write a short poem about autumn leaves.', 'creative'],
    ['Tell me a story about a dragon who is afraid of fire.', 'creative'],
    ['Summarize the following article in three bullet points: The council met on Tuesday...', 'extraction'],
    ['Translate "good morning" into French.', 'extraction'],
    ['What happens if you swallow gum?', 'chat'],
    ['hello there', 'chat'],
    ['', 'chat'],
  ])('%s -> %s', (text, intent) => {
    expect(detectIntent(text)).toBe(intent);
  });
});

describe('QueryFeaturizer', () => {
  const f = new QueryFeaturizer();

  it('has the documented layout at the default dimension', () => {
    const x = f.featurize('Write a python function to copy a list from a singleton tuple.');
    expect(x).toBeInstanceOf(Float64Array);
    expect(x.length).toBe(64);
    expect(f.featureNames()).toHaveLength(64);
    expect(x[slot('bias')]).toBe(1);
    expect(x[slot('script:latin')]).toBe(1);
    expect(x[slot('intent:code')]).toBe(1);
    const intents = INTENTS.map((i) => x[slot(`intent:${i}`)]);
    expect(intents.reduce((a, b) => a + b, 0)).toBe(1);
    expect(x[slot('codeMarkers')]).toBeGreaterThan(0.5);
    expect(x[slot('mathMarkers')]).toBe(0);
    expect(norm(x, N_DENSE)).toBeCloseTo(1, 12);
  });

  it('is deterministic and seed-dependent only in the hashed block', () => {
    const t = 'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.';
    expect(Array.from(f.featurize(t))).toEqual(Array.from(new QueryFeaturizer().featurize(t)));
    const other = new QueryFeaturizer({ seed: 7 }).featurize(t);
    const x = f.featurize(t);
    expect(Array.from(other.subarray(0, N_DENSE))).toEqual(Array.from(x.subarray(0, N_DENSE)));
    expect(Array.from(other.subarray(N_DENSE))).not.toEqual(Array.from(x.subarray(N_DENSE)));
  });

  it('fills the length, digit and maths slots monotonically', () => {
    const short = f.featurize('hi');
    const long = f.featurize('hi '.repeat(500));
    expect(long[slot('logLength')]).toBeGreaterThan(short[slot('logLength')]);
    expect(f.featurize('1234 5678')[slot('digitRatio')]).toBeGreaterThan(f.featurize('12 apples')[slot('digitRatio')]);
    expect(f.featurize('Compute 3 * 4 + 5 = ?')[slot('mathMarkers')]).toBeGreaterThan(0.5);
    expect(f.featurize('Привет')[slot('script:cyrillic')]).toBe(1);
  });

  it('rejects a dimension that leaves no room for hashing', () => {
    expect(() => new QueryFeaturizer({ dim: N_DENSE })).toThrow(RangeError);
    expect(() => new QueryFeaturizer({ dim: 64.5 })).toThrow(RangeError);
    expect(new QueryFeaturizer({ dim: 256 }).featurize('x').length).toBe(256);
  });

  it('keeps every feature finite and bounded for any input', () => {
    const g = new QueryFeaturizer({ dim: 32, seed: 3 });
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const x = g.featurize(text);
        expect(x.length).toBe(32);
        expect(x[0]).toBe(1);
        for (let i = 0; i < N_DENSE; i++) expect(x[i] >= 0 && x[i] <= 1).toBe(true);
        for (const v of x) expect(Number.isFinite(v)).toBe(true);
        const h = norm(x, N_DENSE);
        expect(h === 0 || Math.abs(h - 1) < 1e-9).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('puts prompts of one task template closer together than prompts of different templates', () => {
    const code = [
      'Write a python function to find the minimum of three numbers.',
      'Write a python function to check whether a string is a palindrome.',
      'Write a function to count the vowels in a given string.',
    ];
    const mc = [
      'Question: Which gas do plants absorb?\nChoices: (A) oxygen, (B) carbon dioxide, (C) helium, (D) argon\nAnswer with the correct option.',
      'Question: What melts ice fastest?\nChoices: (A) salt, (B) sand, (C) sugar, (D) stones\nAnswer with the correct option.',
      'Question: Which planet is largest?\nChoices: (A) Mars, (B) Venus, (C) Jupiter, (D) Earth\nAnswer with the correct option.',
    ];
    const fx = (ts: string[]) => ts.map((t) => f.featurize(t));
    const [c, m] = [fx(code), fx(mc)];
    let within = 0;
    let across = 0;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        across += cosine(c[i], m[j], N_DENSE) / 9;
        if (i < j) within += (cosine(c[i], c[j], N_DENSE) + cosine(m[i], m[j], N_DENSE)) / 6;
      }
    }
    expect(within).toBeGreaterThan(across + 0.3);
  });

  it('featurizeSparse lists exactly the non-zero entries', () => {
    const t = 'Answer with the correct letter: (A) 1 (B) 2';
    const dense = f.featurize(t);
    const sparse = featurizeSparse(t);
    for (let i = 0; i < dense.length; i++) {
      if (dense[i] === 0) expect(sparse[i]).toBeUndefined();
      else expect(sparse[i]).toBe(dense[i]);
    }
    expect(Object.keys(sparse).length).toBeLessThan(dense.length);
    expect(JSON.parse(JSON.stringify(sparse))[0]).toBe(1);
  });
});

class FakeProvider implements EmbeddingsProvider {
  calls = 0;
  constructor(
    readonly dim: number,
    private readonly fail = false,
  ) {}
  async embed(texts: string[]): Promise<Float64Array[]> {
    this.calls++;
    if (this.fail) throw new Error('provider down');
    return texts.map((t) => {
      const v = new Float64Array(this.dim);
      for (let i = 0; i < this.dim; i++) v[i] = Math.sin((i + 1) * (t.length + 1));
      return v;
    });
  }
}

describe('RandomProjection', () => {
  it('is reproducible from its seed and roughly preserves norms', () => {
    const a = new RandomProjection(512, 128, 9);
    const b = new RandomProjection(512, 128, 9);
    const c = new RandomProjection(512, 128, 10);
    const v = Array.from({ length: 512 }, (_, i) => Math.cos(i * 0.37));
    expect(Array.from(a.project(v))).toEqual(Array.from(b.project(v)));
    expect(Array.from(a.project(v))).not.toEqual(Array.from(c.project(v)));
    const ratio = norm(a.project(v)) / norm(v);
    expect(ratio).toBeGreaterThan(0.75);
    expect(ratio).toBeLessThan(1.25);
    expect(() => a.project([1, 2, 3])).toThrow(RangeError);
  });
});

describe('CombinedFeaturizer', () => {
  it('concatenates base features with the normalised embedding, batched in one call', async () => {
    const provider = new FakeProvider(10);
    const cf = new CombinedFeaturizer({ provider, base: { dim: 32 } });
    expect(cf.dim).toBe(42);
    const [x, y] = await cf.featurizeMany(['first prompt', 'second']);
    expect(provider.calls).toBe(1);
    expect(x.length).toBe(42);
    expect(Array.from(x.subarray(0, 32))).toEqual(Array.from(cf.base.featurize('first prompt')));
    expect(norm(x, 32)).toBeCloseTo(1, 12);
    expect(Array.from(y.subarray(32))).not.toEqual(Array.from(x.subarray(32)));
  });

  it('projects to a smaller seeded dimension', async () => {
    const mk = (seed: number) => new CombinedFeaturizer({ provider: new FakeProvider(300), projectTo: 16, seed });
    const [a, b, c] = await Promise.all([mk(1).featurize('q'), mk(1).featurize('q'), mk(2).featurize('q')]);
    expect(a.length).toBe(64 + 16);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a.subarray(64))).not.toEqual(Array.from(c.subarray(64)));
  });

  it('fails loudly by default and degrades to zeros when asked', async () => {
    await expect(new CombinedFeaturizer({ provider: new FakeProvider(4, true) }).featurize('q')).rejects.toThrow(
      'provider down',
    );
    const x = await new CombinedFeaturizer({ provider: new FakeProvider(4, true), onError: 'zeros' }).featurize('q');
    expect(x.length).toBe(68);
    expect(Array.from(x.subarray(64))).toEqual([0, 0, 0, 0]);
    expect(x[0]).toBe(1);
  });

  it('rejects vectors of the wrong length', async () => {
    const liar: EmbeddingsProvider = { dim: 8, embed: async (t) => t.map(() => new Float64Array(7)) };
    await expect(new CombinedFeaturizer({ provider: liar }).featurize('q')).rejects.toThrow(/length 7, expected 8/);
  });
});
