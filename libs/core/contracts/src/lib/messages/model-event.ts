import { z } from 'zod';
import { ModelId, PositivePgInteger } from './common';
import { ProviderFields } from './price-event';

/** Topic model.catalog, key = model id, compacted: hot add and removal of models. */
export const ModelEvent = z.object({
  model: ModelId,
  action: z.enum(['added', 'removed', 'enabled', 'disabled']),
  ...ProviderFields,
  concurrency: PositivePgInteger.optional(),
  selfHosted: z.boolean().default(false),
  ts: z.string().datetime({ offset: true }),
});
export type ModelEvent = z.infer<typeof ModelEvent>;
