import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const DEFAULT_KAFKA_VERSION = '4.1.1';

export function kafkaVersion(env: NodeJS.ProcessEnv = process.env): string {
  return env['KAFKA_VERSION']?.trim() || DEFAULT_KAFKA_VERSION;
}

/** Outside the work tree, so that fresh clones and parallel work trees share one download. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env['LLM_ROUTER_CACHE_DIR']) return resolve(env['LLM_ROUTER_CACHE_DIR']);
  const base = env['XDG_CACHE_HOME'] ? resolve(env['XDG_CACHE_HOME']) : join(homedir(), '.cache');
  return join(base, 'llm-router');
}

export function kafkaLibDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), `kafka-${version}`, 'lib');
}

/**
 * The repository root, found by its committed Kafka pom. Searched from this file (works for the
 * lib run from source, wherever the caller's cwd is) and then from the cwd (works once bundled).
 */
export function repoRoot(): string {
  for (const start of [__dirname, process.cwd()]) {
    let dir = resolve(start);
    for (;;) {
      if (existsSync(join(dir, 'infra', 'kafka', 'pom.xml'))) return dir;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(
    `infra/kafka/pom.xml not found above ${__dirname} or ${process.cwd()}: run from the llm-router repository`,
  );
}

export const kafkaPomPath = () => join(repoRoot(), 'infra', 'kafka', 'pom.xml');
export const kafkaLog4jPath = () => join(repoRoot(), 'infra', 'kafka', 'log4j2.xml');
