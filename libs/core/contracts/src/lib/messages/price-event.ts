import { z } from 'zod';
import { ModelId, PositivePgInteger } from './common';

/** A price per million tokens: finite, non-negative and below any price ever charged. */
export const MAX_PRICE_PER_M = 1000;
const PerM = z
  .number()
  .finite()
  .nonnegative()
  .max(MAX_PRICE_PER_M, `price per million tokens above ${MAX_PRICE_PER_M} USD is absurd`);

export const DiscountTier = z.object({
  /** From this many calls in a window on, the unit price is multiplied by `factor`. */
  fromCalls: z.number().int().nonnegative(),
  factor: z.number().gt(0).max(1),
});

/** How a model is called: shared by PriceEvent and ModelEvent (the router builds its client from it). */
export const ProviderFields = {
  /** Base URL of the model's API (its /v1/chat/completions or /v1/messages lives under it). */
  endpoint: z.string().url().optional(),
  /** Wire protocol: OpenAI Chat Completions, or Anthropic Messages. */
  protocol: z.enum(['openai', 'anthropic']).optional(),
  /** Name of the environment variable (of the router) that holds the API key; never the key itself. */
  keyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
    .optional(),
  /** One call (a whole stream included) is abandoned after this. */
  timeoutMs: z.number().int().positive().optional(),
};

/** Topic model.prices, key = model id, compacted. */
export const PriceEvent = z.object({
  model: ModelId,
  inputPerM: PerM,
  outputPerM: PerM,
  effectiveFrom: z.string().datetime({ offset: true }),
  source: z.string().min(1),
  selfHosted: z.boolean().default(false),
  /** Self-hosted: concurrent requests the GPUs hold. */
  concurrency: PositivePgInteger.optional(),
  /** Self-hosted: the constant cost of one call in USD (GPU time), whatever its tokens. */
  perCallUsd: z.number().finite().positive().optional(),
  /** Calls beyond `concurrency` wait in a queue of at most this many, for at most queueTimeoutMs, then go to the next arm. */
  queueLimit: z.number().int().nonnegative().optional(),
  queueTimeoutMs: z.number().int().nonnegative().optional(),
  ...ProviderFields,
  discountTiers: z.array(DiscountTier).default([]),
  /** Price-cut scenarios: a multiplier applied to the dataset cost of this model. */
  costFactor: z.number().finite().positive().optional(),
});
export type PriceEvent = z.infer<typeof PriceEvent>;
export type DiscountTier = z.infer<typeof DiscountTier>;
