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

interface Step {
  z: Sparse;
  y: number;
  weight: number;
}

function stream(steps = 60): Step[] {
  const rng = new Rng(5);
  return Array.from({ length: steps }, () => ({ z: context(rng), y: rng.normal(), weight: 1 + rng.next() }));
}

function trained(coreSize: number, order: (z: Sparse) => Sparse = (z) => z, steps = stream()): Ridge {
  const r = new Ridge(D, coreSize);
  for (const s of steps) r.update(order(s.z), s.y, s.weight);
  return r;
}

/** The posterior covariance a Ridge holds, as a dense D x D matrix (zero outside the blocks). */
function denseCovariance(r: Ridge): number[][] {
  const c = Array.from({ length: D }, () => new Array<number>(D).fill(0));
  for (let i = 0; i < r.coreSize; i++)
    for (let j = 0; j < r.coreSize; j++) c[i][j] = r.coreCovariance[packedIndex(r.coreSize, i, j)];
  for (let i = r.coreSize; i < D; i++) c[i][i] = r.tailVariance(i);
  return c;
}

const dense = (z: Sparse): number[] => {
  const x = new Array<number>(D).fill(0);
  for (let k = 0; k < z.nnz; k++) x[z.idx[k]] = z.val[k];
  return x;
};

/** The core part of z alone. */
const coreOf = (z: Sparse): Sparse => {
  const keep = Array.from(z.idx.keys()).filter((k) => z.idx[k] < CORE);
  return {
    idx: Int32Array.from(keep, (k) => z.idx[k]),
    val: Float64Array.from(keep, (k) => z.val[k]),
    nnz: keep.length,
  };
};

/** The full data of a stream: gram (packed, all coordinates) and sum w z y. */
function fullData(steps: Step[]): { gram: Float64Array; targetMoment: Float64Array; weight: number } {
  const gram = new Float64Array((D * (D + 1)) / 2);
  const targetMoment = new Float64Array(D);
  let weight = 0;
  for (const { z, y, weight: w } of steps) {
    const x = dense(z);
    for (let i = 0; i < D; i++) {
      targetMoment[i] += w * x[i] * y;
      for (let j = i; j < D; j++) gram[packedIndex(D, i, j)] += w * x[i] * x[j];
    }
    weight += w;
  }
  return { gram, targetMoment, weight };
}

