import { z } from 'zod';

/** An empty variable (`BUDGET_USD=` in an env file) means "not set", as in a shell. */
export const unsetIfEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
