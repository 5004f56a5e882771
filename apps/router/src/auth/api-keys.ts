import { z } from 'zod';
import { PositivePgInteger, Scope } from '@llm-router/contracts';
import { sha256Hex } from '@llm-router/service';

/** What a key may do. Scopes: the first is where model "auto" routes. Limits: unset = none. */
export const KeyLimits = z.object({
  name: z
    .string()
    .min(1)
    .max(200)
    .refine((n) => !n.includes('\u0000'), 'must not contain a NUL character')
    .optional(),
  scopes: z.array(Scope).min(1),
  budgetDayUsd: z.number().positive().optional(),
  budgetMonthUsd: z.number().positive().optional(),
  rpm: PositivePgInteger.optional(),
  tpm: PositivePgInteger.optional(),
});
export type KeyLimits = z.infer<typeof KeyLimits>;

/** A key as the router knows it: its SHA-256, never the key itself. */
export interface ApiKeyPolicy extends KeyLimits {
  keyHash: string;
  name: string;
}

/** Long enough that guessing is hopeless; no whitespace, so that it survives a header. */
const KeySecret = z
  .string()
  .min(20, 'a key must be at least 20 characters')
  .regex(/^\S+$/, 'a key may not contain whitespace');

const ConfiguredKey = KeyLimits.extend({ key: KeySecret });

const hashed = (k: z.infer<typeof ConfiguredKey>, i: number): ApiKeyPolicy => {
  const { key, ...limits } = k;
  return { ...limits, keyHash: sha256Hex(key), name: k.name ?? `config-${i + 1}` };
};

/**
 * ROUTER_API_KEYS: a JSON array of {key, scopes, name?, budgetDayUsd?, budgetMonthUsd?, rpm?,
 * tpm?}, or the compact form `key=scope|scope,key2=scope` (no limits). Keys are hashed at
 * once; the plain text is not kept.
 */
export const routerApiKeysEnv = z
  .string()
  .optional()
  .transform((s, ctx): ApiKeyPolicy[] => {
    if (!s || !s.trim()) return [];
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    let entries: unknown[];
    if (s.trim().startsWith('[')) {
      try {
        entries = JSON.parse(s);
      } catch {
        return fail('must be a JSON array of {key, scopes, ...} or the compact form key=scope|scope,...');
      }
    } else {
      entries = s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
        .map((part) => {
          const eq = part.indexOf('=');
          return eq < 0 ? { key: part, scopes: [] } : { key: part.slice(0, eq), scopes: part.slice(eq + 1).split('|') };
        });
    }
    const keys: ApiKeyPolicy[] = [];
    for (const [i, entry] of entries.entries()) {
      const r = ConfiguredKey.safeParse(entry);
      // The issue names the entry by position, never by its key: config errors are printed.
      if (!r.success)
        return fail(`entry ${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
      keys.push(hashed(r.data, i));
    }
    if (new Set(keys.map((k) => k.keyHash)).size !== keys.length) return fail('the same key is listed twice');
    return keys;
  });

/** SCOPE_BUDGETS: hard caps per scope, e.g. {"default":{"dayUsd":50,"monthUsd":1000}}. */
export const scopeBudgetsEnv = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (!s || !s.trim()) return {} as Record<string, ScopeBudget>;
    const r = z
      .record(Scope, z.object({ dayUsd: z.number().positive().optional(), monthUsd: z.number().positive().optional() }))
      .safeParse(safeJson(s));
    if (!r.success) {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object scope -> {dayUsd?, monthUsd?} (positive USD)' });
      return z.NEVER;
    }
    return r.data;
  });

export interface ScopeBudget {
  dayUsd?: number;
  monthUsd?: number;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
