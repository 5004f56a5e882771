import { LinUcbPolicy } from './linucb';
import { packedSize, unpack } from './linalg';
import { LinearStats } from './linear-policy';
import { Rng } from './rng';

const none = { lambda: 0, costs: {} };

/** Solves M y = r by Gaussian elimination (full d x d, row-major). */
function solve(M: number[], r: number[], d: number): number[] {
  const a = M.slice();
  const y = r.slice();
  for (let c = 0; c < d; c++) {
    let piv = c;
    for (let i = c + 1; i < d; i++) if (Math.abs(a[i * d + c]) > Math.abs(a[piv * d + c])) piv = i;
    for (let j = 0; j < d; j++) [a[c * d + j], a[piv * d + j]] = [a[piv * d + j], a[c * d + j]];
    [y[c], y[piv]] = [y[piv], y[c]];
    for (let i = c + 1; i < d; i++) {
      const f = a[i * d + c] / a[c * d + c];
      for (let j = c; j < d; j++) a[i * d + j] -= f * a[c * d + j];
      y[i] -= f * y[c];
    }
  }
  for (let i = d - 1; i >= 0; i--) {
    for (let j = i + 1; j < d; j++) y[i] -= a[i * d + j] * y[j];
    y[i] /= a[i * d + i];
  }
  return y;
}

const full = (packed: number[], d: number) => {
  const F = new Float64Array(d * d);
  unpack(Float64Array.from(packed), d, F);
  return Array.from(F);
};

function randomStream(n: number, d: number, seed: number) {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => ({
    arm: ['a', 'b'][r.int(2)],
    x: Array.from({ length: d }, () => r.next() * 2 - 1),
    q: r.next(),
  }));
}

