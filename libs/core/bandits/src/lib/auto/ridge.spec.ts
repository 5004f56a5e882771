import { packedSize } from '../linalg';
import { Rng } from '../rng';
import { PackedStore } from '../simd';
import { Sparse } from './features';
import { Ridge } from './ridge';

const D = 40;
const TAIL_START = 24;

/** auto's shape of context: a few head coordinates (ascending) and a dense-ish tail. */
function context(rng: Rng): Sparse {
  const idx: number[] = [0];
  for (let i = 1; i < TAIL_START; i++) if (rng.next() < 0.15) idx.push(i);
  for (let i = TAIL_START; i < D; i++) if (rng.next() < 0.8) idx.push(i);
  return { idx: Int32Array.from(idx), val: Float64Array.from(idx, () => rng.normal()), nnz: idx.length };
}

function trained(store: PackedStore | null, order: (z: Sparse) => Sparse): Ridge {
  const rng = new Rng(5);
  const r = new Ridge(D, store);
  for (let t = 0; t < 60; t++) r.update(order(context(rng)), rng.normal(), 1 + rng.next());
  return r;
}

describe('auto Ridge', () => {
  it('reads the dense tail with the SIMD kernels and gets the sparse loop variance', () => {
    const store = new PackedStore(packedSize(D), true);
    // Node 20 always has WebAssembly SIMD: this path is the one the services run.
    expect(store.simd).toBe(true);
    const r = trained(store, (z) => z);
    const tailSlot = store.alloc();
    const outerSlot = store.alloc();
    const rng = new Rng(9);
    for (let q = 0; q < 20; q++) {
      const z = context(rng);
      const tail = store.view(tailSlot, 0, D - TAIL_START);
      tail.fill(0);
      let head = 0;
      for (let k = 0; k < z.nnz; k++) {
        if (z.idx[k] >= TAIL_START) tail[z.idx[k] - TAIL_START] = z.val[k];
        else head++;
      }
      store.outer(tailSlot, outerSlot, D - TAIL_START);
      const fast = r.tailVariance(
        { idx: z.idx.subarray(0, head), val: z.val.subarray(0, head), nnz: head },
        TAIL_START,
        tailSlot,
        outerSlot,
      );
      expect(fast).toBeCloseTo(r.variance(z), 10);
    }
  });

  it('learns the same from a context whatever the order of its indices', () => {
    const reversed = (z: Sparse): Sparse => ({
      idx: z.idx.slice().reverse(),
      val: z.val.slice().reverse(),
      nnz: z.nnz,
    });
    const a = trained(null, (z) => z);
    const b = trained(null, reversed);
    for (let i = 0; i < D; i++) expect(a.coefficients[i]).toBeCloseTo(b.coefficients[i], 10);
    for (let i = 0; i < a.covariance.length; i++) expect(a.covariance[i]).toBeCloseTo(b.covariance[i], 10);
    const z = context(new Rng(11));
    expect(a.variance(z)).toBeCloseTo(b.variance(reversed(z)), 10);
  });
});
