/**
 * Dense linear algebra for the linear policies, on Float64Array.
 *
 * Symmetric d x d matrices are stored PACKED: the upper triangle row by row, row i holding
 * columns i..d-1 (d(d+1)/2 numbers). Half the memory and half the flops of a full matrix, and
 * the quadratic form x' P x becomes one long contiguous dot product with the packed outer
 * product of x (see `outerPacked`), which is the fastest loop V8 runs.
 */

export function packedSize(d: number): number {
  return (d * (d + 1)) / 2;
}

/** Index of (i, j), i <= j, in the packed upper triangle. */
export function packedIndex(d: number, i: number, j: number): number {
  if (i > j) [i, j] = [j, i];
  return i * d - (i * (i - 1)) / 2 + (j - i);
}

/** z = packed(x x') with off-diagonal entries doubled, so that x' P x = dot(z, P). */
export function outerPacked(x: ArrayLike<number>, d: number, z: Float64Array): void {
  let k = 0;
  for (let i = 0; i < d; i++) {
    const xi = x[i];
    z[k++] = xi * xi;
    const xi2 = 2 * xi;
    for (let j = i + 1; j < d; j++) z[k++] = xi2 * x[j];
  }
}

/** Dot product of the first m entries, four accumulators to break the add dependency chain. */
export function dot(a: Float64Array, b: Float64Array, m: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const m4 = m - (m & 3);
  for (; i < m4; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < m; i++) s0 += a[i] * b[i];
  return s0 + s1 + (s2 + s3);
}

export function dotVec(a: ArrayLike<number>, b: ArrayLike<number>, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += a[i] * b[i];
  return s;
}

/** y = P x for packed symmetric P. */
export function symMatVec(P: Float64Array, x: ArrayLike<number>, d: number, y: Float64Array): void {
  y.fill(0, 0, d);
  let k = 0;
  for (let i = 0; i < d; i++) {
    const xi = x[i];
    let acc = P[k++] * xi;
    for (let j = i + 1; j < d; j++) {
      const a = P[k++];
      acc += a * x[j];
      y[j] += a * xi;
    }
    y[i] += acc;
  }
}

/** P += s u u' (packed). */
export function symRank1(P: Float64Array, u: ArrayLike<number>, d: number, s: number): void {
  let k = 0;
  for (let i = 0; i < d; i++) {
    const sui = s * u[i];
    for (let j = i; j < d; j++) P[k++] += sui * u[j];
  }
}

/**
 * One pass over the packed triangle doing the whole Sherman-Morrison update of a linear arm:
 * P -= c u u', A += w v v', and y = (new P) b. Fusing the three halves update time compared
 * with separate passes (the loop overhead, not the flops, dominates in JS).
 */
export function fusedUpdate(
  P: Float64Array,
  A: Float64Array,
  u: Float64Array,
  c: number,
  v: Float64Array,
  w: number,
  b: Float64Array,
  y: Float64Array,
  d: number,
): void {
  y.fill(0, 0, d);
  let k = 0;
  for (let i = 0; i < d; i++) {
    const cui = c * u[i];
    const wvi = w * v[i];
    const bi = b[i];
    let p = P[k] - cui * u[i];
    P[k] = p;
    A[k] += wvi * v[i];
    let acc = p * bi;
    k++;
    for (let j = i + 1; j < d; j++, k++) {
      p = P[k] - cui * u[j];
      P[k] = p;
      A[k] += wvi * v[j];
      acc += p * b[j];
      y[j] += p * bi;
    }
    y[i] += acc;
  }
}

export function scale(P: Float64Array, m: number, s: number): void {
  for (let i = 0; i < m; i++) P[i] *= s;
}

/** Packed identity times v. */
export function identityPacked(d: number, v: number, out?: Float64Array): Float64Array {
  const P = out ?? new Float64Array(packedSize(d));
  P.fill(0);
  for (let i = 0; i < d; i++) P[packedIndex(d, i, i)] = v;
  return P;
}

/** Packed -> full row-major. */
export function unpack(P: Float64Array, d: number, out: Float64Array): void {
  let k = 0;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = P[k++];
      out[i * d + j] = v;
      out[j * d + i] = v;
    }
  }
}

/** Full (symmetric, only the upper triangle is read) -> packed. */
export function pack(F: ArrayLike<number>, d: number, out: Float64Array): void {
  let k = 0;
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) out[k++] = F[i * d + j];
}

/**
 * Lower Cholesky factor L (full row-major, upper part zeroed) of packed SPD A, in place into L.
 * Returns false when A is not positive definite.
 */
export function cholesky(A: Float64Array, d: number, L: Float64Array): boolean {
  unpack(A, d, L);
  for (let j = 0; j < d; j++) {
    let s = L[j * d + j];
    for (let k = 0; k < j; k++) s -= L[j * d + k] * L[j * d + k];
    if (!(s > 0)) return false;
    const ljj = Math.sqrt(s);
    L[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = L[i * d + j];
      for (let k = 0; k < j; k++) t -= L[i * d + k] * L[j * d + k];
      L[i * d + j] = t / ljj;
    }
    for (let i = 0; i < j; i++) L[i * d + j] = 0;
  }
  return true;
}

/**
 * out = inverse of packed SPD A (packed), via Cholesky: A^-1 = L^-T L^-1. O(d^3): used at
 * merge, restore and periodic refresh, never per decision. Throws if A is not SPD.
 */
export function invertSpd(A: Float64Array, d: number, out: Float64Array, scratch?: Float64Array): void {
  const L = scratch && scratch.length >= d * d ? scratch : new Float64Array(d * d);
  if (!cholesky(A, d, L)) throw new Error('matrix is not positive definite');
  // L <- L^-1 (lower triangular, in place, column by column from the right).
  for (let j = 0; j < d; j++) {
    L[j * d + j] = 1 / L[j * d + j];
    for (let i = j + 1; i < d; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * d + k] * L[k * d + j];
      L[i * d + j] = s / L[i * d + i];
    }
  }
  // out[i][j] = sum_k Linv[k][i] * Linv[k][j], k >= max(i, j).
  let p = 0;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let k = j; k < d; k++) s += L[k * d + i] * L[k * d + j];
      out[p++] = s;
    }
  }
}
