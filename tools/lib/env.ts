/** Environment-variable parsing the command-line tools share (the services' own is @llm-router/service's). */
import { z } from 'zod';

/** An empty variable means "not set", as in a shell. */
export const unsetIfEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
