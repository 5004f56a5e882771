/**
 * Decision ids are derived from (scope, request id), not random: a query re-delivered after a
 * crash gets the same id, and the aggregator's unique key then counts it once.
 * FNV-1a 64-bit keeps this lib free of node:crypto.
 */
export function decisionIdFor(scope: string, requestId: string): string {
  let h = 0xcbf29ce484222325n;
  const s = `${scope}\u0000${requestId}`;
  for (let i = 0; i < s.length; i++) {
    h ^= BigInt(s.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return `dec_${h.toString(16).padStart(16, '0')}`;
}
