/**
 * Binary encoding of large numeric state (policy.updates snapshots, docs/decisions/0018).
 *
 * A policy's state is mostly a few dozen long arrays of doubles (packed gram and covariance
 * matrices); as JSON they cost megabytes of text and a parse that holds the event loop. Here
 * every array of at least MIN_BLOCK numbers becomes a block of raw float64 (exact: the same
 * doubles come back), stored dense or, when mostly zeros, as (index, value) pairs; what
 * remains (names, flags, short arrays) is a small JSON skeleton that points at the blocks.
 *
 * Layout (little-endian), format 1:
 *   0  "LRSB" magic            4  u8 format version      5..7 zero
 *   8  u32 skeleton bytes      12 skeleton (UTF-8 JSON)   then zero padding to a multiple of 8
 *   blocks, each starting at a multiple of 8:
 *     dense:  length x f64
 *     sparse: nnz x f64 values, then nnz x u32 indices, padded to 8
 * The skeleton is `{ "v": <value with arrays replaced by {"\u0000b": i}>, "b": [[kind, length, nnz], ...] }`.
 *
 * Anything that does not start with the magic is JSON (what every earlier producer wrote):
 * decodeSnapshotBytes reads both.
 */
export const SNAPSHOT_MAGIC = 'LRSB';
export const SNAPSHOT_FORMAT = 1;
/** Shorter numeric arrays stay in the JSON skeleton: a block header would cost more than it saves. */
export const MIN_BLOCK = 16;

const BLOCK_KEY = '\u0000b';
const HEADER_BYTES = 12;
const DENSE = 0;
const SPARSE = 1;

type BlockInfo = [kind: typeof DENSE | typeof SPARSE, length: number, nnz: number];

/** A value read from bytes: typed (Float64Array blocks, for a fast restore) or plain (number[], as JSON gives). */
export interface DecodeOptions {
  typedArrays?: boolean;
}

const align8 = (n: number) => (n + 7) & ~7;

function isNumericArray(v: unknown): v is ArrayLike<number> {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return (v as unknown as ArrayLike<number>).length >= MIN_BLOCK;
  if (!Array.isArray(v) || v.length < MIN_BLOCK) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'number') return false;
  return true;
}

/** Encodes any JSON-like value; its long numeric arrays (or Float64Arrays) become float64 blocks. */
export function encodeSnapshotBytes(value: unknown): Uint8Array {
  const arrays: ArrayLike<number>[] = [];
  const blocks: BlockInfo[] = [];
  const markers = new WeakSet<object>();
  const skeleton = JSON.stringify(value, function (this: unknown, key, v: unknown) {
    if (key === BLOCK_KEY && !markers.has(this as object))
      throw new Error(`snapshot codec: the key ${JSON.stringify(BLOCK_KEY)} is reserved`);
    if (!isNumericArray(v)) return v;
    let nnz = 0;
    for (let i = 0; i < v.length; i++) if (v[i] !== 0 || Object.is(v[i], -0)) nnz++;
    // A sparse entry costs 12 bytes, a dense one 8.
    blocks.push([nnz * 12 < v.length * 8 ? SPARSE : DENSE, v.length, nnz]);
    arrays.push(v);
    const marker = { [BLOCK_KEY]: arrays.length - 1 };
    markers.add(marker);
    return marker;
  });
  const head = new TextEncoder().encode(JSON.stringify({ v: JSON.parse(skeleton), b: blocks }));
  let size = align8(HEADER_BYTES + head.length);
  for (const [kind, length, nnz] of blocks) size += kind === DENSE ? length * 8 : align8(nnz * 12);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = SNAPSHOT_MAGIC.charCodeAt(i);
  out[4] = SNAPSHOT_FORMAT;
  view.setUint32(8, head.length, true);
  out.set(head, HEADER_BYTES);
  let at = align8(HEADER_BYTES + head.length);
  blocks.forEach(([kind, length, nnz], b) => {
    const src = arrays[b];
    if (kind === DENSE) {
      new Float64Array(out.buffer, at, length).set(src);
      at += length * 8;
      return;
    }
    const values = new Float64Array(out.buffer, at, nnz);
    const indices = new Uint32Array(out.buffer, at + nnz * 8, nnz);
    let k = 0;
    for (let i = 0; i < length; i++)
      if (src[i] !== 0 || Object.is(src[i], -0)) {
        values[k] = src[i];
        indices[k++] = i;
      }
    at += align8(nnz * 12);
  });
  return out;
}

export function isBinarySnapshot(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER_BYTES) return false;
  for (let i = 0; i < 4; i++) if (bytes[i] !== SNAPSHOT_MAGIC.charCodeAt(i)) return false;
  return true;
}

/**
 * Reads bytes written by encodeSnapshotBytes or plain JSON. With typedArrays, every block is
 * a Float64Array view on one fresh ArrayBuffer (`buffer`, to transfer to another thread);
 * without, blocks are number[] and the value equals what JSON.parse of the original gives.
 */
export function decodeSnapshotBytes(
  bytes: Uint8Array,
  opts: DecodeOptions = {},
): { value: unknown; buffer: ArrayBuffer | null } {
  if (!isBinarySnapshot(bytes)) return { value: JSON.parse(new TextDecoder().decode(bytes)), buffer: null };
  if (bytes[4] !== SNAPSHOT_FORMAT) throw new Error(`snapshot codec: unknown format ${bytes[4]}`);
  // Aligned copy: the record's bytes may start anywhere in kafkajs' buffer.
  const src = new Uint8Array(bytes.length);
  src.set(bytes);
  const view = new DataView(src.buffer);
  const headLength = view.getUint32(8, true);
  const head = JSON.parse(new TextDecoder().decode(src.subarray(HEADER_BYTES, HEADER_BYTES + headLength))) as {
    v: unknown;
    b: BlockInfo[];
  };
  const total = head.b.reduce((n, [, length]) => n + length, 0);
  const buffer = new ArrayBuffer(total * 8);
  const blocks: (Float64Array | number[])[] = [];
  let at = align8(HEADER_BYTES + headLength);
  let out = 0;
  for (const [kind, length, nnz] of head.b) {
    if (at + (kind === DENSE ? length * 8 : nnz * 12) > src.length) throw new Error('snapshot codec: truncated');
    const dst = new Float64Array(buffer, out * 8, length);
    out += length;
    if (kind === DENSE) {
      dst.set(new Float64Array(src.buffer, at, length));
      at += length * 8;
    } else {
      const values = new Float64Array(src.buffer, at, nnz);
      const indices = new Uint32Array(src.buffer, at + nnz * 8, nnz);
      for (let k = 0; k < nnz; k++) dst[indices[k]] = values[k];
      at += align8(nnz * 12);
    }
    blocks.push(opts.typedArrays ? dst : Array.from(dst));
  }
  return { value: resolveBlocks(head.v, blocks), buffer: opts.typedArrays ? buffer : null };
}

function resolveBlocks(v: unknown, blocks: (Float64Array | number[])[]): unknown {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = resolveBlocks(v[i], blocks);
    return v;
  }
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const b = o[BLOCK_KEY];
  if (typeof b === 'number') {
    const block = blocks[b];
    if (block === undefined) throw new Error(`snapshot codec: no block ${b}`);
    return block;
  }
  for (const k of Object.keys(o)) o[k] = resolveBlocks(o[k], blocks);
  return o;
}
