export type InfraMode = 'env' | 'docker' | 'local';

export const INFRA_MODES: readonly InfraMode[] = ['env', 'docker', 'local'];

export interface EnvInfra {
  kafkaBrokers: string[];
  databaseUrl: string;
}

/** KAFKA_BROKERS (comma-separated host:port) and DATABASE_URL, when both are set. */
export function infraFromEnv(env: NodeJS.ProcessEnv = process.env): EnvInfra | undefined {
  const brokers = (env['KAFKA_BROKERS'] ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const databaseUrl = env['DATABASE_URL']?.trim();
  if (brokers.length === 0 || !databaseUrl) return undefined;
  return { kafkaBrokers: brokers, databaseUrl };
}

export interface ModeChoice {
  mode: InfraMode;
  /** One line for humans: why this mode and not an earlier one. */
  reason: string;
}

/**
 * The first that works: both env vars set, then a Docker engine, then local processes.
 * INFRA_MODE=env|docker|local skips the search (e.g. to test the local path on a Docker host).
 */
export async function selectMode(
  env: NodeJS.ProcessEnv,
  dockerAvailable: () => Promise<boolean>,
  forced?: InfraMode,
): Promise<ModeChoice> {
  const requested = forced ?? (env['INFRA_MODE']?.trim() || undefined);
  if (requested !== undefined) {
    if (!INFRA_MODES.includes(requested as InfraMode)) {
      throw new Error(`INFRA_MODE must be one of ${INFRA_MODES.join(', ')}, got "${requested}"`);
    }
    if (requested === 'env' && !infraFromEnv(env)) {
      throw new Error('mode env needs both KAFKA_BROKERS and DATABASE_URL');
    }
    return {
      mode: requested as InfraMode,
      reason: forced ? 'requested by the caller' : 'INFRA_MODE',
    };
  }
  if (infraFromEnv(env)) return { mode: 'env', reason: 'KAFKA_BROKERS and DATABASE_URL are set' };
  const partial = env['KAFKA_BROKERS']
    ? 'only KAFKA_BROKERS is set'
    : env['DATABASE_URL']
      ? 'only DATABASE_URL is set'
      : '';
  if (await dockerAvailable()) {
    return {
      mode: 'docker',
      reason: `a Docker engine answers${partial ? ` (${partial}, so not env)` : ''}`,
    };
  }
  return {
    mode: 'local',
    reason: `no Docker engine${partial ? `; ${partial}, so not env` : ', no KAFKA_BROKERS/DATABASE_URL'}`,
  };
}
