import fc from 'fast-check';
import { appendEmbeddingBlock, EMBEDDING_QUANTUM, EmbeddingBlock, quantiseUnit } from '../index';

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const vectorArb = (length: number) =>
  fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: length, maxLength: length });

describe('quantiseUnit', () => {
  it('gives a near-unit vector of int8 multiples of 1/128 that survive a JSON round trip exactly', () => {
    fc.assert(
      fc.property(vectorArb(16), (values) => {
        const q = quantiseUnit(Float64Array.from(values));
        for (const x of q) {
          expect(Number.isInteger(x / EMBEDDING_QUANTUM)).toBe(true);
          expect(Math.abs(x / EMBEDDING_QUANTUM)).toBeLessThanOrEqual(127);
          expect(Object.is(x, -0)).toBe(false);
        }
        expect(JSON.parse(JSON.stringify(Array.from(q)))).toEqual(Array.from(q));
        // A zero vector stays zero; any other is unit-norm up to the rounding of 16 coordinates.
        if (values.some((x) => x !== 0) && norm(values) > 0) {
          expect(Math.abs(norm(q) - 1)).toBeLessThan((Math.sqrt(16) * EMBEDDING_QUANTUM) / 2 + 1 / 127);
        } else expect(Array.from(q).every((x) => x === 0)).toBe(true);
      }),
    );
  });

  it('keeps the direction: the quantised vector points where the input does', () => {
    const v = Float64Array.from({ length: 16 }, (_, i) => Math.sin(i + 1));
    const q = quantiseUnit(Float64Array.from(v));
    const cosine = Array.from(v).reduce((s, x, i) => s + x * q[i], 0) / (norm(v) * norm(q));
    expect(cosine).toBeGreaterThan(0.999);
  });
});

describe('EmbeddingBlock', () => {
  it('projects a long embedding to dim with a seeded projection: same seed, same block', () => {
    const embedding = Array.from({ length: 384 }, (_, i) => Math.cos(i * 0.11));
    const a = new EmbeddingBlock(16, 3).fromEmbedding(embedding);
    expect(a.length).toBe(16);
    expect(Array.from(new EmbeddingBlock(16, 3).fromEmbedding(embedding))).toEqual(Array.from(a));
    expect(Array.from(new EmbeddingBlock(16, 4).fromEmbedding(embedding))).not.toEqual(Array.from(a));
  });

  it('keeps nearby texts nearby: similar embeddings give similar blocks, unrelated ones do not', () => {
    const block = new EmbeddingBlock(16, 1);
    const base = Array.from({ length: 256 }, (_, i) => Math.sin(i * 0.7));
    const near = base.map((x, i) => x + 0.05 * Math.cos(i));
    const far = Array.from({ length: 256 }, (_, i) => Math.sin(i * 1.9 + 2));
    const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);
    const [b0, b1, b2] = [base, near, far].map((v) => block.fromEmbedding(v));
    expect(dot(b0, b1)).toBeGreaterThan(0.9);
    expect(dot(b0, b2)).toBeLessThan(dot(b0, b1) - 0.3);
  });

  it('uses caller features of length dim as an embedding, and refuses other lengths', () => {
    const block = new EmbeddingBlock(4);
    expect(Array.from(block.fromCallerFeatures([3, 0, 0, 4]))).toEqual([0.6015625, 0, 0, 0.796875]);
    expect(Array.from(block.fromCallerFeatures([3, 0, 0, 4]))).toEqual(Array.from(block.fromEmbedding([3, 0, 0, 4])));
    expect(() => block.fromCallerFeatures([1, 2, 3])).toThrow('features must have 4 entries (EMBEDDING_DIM), got 3');
  });
});

describe('appendEmbeddingBlock', () => {
  const base = Float64Array.from([1, 0.5, 0]);

  it('appends the block after the hashed features, or zeros when there is none', () => {
    expect(Array.from(appendEmbeddingBlock(base, [0.25, -0.5], 5))).toEqual([1, 0.5, 0, 0.25, -0.5]);
    expect(Array.from(appendEmbeddingBlock(base, undefined, 5))).toEqual([1, 0.5, 0, 0, 0]);
    expect(appendEmbeddingBlock(base, undefined, 3)).toBe(base);
  });

  it('refuses a block that does not fill the policy dimension', () => {
    expect(() => appendEmbeddingBlock(base, [1], 5)).toThrow('embedding block of length 1, expected 2');
    expect(() => appendEmbeddingBlock(base, undefined, 2)).toThrow(RangeError);
  });
});