describe('LinUcbPolicy', () => {
  const d = 4;

  it("theta is the ridge solution (reg I + sum x x')^-1 sum q x, and P stays the inverse of A", () => {
    const p = new LinUcbPolicy({ arms: ['a', 'b'], d, reg: 0.7 });
    const stream = randomStream(60, d, 3);
    for (const s of stream) p.update({ features: s.x }, s.arm, { quality: s.q, costUsd: 0 });
    const M = Array.from({ length: d * d }, (_, k) => (k % (d + 1) === 0 ? 0.7 : 0));
    const r = new Array<number>(d).fill(0);
    for (const s of stream.filter((s) => s.arm === 'a')) {
      for (let i = 0; i < d; i++) {
        r[i] += s.q * s.x[i];
        for (let j = 0; j < d; j++) M[i * d + j] += s.x[i] * s.x[j];
      }
    }
    const theta = solve(M, r, d);
    for (let i = 0; i < d; i++) {
      const e = Array.from({ length: d }, (_, j) => (j === i ? 1 : 0));
      expect(p.estimate({ features: e }, 'a').mean).toBeCloseTo(theta[i], 10);
    }
    const st = (p.toState().stats as LinearStats).arms['a'];
    const A = full(st.A, d);
    const P = full(st.P!, d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        expect(A[i * d + j]).toBeCloseTo(M[i * d + j], 10);
        let v = 0;
        for (let k = 0; k < d; k++) v += A[i * d + k] * P[k * d + j];
        expect(v).toBeCloseTo(i === j ? 1 : 0, 10);
      }
  });

  it("score = theta.x + alpha sqrt(x' A^-1 x) - lambda cost", () => {
    const p = new LinUcbPolicy({ arms: ['a', 'b'], d, alpha: 0.8 });
    for (const s of randomStream(30, d, 5)) p.update({ features: s.x }, s.arm, { quality: s.q, costUsd: 0 });
    const x = [0.2, -0.4, 0.9, 0.1];
    const st = (p.toState().stats as LinearStats).arms['b'];
    const P = full(st.P!, d);
    let q = 0;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) q += x[i] * P[i * d + j] * x[j];
    const dec = p.decide({ features: x }, ['a', 'b'], { lambda: 3, costs: { b: 0.01 } });
    expect(dec.scores['b']).toBeCloseTo(p.estimate({ features: x }, 'b').mean + 0.8 * Math.sqrt(q) - 0.03, 10);
    expect(dec.propensity).toBe(1);
  });

  it('forgetting keeps P the exact inverse of the stored A, and decays b toward the prior', () => {
    const p = new LinUcbPolicy({ arms: ['a'], d, gamma: 0.9 });
    const stream = randomStream(40, d, 9).map((s) => ({ ...s, arm: 'a' }));
    let b = new Array<number>(d).fill(0);
    for (const s of stream) {
      p.update({ features: s.x }, 'a', { quality: s.q, costUsd: 0 });
      b = b.map((v, i) => 0.9 * v + s.q * s.x[i]);
    }
    const st = (p.toState().stats as LinearStats).arms['a'];
    st.b.forEach((v, i) => expect(v).toBeCloseTo(b[i], 10));
    const A = full(st.A, d);
    const P = full(st.P!, d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let v = 0;
        for (let k = 0; k < d; k++) v += A[i * d + k] * P[k * d + j];
        expect(v).toBeCloseTo(i === j ? 1 : 0, 9);
      }
    // The prior part stays near reg * I: the diagonal never collapses toward 0.
    for (let i = 0; i < d; i++) expect(A[i * d + i]).toBeGreaterThan(0.5);
  });

  it('periodic refresh (Cholesky) and the JS fallback agree with the SIMD Sherman-Morrison path', () => {
    const mk = (o: object) => new LinUcbPolicy({ arms: ['a', 'b'], d, seed: 4, ...o });
    const ps = [mk({}), mk({ refreshEvery: 3 }), mk({ simd: false })];
    for (const s of randomStream(80, d, 11)) {
      const decs = ps.map((p) => p.decide({ features: s.x }, ['a', 'b'], none));
      for (const dd of decs.slice(1)) {
        expect(dd.scores['a']).toBeCloseTo(decs[0].scores['a'], 10);
        expect(dd.arm).toBe(decs[0].arm);
      }
      ps.forEach((p) => p.update({ features: s.x }, decs[0].arm, { quality: s.q, costUsd: 0 }));
    }
  });

  it('seed(): pseudo-observations go into the prior and make the arm warm', () => {
    const p = new LinUcbPolicy({ arms: ['a', 'b'], d: 2, alpha: 0 });
    p.seed('a', [1, 0], 0.9, 1000);
    p.seed('b', [1, 0], 0.4, 1000);
    expect(p.estimate({ features: [1, 0] }, 'a').mean).toBeCloseTo(0.9, 2);
    expect(p.decide({ features: [1, 0] }, ['a', 'b'], none).arm).toBe('a');
    const st = (p.toState().stats as LinearStats).arms['a'];
    expect(st.A0).toBeDefined();
    expect(st.warm).toBe(true);
  });

  it('addArm with a full offline state {A, b}: theta = A^-1 b', () => {
    const p = new LinUcbPolicy({ arms: [], d: 2 });
    p.addArm('a', { mean: 0, weight: 10, A: [2, 0.5, 0.5, 1], b: [1, 0.25] });
    const t = solve([2, 0.5, 0.5, 1], [1, 0.25], 2);
    expect(p.estimate({ features: [1, 0] }, 'a').mean).toBeCloseTo(t[0], 12);
    expect(p.estimate({ features: [0, 1] }, 'a').mean).toBeCloseTo(t[1], 12);
    expect(p.decide({ features: [1, 0] }, ['a'], none).arm).toBe('a');
    expect(() => p.addArm('z', { mean: 0, weight: 1, A: [1, 2, 3, 4, 5], b: [1, 1] })).toThrow(/length/);
  });

  it('a {mean, weight} prior given before any context is placed at the first context seen', () => {
    const p = new LinUcbPolicy({ arms: ['b'], d: 2, priors: { a: { mean: 0.8, weight: 500 } } });
    const x = { features: [1, 0.5] };
    p.decide(x, ['a', 'b'], none);
    expect(p.estimate(x, 'a').mean).toBeCloseTo(0.8, 2);
    // Once contexts have been learned from, their average is used at once.
    p.update(x, 'b', { quality: 0.5, costUsd: 0 });
    p.addArm('c', { mean: 0.3, weight: 500 });
    expect(p.estimate(x, 'c').mean).toBeCloseTo(0.3, 2);
  });

  it('cold arm: forced first, then an unseen arm reports an infinite half-width', () => {
    const p = new LinUcbPolicy({ arms: ['a'], d: 2 });
    p.update({ features: [1, 0] }, 'a', { quality: 1, costUsd: 0 });
    p.addArm('new');
    expect(p.estimate({ features: [1, 0] }, 'new').halfWidth).toBe(Infinity);
    expect(p.decide({ features: [1, 0] }, ['a', 'new'], none).arm).toBe('new');
  });

  it('validates features', () => {
    const p = new LinUcbPolicy({ arms: ['a'], d: 3 });
    expect(() => p.decide({}, ['a'], none)).toThrow(/features of length 3/);
    expect(() => p.decide({ features: [1, 2] }, ['a'], none)).toThrow(/length 3/);
    expect(() => p.update({ features: [1, NaN, 0] }, 'a', { quality: 1, costUsd: 0 })).toThrow(/finite/);
    expect(() => new LinUcbPolicy({ d: 0 })).toThrow();
  });

  it('many arms: the SIMD store grows without corrupting existing arms', () => {
    const p = new LinUcbPolicy({ arms: ['a0'], d: 8, alpha: 0 });
    p.seed('a0', [1, 0, 0, 0, 0, 0, 0, 0], 0.7, 100);
    const before = p.estimate({ features: [1, 0, 0, 0, 0, 0, 0, 0] }, 'a0').mean;
    for (let i = 1; i < 50; i++) p.addArm(`a${i}`);
    expect(p.estimate({ features: [1, 0, 0, 0, 0, 0, 0, 0] }, 'a0').mean).toBe(before);
    expect(p.arms().length).toBe(50);
    expect(packedSize(8)).toBe(36);
  });
});
