/**
 * MurmurHash3 (x86, 32-bit) over the UTF-16 code units of a string. Feature hashing needs a
 * hash that is stable across processes and platforms (router replicas and the offline trainer
 * must put the same n-gram in the same slot), well mixed in its low bits (we take a modulus)
 * and in its top bit (we take the sign from it). Hashing code units rather than UTF-8 bytes
 * avoids an encoder allocation per n-gram and is equally stable.
 */
export function murmur3(key: string, seed = 0): number {
  return murmur3Range(key, 0, key.length, seed);
}

/**
 * murmur3(key.slice(start, end), seed) without allocating the slice: the featurizer hashes
 * thousands of n-grams per prompt and the substrings were most of its garbage.
 */
export function murmur3Range(key: string, start: number, end: number, seed = 0): number {
  let h = seed >>> 0;
  const len = end - start;
  // Two code units (32 bits) per block.
  const blocksEnd = start + (len & ~1);
  for (let i = start; i < blocksEnd; i += 2) {
    h = mixBlock(h, (key.charCodeAt(i) & 0xffff) | ((key.charCodeAt(i + 1) & 0xffff) << 16));
  }
  if (len & 1) h ^= scramble(key.charCodeAt(end - 1) & 0xffff);
  return finalize(h, len);
}

/** murmur3 of the code units units[start .. end), for keys assembled in a scratch buffer. */
export function murmur3Units(units: Uint16Array, start: number, end: number, seed = 0): number {
  let h = seed >>> 0;
  const len = end - start;
  const blocksEnd = start + (len & ~1);
  for (let i = start; i < blocksEnd; i += 2) h = mixBlock(h, units[i] | (units[i + 1] << 16));
  if (len & 1) h ^= scramble(units[end - 1]);
  return finalize(h, len);
}

function scramble(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

function mixBlock(h: number, k: number): number {
  h ^= scramble(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** `len` is in code units; the reference hashes bytes, hence len * 2. */
function finalize(h: number, len: number): number {
  h ^= len * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
