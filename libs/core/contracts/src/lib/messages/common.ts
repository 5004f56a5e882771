import { z } from 'zod';

export const ModelId = z.string().min(1).max(200);
export const Scope = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._:-]+$/, 'scope may hold letters, digits and . _ : -');
export const Usd = z.number().finite().nonnegative();
export const Quality = z.number().finite().min(0).max(1);
export const IsoTime = z.string().datetime({ offset: true });
export const DEFAULT_SCOPE = 'default';
