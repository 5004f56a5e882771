import { z } from 'zod';
import { ModelId } from './common';

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

/** Topic model.prices, key = model id, compacted. */
export const PriceEvent = z.object({
  model: ModelId,
  inputPerM: PerM,
  outputPerM: PerM,
  effectiveFrom: z.string().datetime({ offset: true }),
  source: z.string().min(1),
  selfHosted: z.boolean().default(false),
  /** Self-hosted: concurrent requests the GPUs hold. */
  concurrency: z.number().int().positive().optional(),
  discountTiers: z.array(DiscountTier).default([]),
  /** Price-cut scenarios: a multiplier applied to the dataset cost of this model. */
  costFactor: z.number().finite().positive().optional(),
});
export type PriceEvent = z.infer<typeof PriceEvent>;
export type DiscountTier = z.infer<typeof DiscountTier>;
