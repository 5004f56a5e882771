import { z } from 'zod';

/** Value of `<topic>.dlq`: the original bytes (base64) with the reason they were refused. */
export const DeadLetter = z.object({
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  key: z.string().nullable(),
  valueBase64: z.string(),
  error: z.string(),
  consumer: z.string(),
  ts: z.string().datetime({ offset: true }),
});
export type DeadLetter = z.infer<typeof DeadLetter>;
