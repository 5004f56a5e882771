import { decode, encode, encodeBinary } from './codec';
import { decodeSnapshotBytes, encodeSnapshotBytes, isBinarySnapshot, MIN_BLOCK } from './snapshot-codec';
import { Topic } from './topics';

/** A state shaped like a contextual policy's: long dense and mostly-zero arrays among small fields. */
function sampleState() {
  const d = 40;
  const dense = Array.from({ length: d }, (_, i) => Math.sin(i + 1) / 3);
  const sparse = Array.from({ length: 200 }, (_, i) => (i % 17 === 0 ? i / 7 : 0));
  return {
    algorithm: 'auto',
    params: { d, alpha: 1.5, priors: {} },
    arms: ['a', 'b'],
    stats: {
      format: 2,
      arms: { a: { gram: sparse, coefficients: dense, pulls: 3, cold: false }, b: { gram: [...sparse], prior: null } },
      short: [1, 2, 3],
      mixed: [...Array(MIN_BLOCK).fill(1), 'x'],
      extremes: [Number.MAX_VALUE, Number.MIN_VALUE, 1e-300, -1e300, ...Array(MIN_BLOCK).fill(0.1)],
    },
    rng: 123456789,
  };
}

describe('snapshot codec', () => {
  it('gives back exactly what JSON gives back, as plain arrays', () => {
    const s = sampleState();
    const bytes = encodeSnapshotBytes(s);
    expect(isBinarySnapshot(bytes)).toBe(true);
    expect(decodeSnapshotBytes(bytes).value).toEqual(JSON.parse(JSON.stringify(s)));
  });

  it('gives Float64Array views on one transferable buffer when asked for typed arrays', () => {
    const s = sampleState();
    const { value, buffer } = decodeSnapshotBytes(encodeSnapshotBytes(s), { typedArrays: true });
    const a = (value as ReturnType<typeof sampleState>).stats.arms.a;
    expect(a.gram).toBeInstanceOf(Float64Array);
    expect((a.gram as unknown as Float64Array).buffer).toBe(buffer);
    expect(Array.from(a.gram)).toEqual(s.stats.arms.a.gram);
    expect(Array.from(a.coefficients)).toEqual(s.stats.arms.a.coefficients);
    // Short and mixed arrays stay plain.
    expect((value as ReturnType<typeof sampleState>).stats.short).toEqual([1, 2, 3]);
    expect(Array.isArray((value as ReturnType<typeof sampleState>).stats.mixed)).toBe(true);
  });

  it('stores mostly-zero arrays sparsely and Float64Arrays like arrays', () => {
    const zeros = new Float64Array(10000);
    zeros[17] = 0.5;
    const bytes = encodeSnapshotBytes({ zeros });
    expect(bytes.length).toBeLessThan(200);
    expect(Array.from((decodeSnapshotBytes(bytes).value as { zeros: number[] }).zeros)).toEqual(Array.from(zeros));
  });

  it('reads JSON (every older producer) and reports damaged bytes', () => {
    expect(decodeSnapshotBytes(new TextEncoder().encode('{"a":[1,2]}')).value).toEqual({ a: [1, 2] });
    const bytes = encodeSnapshotBytes(sampleState());
    expect(() => decodeSnapshotBytes(bytes.subarray(0, bytes.length - 100))).toThrow(/truncated/);
    const future = Uint8Array.from(bytes);
    future[4] = 99;
    expect(() => decodeSnapshotBytes(future)).toThrow(/unknown format 99/);
  });

  it('refuses a value that uses its reserved key', () => {
    expect(() => encodeSnapshotBytes({ x: { '\u0000b': 1 } })).toThrow(/reserved/);
  });

  it('lets decode() read policy.updates in either encoding', () => {
    const snapshot = {
      scope: 'default',
      version: 3,
      algorithm: 'auto',
      state: sampleState(),
      lambda: 0.1,
      rewardsApplied: 9,
      ts: new Date(0).toISOString(),
    };
    const binary = encodeBinary(Topic.PolicyUpdates, snapshot);
    expect(binary.key).toBe('default');
    const fromBinary = decode(Topic.PolicyUpdates, Buffer.from(binary.value));
    const fromJson = decode(Topic.PolicyUpdates, Buffer.from(encode(Topic.PolicyUpdates, snapshot).value));
    expect(fromBinary.ok && fromJson.ok).toBe(true);
    expect(fromBinary.ok && fromBinary.value).toEqual(fromJson.ok && fromJson.value);
    const broken = decode(Topic.PolicyUpdates, Buffer.from(binary.value.subarray(0, 64)));
    expect(!broken.ok && broken.error.message).toMatch(/not a valid binary snapshot/);
  });
});
