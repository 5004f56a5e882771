import { z } from 'zod';
import { MAX_PRICE_PER_M, ModelId } from '@llm-router/contracts';
import { accessEnvShape, baseEnvSchema, loadConfig, parsedBy, unsetIfEmpty } from '@llm-router/service';

/** A GPU-served model: its price never follows a price feed, and it holds `concurrency` calls at once. */
export interface SelfHostedModel {
  model: string;
  concurrency: number;
  /** Constant price per million tokens; 0 by default, since the GPUs are paid for whether used or not. */
  inputPerM: number;
  outputPerM: number;
}

const SelfHostedEntry = z.object({
  model: ModelId,
  concurrency: z.number().int().positive(),
  inputPerM: z.number().finite().nonnegative().max(MAX_PRICE_PER_M).default(0),
  outputPerM: z.number().finite().nonnegative().max(MAX_PRICE_PER_M).default(0),
});

/**
 * SELF_HOSTED_MODELS, in either form:
 *   JSON   {"llama-70b": 8} | {"llama-70b": {"concurrency": 8, "inputPerM": 0.05, "outputPerM": 0.05}}
 *          | [{"model": "llama-70b", "concurrency": 8, "inputPerM": 0.05, "outputPerM": 0.05}]
 *   list   "llama-70b=8,qwen-7b=4@0.02/0.04"   (model=concurrency[@inputPerM[/outputPerM]])
 * Throws an Error naming the bad entry.
 */
export function parseSelfHostedModels(raw: string | undefined): SelfHostedModel[] {
  const text = raw?.trim();
  if (!text) return [];
  let entries: unknown[];
  if (text.startsWith('{') || text.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`not valid JSON (${(e as Error).message})`);
    }
    entries = Array.isArray(json)
      ? json
      : Object.entries(json as Record<string, unknown>).map(([model, v]) =>
          typeof v === 'number' ? { model, concurrency: v } : { model, ...(v as object) },
        );
  } else {
    entries = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((item) => {
        const eq = item.indexOf('=');
        if (eq <= 0) throw new Error(`"${item}" is not model=concurrency`);
        const model = item.slice(0, eq).trim();
        const [conc, price] = item.slice(eq + 1).split('@');
        const [inp, out] = (price ?? '').split('/');
        return {
          model,
          concurrency: Number(conc),
          ...(price !== undefined ? { inputPerM: Number(inp), outputPerM: Number(out ?? inp) } : {}),
        };
      });
  }
  const seen = new Set<string>();
  return entries.map((e, i) => {
    const r = SelfHostedEntry.safeParse(e);
    if (!r.success)
      throw new Error(
        `entry ${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.') || 'entry'}: ${x.message}`).join('; ')}`,
      );
    if (seen.has(r.data.model)) throw new Error(`model ${r.data.model} is listed twice`);
    seen.add(r.data.model);
    return r.data;
  });
}

export const priceWatcherEnvSchema = baseEnvSchema('price-watcher', 3002)
  .extend({
    /** A models file (format of models_k3.json); watched and reloaded on change. */
    PRICES_FILE: unsetIfEmpty(z.string()),
    /** An endpoint in the OpenRouter /api/v1/models format, polled every PRICES_POLL_S seconds. */
    PRICES_URL: unsetIfEmpty(z.string().url()),
    /**
     * Only these model ids are taken from PRICES_URL (comma list). Unset: every listed model,
     * which for the real OpenRouter means hundreds of arms; set it there.
     */
    PRICES_URL_MODELS: unsetIfEmpty(z.string()).transform((s) =>
      s === undefined
        ? undefined
        : s
            .split(',')
            .map((m) => m.trim())
            .filter(Boolean),
    ),
    PRICES_POLL_S: z.coerce.number().positive().default(300),
    /** Quiet time after the last write to PRICES_FILE before it is re-read (editors write in bursts). */
    PRICES_FILE_DEBOUNCE_MS: z.coerce.number().int().min(0).default(250),
    PRICES_FETCH_TIMEOUT_MS: z.coerce.number().int().positive().default(10000),
    /** ADMIN_TOKEN (admin API and operator endpoints; without it the admin API answers 503), ALLOW_NO_AUTH. */
    ...accessEnvShape,
    /** A new price more than this factor above or below the current one needs confirmation. */
    MAX_PRICE_JUMP: z.coerce.number().gt(1).default(10),
    SELF_HOSTED_MODELS: unsetIfEmpty(z.string()).transform(parsedBy(parseSelfHostedModels)),
    /** Tokens of the nominal call the frontier's cost axis is priced at. */
    FRONTIER_TOKENS_PER_CALL: z.coerce.number().int().positive().default(1000),
    /** Consumer group of the policy.updates consumer (one group: price-watcher runs as a single instance). */
    POLICY_GROUP_ID: z.string().min(1).default('price-watcher'),
  })
  .transform((c) => ({ ...c, selfHosted: c.SELF_HOSTED_MODELS as SelfHostedModel[] }));

export type PriceWatcherConfig = z.infer<typeof priceWatcherEnvSchema>;
export const loadPriceWatcherConfig = (env = process.env) => loadConfig('price-watcher', priceWatcherEnvSchema, env);
