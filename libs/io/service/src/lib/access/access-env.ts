import { z } from 'zod';
import { unsetIfEmpty } from '../unset-if-empty';

/** `true`/`false` (also 1/0, yes/no); anything else is refused rather than read as false. */
export const booleanEnv = z.preprocess(
  (v) => (v === '' || v === undefined ? undefined : String(v).trim().toLowerCase()),
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .optional()
    .transform((v) => v === 'true' || v === '1' || v === 'yes'),
);

/** Variables of the HTTP access control every service shares. */
export const accessEnvShape = {
  /**
   * Bearer token of the admin API and of the operator endpoints (/metrics, /stats, /policy,
   * the dashboard). An empty value means unset, as in a shell.
   */
  ADMIN_TOKEN: unsetIfEmpty(z.string().min(1)),
  /** Development only: operator endpoints (and the router's /v1 API) answer without credentials. */
  ALLOW_NO_AUTH: booleanEnv,
};

export interface AccessConfig {
  ADMIN_TOKEN?: string;
  ALLOW_NO_AUTH: boolean;
}