describe('auto Ridge (block-diagonal posterior)', () => {
  it('with the whole space as its core it is exact ridge: online updates equal the fit of the data', () => {
    const steps = stream();
    const online = trained(D, (z) => z, steps);
    const { gram, targetMoment, weight } = fullData(steps);
    const batch = new Ridge(D);
    batch.fit(gram, targetMoment, weight);
    for (let i = 0; i < D; i++) expect(online.coefficients[i]).toBeCloseTo(batch.coefficients[i], 9);
    for (let i = 0; i < online.coreCovariance.length; i++)
      expect(online.coreCovariance[i]).toBeCloseTo(batch.coreCovariance[i], 9);
  });

  it('has the blocks of the exact posterior precision: the core by itself, each other coordinate by itself', () => {
    const steps = stream();
    const r = trained(CORE, (z) => z, steps);
    // The core block: what exact ridge on the core coordinates alone holds.
    const core = new Ridge(CORE);
    for (const s of steps) core.update(coreOf(s.z), s.y, s.weight);
    for (let i = 0; i < core.coreCovariance.length; i++)
      expect(r.coreCovariance[i]).toBeCloseTo(core.coreCovariance[i], 12);
    // Every other coordinate: 1 / (1 + sum of w z_i^2).
    for (let i = CORE; i < D; i++) {
      let precision = 1;
      for (const s of steps)
        for (let k = 0; k < s.z.nnz; k++) if (s.z.idx[k] === i) precision += s.weight * s.z.val[k] ** 2;
      expect(r.tailVariance(i)).toBeCloseTo(1 / precision, 12);
    }
  });

  it('moves its coefficients by the exact Bayesian step from the block-diagonal posterior', () => {
    const r = trained(CORE);
    const c = denseCovariance(r);
    const mu = Array.from(r.coefficients);
    const z = context(new Rng(21));
    const y = 0.7;
    const weight = 1.5;
    // Dense Kalman gain on z * sqrt(w), y * sqrt(w) with the block-diagonal prior.
    const x = dense(z).map((v) => v * Math.sqrt(weight));
    const u = c.map((row) => row.reduce((s, cij, j) => s + cij * x[j], 0));
    const s = x.reduce((acc, xi, i) => acc + xi * u[i], 0);
    const residual = y * Math.sqrt(weight) - x.reduce((acc, xi, i) => acc + xi * mu[i], 0);
    r.update(z, y, weight);
    for (let i = 0; i < D; i++) expect(r.coefficients[i]).toBeCloseTo(mu[i] + (u[i] * residual) / (1 + s), 10);
  });

  it("variance is z' C z of the block-diagonal posterior, scaled or not", () => {
    const r = trained(CORE);
    const c = denseCovariance(r);
    const rng = new Rng(9);
    const scale = Float64Array.from({ length: D }, () => 0.1 + rng.next());
    for (let q = 0; q < 10; q++) {
      const z = context(rng);
      const x = dense(z);
      let want = 0;
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) want += x[i] * c[i][j] * x[j];
      expect(r.variance(z)).toBeCloseTo(want, 10);
      const zs = { ...z, val: z.val.map((v, k) => v * scale[z.idx[k]]) };
      expect(r.variance(z, scale)).toBeCloseTo(r.variance(zs), 12);
      expect(r.mean(z, scale)).toBeCloseTo(r.mean(zs), 12);
    }
  });

  it('fit keeps the exact ridge mean of full data and the blocks of its precision', () => {
    const steps = stream();
    const { gram, targetMoment, weight } = fullData(steps);
    const fitted = new Ridge(D, CORE);
    fitted.fit(gram, targetMoment, weight);
    const exact = trained(D, (z) => z, steps);
    const online = trained(CORE, (z) => z, steps);
    for (let i = 0; i < D; i++) expect(fitted.coefficients[i]).toBeCloseTo(exact.coefficients[i], 9);
    // The precision blocks are the data's, whichever way they were reached.
    for (let i = 0; i < fitted.coreCovariance.length; i++)
      expect(fitted.coreCovariance[i]).toBeCloseTo(online.coreCovariance[i], 12);
    for (let i = CORE; i < D; i++) expect(fitted.tailVariance(i)).toBeCloseTo(online.tailVariance(i), 12);
  });

  it('merges replicas by adding precisions and precision-weighted means, the shared prior once', () => {
    // Observations that each touch one tail coordinate: there the block-diagonal posterior is
    // the exact one, so the merge must equal one model that saw both streams.
    const rng = new Rng(13);
    const single = (): Step => {
      const i = CORE + Math.floor(rng.next() * (D - CORE));
      return {
        z: { idx: Int32Array.of(i), val: Float64Array.of(rng.normal()), nnz: 1 },
        y: rng.normal(),
        weight: 1 + rng.next(),
      };
    };
    const prior = Array.from({ length: 30 }, single);
    const left = Array.from({ length: 40 }, single);
    const right = Array.from({ length: 40 }, single);
    const base = trained(CORE, (z) => z, prior);
    const a = trained(CORE, (z) => z, [...prior, ...left]);
    const b = trained(CORE, (z) => z, [...prior, ...right]);
    const all = trained(CORE, (z) => z, [...prior, ...left, ...right]);
    a.merge(b.toState(), base.toState());
    for (let i = 0; i < D; i++) expect(a.coefficients[i]).toBeCloseTo(all.coefficients[i], 10);
    for (let i = CORE; i < D; i++) expect(a.tailVariance(i)).toBeCloseTo(all.tailVariance(i), 12);
    expect(a.weight).toBeCloseTo(all.weight, 10);
    // In general the precisions still add exactly (the core block too); the means approximately.
    const steps = stream();
    const c = trained(CORE, (z) => z, steps.slice(0, 30));
    const d = trained(CORE, (z) => z, steps.slice(30));
    const both = trained(CORE, (z) => z, steps);
    c.merge(d.toState(), null);
    for (let i = 0; i < c.coreGram.length; i++) expect(c.coreGram[i]).toBeCloseTo(both.coreGram[i], 10);
    for (let i = 0; i < c.coreCovariance.length; i++)
      expect(c.coreCovariance[i]).toBeCloseTo(both.coreCovariance[i], 10);
    for (let i = CORE; i < D; i++) expect(c.tailVariance(i)).toBeCloseTo(both.tailVariance(i), 12);
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
    for (let i = 0; i < a.coreGram.length; i++) expect(a.coreGram[i]).toBeCloseTo(b.coreGram[i], 10);
    for (let i = CORE; i < D; i++) expect(a.tailGram[i]).toBeCloseTo(b.tailGram[i], 10);
    for (let i = 0; i < a.coreCovariance.length; i++) expect(a.coreCovariance[i]).toBeCloseTo(b.coreCovariance[i], 10);
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
    expect(() => new Ridge(D, CORE - 1).load(a.toState())).toThrow(/does not fit/);
  });
});
