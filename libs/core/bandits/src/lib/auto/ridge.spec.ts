import { packedIndex } from '../linalg';
import { Rng } from '../rng';
import { Sparse } from './features';
import { Ridge } from './ridge';

const D = 40;
const CORE = 24;

/** auto's shape of context: a few core coordinates (ascending) and a dense-ish tail. */
function context(rng: Rng): Sparse {
  const idx: number[] = [0];
  for (let i = 1; i < CORE; i++) if (rng.next() < 0.15) idx.push(i);
  for (let i = CORE; i < D; i++) if (rng.next() < 0.8) idx.push(i);
  return { idx: Int32Array.from(idx), val: Float64Array.from(idx, () => rng.normal()), nnz: idx.length };
}

function trained(coreSize: number, order: (z: Sparse) => Sparse = (z) => z, steps = 60): Ridge {
  const rng = new Rng(5);
  const r = new Ridge(D, coreSize);
  for (let t = 0; t < steps; t++) r.update(order(context(rng)), rng.normal(), 1 + rng.next());
  return r;
}

/** The posterior covariance a Ridge holds, as a dense D x D matrix (zero outside the blocks). */
function denseCovariance(r: Ridge): number[][] {
  const c = Array.from({ length: D }, () => new Array<number>(D).fill(0));
  for (let i = 0; i < r.coreSize; i++)
    for (let j = 0; j < r.coreSize; j++) c[i][j] = r.coreCovariance[packedIndex(r.coreSize, i, j)];
  for (let i = r.coreSize; i < D; i++) c[i][i] = r.tailVariance[i - r.coreSize];
  return c;
}

const dense = (z: Sparse): number[] => {
  const x = new Array<number>(D).fill(0);
  for (let k = 0; k < z.nnz; k++) x[z.idx[k]] = z.val[k];
  return x;
};

describe('auto Ridge (block-diagonal posterior)', () => {
  it('with the whole space as its core it is exact ridge: online updates equal the refit from the data', () => {
    const r = trained(D);
    const coefficients = Float64Array.from(r.coefficients);
    const covariance = Float64Array.from(r.coreCovariance);
    r.refresh();
    for (let i = 0; i < D; i++) expect(coefficients[i]).toBeCloseTo(r.coefficients[i], 9);
    for (let i = 0; i < covariance.length; i++) expect(covariance[i]).toBeCloseTo(r.coreCovariance[i], 9);
  });

  it('each update is the exact Bayesian step from the block-diagonal posterior, then projected', () => {
    const r = trained(CORE);
    const c = denseCovariance(r);
    const mu = Array.from(r.coefficients);
    const rng = new Rng(21);
    const z = context(rng);
    const y = 0.7;
    const weight = 1.5;
    // Dense Kalman step on z * sqrt(w), y * sqrt(w) with the full (block-diagonal) prior.
    const x = dense(z).map((v) => v * Math.sqrt(weight));
    const u = c.map((row) => row.reduce((s, cij, j) => s + cij * x[j], 0));
    const s = x.reduce((acc, xi, i) => acc + xi * u[i], 0);
    const residual = y * Math.sqrt(weight) - x.reduce((acc, xi, i) => acc + xi * mu[i], 0);
    r.update(z, y, weight);
    for (let i = 0; i < D; i++) expect(r.coefficients[i]).toBeCloseTo(mu[i] + (u[i] * residual) / (1 + s), 10);
    const after = denseCovariance(r);
    for (let i = 0; i < CORE; i++)
      for (let j = 0; j < CORE; j++) expect(after[i][j]).toBeCloseTo(c[i][j] - (u[i] * u[j]) / (1 + s), 10);
    for (let i = CORE; i < D; i++) expect(after[i][i]).toBeCloseTo(c[i][i] - (u[i] * u[i]) / (1 + s), 10);
    // Whatever the data, a variance stays positive.
    for (let i = 0; i < D - CORE; i++) expect(r.tailVariance[i]).toBeGreaterThan(0);
  });

  it("variance is z' C z of the block-diagonal posterior", () => {
    const r = trained(CORE);
    const c = denseCovariance(r);
    const rng = new Rng(9);
    for (let q = 0; q < 10; q++) {
      const z = context(rng);
      const x = dense(z);
      let want = 0;
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) want += x[i] * c[i][j] * x[j];
      expect(r.variance(z)).toBeCloseTo(want, 10);
    }
  });

  it('refresh refits the exact ridge mean from the data and keeps the core block in full', () => {
    const approx = trained(CORE);
    const exact = trained(D);
    approx.refresh();
    for (let i = 0; i < D; i++) expect(approx.coefficients[i]).toBeCloseTo(exact.coefficients[i], 9);
    for (let i = 0; i < CORE; i++)
      for (let j = i; j < CORE; j++)
        expect(approx.coreCovariance[packedIndex(CORE, i, j)]).toBeCloseTo(
          exact.coreCovariance[packedIndex(D, i, j)],
          9,
        );
    for (let i = CORE; i < D; i++)
      expect(approx.tailVariance[i - CORE]).toBeCloseTo(exact.coreCovariance[packedIndex(D, i, i)], 9);
  });

  it('learns the same from a context whatever the order of its indices', () => {
    const reversed = (z: Sparse): Sparse => ({
      idx: z.idx.slice().reverse(),
      val: z.val.slice().reverse(),
      nnz: z.nnz,
    });
    const a = trained(CORE);
    const b = trained(CORE, reversed);
    for (let i = 0; i < D; i++) expect(a.coefficients[i]).toBeCloseTo(b.coefficients[i], 10);
    for (let i = 0; i < a.coreCovariance.length; i++) expect(a.coreCovariance[i]).toBeCloseTo(b.coreCovariance[i], 10);
    for (let i = 0; i < a.tailVariance.length; i++) expect(a.tailVariance[i]).toBeCloseTo(b.tailVariance[i], 10);
    const z = context(new Rng(11));
    expect(a.variance(z)).toBeCloseTo(b.variance(reversed(z)), 10);
  });

  it('restores its online posterior exactly from its state, and refuses one of another core size', () => {
    const a = trained(CORE);
    const b = new Ridge(D, CORE);
    b.load(JSON.parse(JSON.stringify(a.toState())));
    const rng = new Rng(3);
    for (let t = 0; t < 5; t++) {
      const z = context(rng);
      const y = rng.normal();
      a.update(z, y);
      b.update(z, y);
    }
    expect(JSON.stringify(b.toState())).toBe(JSON.stringify(a.toState()));
    expect(() => new Ridge(D, CORE - 1).load(a.toState())).toThrow(/core size/);
  });
});
