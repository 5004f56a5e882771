import { createHash, timingSafeEqual } from 'node:crypto';

type Headers = Record<string, string | string[] | undefined>;

/** Hex SHA-256 of a secret: what is stored and compared, never the secret itself. */
export const sha256Hex = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/**
 * The credential of a request: `Authorization: Bearer <token>` (API clients, Prometheus) or
 * the password of `Authorization: Basic` (what a browser sends after its login prompt, and
 * re-sends with the dashboard's fetch and EventSource calls, which cannot set headers).
 */
export function requestCredential(headers: Headers): string | undefined {
  const raw = headers['authorization'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim() ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(value);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+(\S+)$/i.exec(value);
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : undefined;
}

/** Compares a presented secret with the digest of the expected one in constant time. */
export function secretMatches(presented: string, expectedSha256Hex: string): boolean {
  return timingSafeEqual(Buffer.from(sha256Hex(presented), 'hex'), Buffer.from(expectedSha256Hex, 'hex'));
}
