import { z } from 'zod';

/** Value of `<topic>.dlq`: the original bytes (base64) with the reason they were refused. */
export const DeadLetter = z.object({
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  key: z.string().nullable(),
  /** Empty when the bytes were left out (`valueOmitted`). */
  valueBase64: z.string(),
  /**
   * Why the bytes are not here, and where they are: a record that unzips larger than the
   * dead-letter topic takes stays on its source topic, at `offset` of `partition`, until its
   * retention ends. Absent on a letter that holds its bytes.
   */
  valueOmitted: z.string().optional(),
  /** Size of the original value in bytes, on a letter that left it out. */
  valueBytes: z.number().int().nonnegative().optional(),
  error: z.string(),
  consumer: z.string(),
  ts: z.string().datetime({ offset: true }),
});
export type DeadLetter = z.infer<typeof DeadLetter>;
