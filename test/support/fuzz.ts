/**
 * fast-check arbitraries shared by the fuzz tests (issue 12 item 7): inputs "close to valid",
 * made from a valid message by one mutation (a field replaced by a plausible wrong value,
 * removed, or a key added) or by damaging its bytes.
 */
import fc from 'fast-check';
import { Rng } from '@llm-router/numerics';

export type Json = unknown;
type PathStep = string | number;

/** Every path into a JSON value (objects' keys and arrays' indices), the root included. */
export function pathsOf(v: Json, prefix: PathStep[] = []): PathStep[][] {
  const out: PathStep[][] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...prefix, i])));
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v as Record<string, Json>)) out.push(...pathsOf(x, [...prefix, k]));
  return out;
}

export type Mutation = { op: 'replace'; value: Json } | { op: 'delete' } | { op: 'add'; key: string; value: Json };

/** A copy of `root` with one mutation at `path` (the root itself is replaced, never deleted). */
export function mutate(root: Json, path: PathStep[], m: Mutation): Json {
  const copy = structuredClone(root);
  if (path.length === 0) {
    if (m.op === 'replace') return m.value;
    if (m.op === 'add' && copy && typeof copy === 'object' && !Array.isArray(copy))
      (copy as Record<string, Json>)[m.key] = m.value;
    return copy;
  }
  let parent = copy as Record<PathStep, Json>;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<PathStep, Json>;
  const last = path[path.length - 1];
  if (m.op === 'replace') parent[last] = m.value;
  else if (m.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else {
    const target = parent[last];
    if (Array.isArray(target)) target.push(m.value);
    else if (target && typeof target === 'object') (target as Record<string, Json>)[m.key] = m.value;
    else parent[last] = m.value;
  }
  return copy;
}

/**
 * 5,000 letters that do not repeat: PostgreSQL compresses an index entry before it checks the
 * btree's 2,704-byte limit, so 'x'.repeat(10_000) fits in an index and only text like this finds
 * a column indexed without a bound (a feedback id did: test/e2e/hostile-ids.int-spec.ts).
 */
const letters = new Rng(12345);
const INCOMPRESSIBLE = Array.from({ length: 5000 }, () => String.fromCharCode(97 + letters.int(26))).join('');

/** Values a field plausibly gets wrong: the wrong type, the edges of numbers and strings, big values. */
export const nearValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(
    null,
    '',
    0,
    -1,
    -0,
    1.5,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER + 2,
    true,
    [],
    {},
    'x'.repeat(10_000),
    INCOMPRESSIBLE,
    '2026-13-45T99:00:00Z',
    'not-a-date',
    '__proto__',
    // PostgreSQL text cannot hold NUL: a string with one must be refused before it reaches a query.
    'a\u0000b',
    JSON.parse('{"__proto__":{"polluted":true}}'),
  ),
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.jsonValue({ maxDepth: 3 }),
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), value: nearValue }),
  fc.constant({ op: 'delete' as const }),
  fc.record({
    op: fc.constant('add' as const),
    key: fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString', 'id', 'scope')),
    value: nearValue,
  }),
);

/** Byte-level damage to valid JSON: truncation, one byte changed, a byte inserted. */
export const damagedBytes = (valid: string): fc.Arbitrary<Buffer> => {
  const bytes = Buffer.from(valid);
  return fc.oneof(
    fc.nat({ max: bytes.length }).map((n) => bytes.subarray(0, n)),
    fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
      const c = Buffer.from(bytes);
      c[i] = b;
      return c;
    }),
    fc
      .tuple(fc.nat({ max: bytes.length }), fc.integer({ min: 0, max: 255 }))
      .map(([i, b]) => Buffer.concat([bytes.subarray(0, i), Buffer.from([b]), bytes.subarray(i)])),
  );
};
