import { z } from 'zod';
import { unsetIfEmpty } from '../lib/env';

const optional = unsetIfEmpty(z.string().min(1));

/** Where the services are and how to speak to them; every variable has a local default or is optional. */
export const clientEnvSchema = z.object({
  /** The router's OpenAI-compatible API (ask). */
  ROUTER_URL: z.string().url().default('http://localhost:3001'),
  /** A router API key (ask); not needed when the router runs with ALLOW_NO_AUTH=true. */
  ROUTER_API_KEY: optional,
  /** The reward-aggregator (watch, policy switch). */
  AGGREGATOR_URL: z.string().url().default('http://localhost:3003'),
  /** The price-watcher (price set, model add|remove). */
  PRICE_WATCHER_URL: z.string().url().default('http://localhost:3002'),
  /** The admin token of the price-watcher's admin API and of the aggregator's operator endpoints. */
  ADMIN_TOKEN: optional,
});

export type ClientConfig = z.infer<typeof clientEnvSchema>;

/** The configuration, or an error naming every bad variable. */
export function loadClientConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const r = clientEnvSchema.safeParse(env);
  if (r.success) return r.data;
  throw new Error('invalid environment: ' + r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
}
