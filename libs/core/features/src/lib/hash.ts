/**
 * MurmurHash3 (x86, 32-bit) over the UTF-16 code units of a string. Feature hashing needs a
 * hash that is stable across processes and platforms (router replicas and the offline trainer
 * must put the same n-gram in the same slot), well mixed in its low bits (we take a modulus)
 * and in its top bit (we take the sign from it). Hashing code units rather than UTF-8 bytes
 * avoids an encoder allocation per n-gram and is equally stable.
 */
export function murmur3(key: string, seed = 0): number {
  let h = seed >>> 0;
  const len = key.length;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  // Two code units (32 bits) per block.
  const blocks = len >> 1;
  for (let i = 0; i < blocks; i++) {
    let k = (key.charCodeAt(2 * i) & 0xffff) | ((key.charCodeAt(2 * i + 1) & 0xffff) << 16);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (len & 1) {
    let k = key.charCodeAt(len - 1) & 0xffff;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= len * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
