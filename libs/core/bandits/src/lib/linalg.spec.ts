import fc from 'fast-check';
import {
  dot,
  fusedUpdate,
  identityPacked,
  invertSpd,
  outerPacked,
  pack,
  packedIndex,
  packedSize,
  symMatVec,
  symRank1,
  unpack,
} from './linalg';
import { PackedStore, simdModule } from './simd';

const spd = (d: number, seed: number): Float64Array => {
  // B B' + d I is symmetric positive definite.
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const B = Array.from({ length: d * d }, rnd);
  const F = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let v = i === j ? d : 0;
      for (let k = 0; k < d; k++) v += B[i * d + k] * B[j * d + k];
      F[i * d + j] = v;
    }
  const P = new Float64Array(packedSize(d));
  pack(F, d, P);
  return P;
};

describe('packed symmetric linear algebra', () => {
  it('packedIndex walks the upper triangle row by row', () => {
    const d = 5;
    let k = 0;
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) expect(packedIndex(d, i, j)).toBe(k++);
    expect(packedIndex(d, 3, 1)).toBe(packedIndex(d, 1, 3));
    expect(k).toBe(packedSize(d));
  });

  it("x' P x = dot(outerPacked(x), P) and symMatVec matches the full product", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 1e6 }), (d, seed) => {
        const P = spd(d, seed);
        const F = new Float64Array(d * d);
        unpack(P, d, F);
        const x = Float64Array.from({ length: d }, (_, i) => Math.sin(seed + i));
        const z = new Float64Array(packedSize(d));
        outerPacked(x, d, z);
        let full = 0;
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) full += x[i] * F[i * d + j] * x[j];
        expect(dot(z, P, z.length)).toBeCloseTo(full, 8);
        const y = new Float64Array(d);
        symMatVec(P, x, d, y);
        for (let i = 0; i < d; i++) {
          let v = 0;
          for (let j = 0; j < d; j++) v += F[i * d + j] * x[j];
          expect(y[i]).toBeCloseTo(v, 9);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('invertSpd gives A A^-1 = I; Sherman-Morrison rank-1 steps stay the exact inverse', () => {
    for (const d of [1, 2, 7, 16]) {
      const A = spd(d, d * 31);
      const P = new Float64Array(packedSize(d));
      invertSpd(A, d, P);
      const check = () => {
        const Af = new Float64Array(d * d);
        const Pf = new Float64Array(d * d);
        unpack(A, d, Af);
        unpack(P, d, Pf);
        for (let i = 0; i < d; i++)
          for (let j = 0; j < d; j++) {
            let v = 0;
            for (let k = 0; k < d; k++) v += Af[i * d + k] * Pf[k * d + j];
            expect(v).toBeCloseTo(i === j ? 1 : 0, 9);
          }
      };
      check();
      // P <- P - (P x)(P x)' / (1 + x' P x) is the inverse of A + x x'.
      for (let r = 0; r < 5; r++) {
        const x = Float64Array.from({ length: d }, (_, i) => Math.cos(r * 7 + i));
        const u = new Float64Array(d);
        symMatVec(P, x, d, u);
        symRank1(P, u, d, -1 / (1 + dot(x, u, d)));
        symRank1(A, x, d, 1);
      }
      check();
    }
  });

  it('fusedUpdate equals the three separate passes', () => {
    const d = 9;
    const P1 = spd(d, 3);
    const A1 = spd(d, 4);
    const P2 = Float64Array.from(P1);
    const A2 = Float64Array.from(A1);
    const u = Float64Array.from({ length: d }, (_, i) => Math.sin(i));
    const v = Float64Array.from({ length: d }, (_, i) => Math.cos(i));
    const b = Float64Array.from({ length: d }, (_, i) => i / d);
    const y1 = new Float64Array(d);
    const y2 = new Float64Array(d);
    fusedUpdate(P1, A1, u, 0.3, v, 2, b, y1, d);
    symRank1(P2, u, d, -0.3);
    symRank1(A2, v, d, 2);
    symMatVec(P2, b, d, y2);
    expect(Array.from(P1)).toEqual(Array.from(P2));
    expect(Array.from(A1)).toEqual(Array.from(A2));
    Array.from(y1).forEach((val, i) => expect(val).toBeCloseTo(y2[i], 12));
  });

  it('invertSpd rejects a matrix that is not positive definite', () => {
    const A = identityPacked(3, 1);
    A[packedIndex(3, 1, 1)] = -1;
    expect(() => invertSpd(A, 3, new Float64Array(6))).toThrow(/positive definite/);
  });
});

describe('PackedStore (WebAssembly SIMD kernel)', () => {
  it('is available on this Node', () => {
    expect(simdModule()).not.toBeNull();
  });

  it.each([true, false])('simd=%s: dot and outer agree with the plain JS loops, for odd and even sizes', (simd) => {
    for (const d of [1, 2, 3, 4, 5, 9, 16, 33]) {
      const m = packedSize(d);
      const st = new PackedStore(m, simd);
      expect(st.simd).toBe(simd);
      const xs = st.alloc();
      const zs = st.alloc();
      const ps = st.alloc();
      const x = st.view(xs);
      for (let i = 0; i < d; i++) x[i] = Math.sin(i * 1.7 + d);
      st.outer(xs, zs, d);
      const z = new Float64Array(m);
      outerPacked(x, d, z);
      expect(Array.from(st.view(zs))).toEqual(Array.from(z));
      const P = st.view(ps);
      P.set(spd(d, d + 5));
      expect(st.dot(zs, 0, ps, 0, m)).toBeCloseTo(dot(z, P, m), 10);
      // Offsets: the first d entries of x against the last d of the P slot.
      expect(st.dot(xs, 0, ps, m - d, d)).toBeCloseTo(dot(x.subarray(0, d), P.subarray(m - d), d), 10);
    }
  });

  it('views stay valid (and contents kept) when the memory grows; released slots are reused zeroed', () => {
    let grown = 0;
    const st = new PackedStore(packedSize(64), true, () => grown++);
    const slots = [st.alloc()];
    st.view(slots[0]).fill(3);
    for (let i = 0; i < 40; i++) slots.push(st.alloc());
    expect(grown).toBeGreaterThan(0);
    expect(st.view(slots[0])[100]).toBe(3);
    st.view(slots[5]).fill(7);
    st.release(slots[5]);
    const again = st.alloc();
    expect(again).toBe(slots[5]);
    expect(st.view(again)[0]).toBe(0);
  });
});
