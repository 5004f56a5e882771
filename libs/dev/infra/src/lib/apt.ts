import type { InfraLogger } from './logger';
import { isRoot, run } from './proc';

const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
// Several test processes may need the same package at once; dpkg's lock then queues them
// instead of failing the second one.
const lockWait = ['-o', 'DPkg::Lock::Timeout=600'];

/**
 * apt-get install, with an `apt-get update` only when the package lists are missing or stale
 * (a fresh machine has none): installing first is seconds faster whenever it just works.
 */
export async function aptInstall(packages: string[], logger: InfraLogger, why: string): Promise<void> {
  if (!isRoot()) {
    throw new Error(`${why}; install ${packages.join(' ')} (needs root), or run scripts/bootstrap.sh as root`);
  }
  logger.info(`${why}: apt-get install -y ${packages.join(' ')}`);
  const args = ['install', '-y', '-q', '--no-install-recommends', ...lockWait, ...packages];
  const first = await run('apt-get', args, { env: aptEnv, allowFailure: true });
  if (first.code === 0) return;
  logger.info('apt-get install failed, refreshing package lists: apt-get update');
  await run('apt-get', ['update', '-q', ...lockWait], { env: aptEnv });
  await run('apt-get', args, { env: aptEnv });
}
