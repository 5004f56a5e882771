import { z } from 'zod';

/**
 * Characters an identifier or a model id may hold. Every id the system issues is far shorter (a
 * decision id is 20, a request id made by the router 41, a batch id about 130 with the longest
 * scope), and ids are indexed: PostgreSQL refuses a btree entry above 2,704 bytes after
 * compression, so an id of 3,000 random letters failed its INSERT and reached the dead-letter
 * topic only after the consumer's retries, with the database's message for a reason.
 */
export const MAX_ID_CHARS = 200;

/**
 * An identifier (request, decision, feedback, batch). NUL is refused here because PostgreSQL
 * text cannot hold it: such a message would otherwise fail in the database, not at the door.
 */
export const Id = z
  .string()
  .min(1)
  .max(MAX_ID_CHARS, `must be at most ${MAX_ID_CHARS} characters`)
  .refine((s) => !s.includes('\u0000'), 'must not contain a NUL character');
/** A model id: stored in PostgreSQL text columns too, so NUL is refused as for Id. */
export const ModelId = z
  .string()
  .min(1)
  .max(MAX_ID_CHARS, `must be at most ${MAX_ID_CHARS} characters`)
  .refine((s) => !s.includes('\u0000'), 'must not contain a NUL character');
export const Scope = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._:-]+$/, 'scope may hold letters, digits and . _ : -');
export const Usd = z.number().finite().nonnegative();
export const Quality = z.number().finite().min(0).max(1);
export const IsoTime = z.string().datetime({ offset: true });
export const DEFAULT_SCOPE = 'default';

/** The largest value a PostgreSQL integer column holds: a count stored in one is bounded by it. */
export const MAX_PG_INTEGER = 2_147_483_647;
/** A positive count stored in a PostgreSQL integer column (a concurrency limit, a per-minute limit). */
export const PositivePgInteger = z.number().int().positive().max(MAX_PG_INTEGER, `must be at most ${MAX_PG_INTEGER}`);
