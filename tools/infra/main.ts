/**
 * Kafka + PostgreSQL for development, tests and the demo (libs/dev/infra picks env, Docker or local).
 *   npm run -s infra -- up                      start, print export lines, stop on Ctrl-C
 *   npm run -s infra -- run -- <cmd> [args...]  start, run cmd with KAFKA_BROKERS/DATABASE_URL, stop
 *   npm run -s infra -- status                  which mode would be used, and what is cached
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  dockerAvailable,
  ensureTopics,
  findPostgresBinDir,
  partitionsCapFromEnv,
  INFRA_MODES,
  kafkaJarsCached,
  kafkaLibDir,
  kafkaVersion,
  selectMode,
  startInfrastructure,
  type Infrastructure,
  type InfraMode,
  type StartInfrastructureOptions,
} from '@llm-router/infra';
import { allTopics } from '@llm-router/contracts';

interface StartFlags {
  mode?: InfraMode;
  partitionsCap?: number;
  keep?: boolean;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function withStartFlags(command: Command): Command {
  return command
    .addOption(new Option('--mode <mode>', 'skip the search and use this mode (env INFRA_MODE)').choices(INFRA_MODES))
    .option('--partitions-cap <n>', 'at most n partitions per topic (env KAFKA_PARTITIONS_CAP)', positiveInt)
    .option('--keep', 'keep local data and logs after stopping (env INFRA_KEEP=1)');
}

const startOptions = (flags: StartFlags): StartInfrastructureOptions => ({
  mode: flags.mode,
  partitionsCap: flags.partitionsCap,
  keep: flags.keep,
});

async function stopQuietly(infra: Infrastructure): Promise<void> {
  try {
    await infra.stop();
  } catch (err) {
    process.stderr.write(`[infra] stopping failed: ${(err as Error).message}\n`);
  }
}

const program = new Command('infra')
  .description('Kafka and PostgreSQL for tests and the demo: env vars, Docker or local processes')
  .enablePositionalOptions()
  .showHelpAfterError();

withStartFlags(
  program
    .command('up')
    .description('start, print the KAFKA_BROKERS / DATABASE_URL export lines, keep running until Ctrl-C'),
).action(async (flags: StartFlags) => {
  const infra = await startInfrastructure(startOptions(flags));
  process.stdout.write(
    `export KAFKA_BROKERS=${infra.kafkaBrokers.join(',')}\nexport DATABASE_URL=${infra.databaseUrl}\n`,
  );
  process.stderr.write('[infra] up; Ctrl-C to stop\n');
  // Neither signal listeners nor the (unref'd) servers keep Node alive; this does, until a signal.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of SIGNALS) process.once(s, () => resolve(s));
  });
  process.stderr.write(`[infra] ${signal}: stopping\n`);
  await stopQuietly(infra);
  clearInterval(keepAlive);
  process.exit(0);
});

withStartFlags(
  program
    .command('run')
    .description('start, run <command> with KAFKA_BROKERS and DATABASE_URL set, stop; exits with its code')
    .argument('<command>', 'command to run (put -- before it)')
    .argument('[args...]', 'its arguments')
    .passThroughOptions(),
).action(async (command: string, args: string[], flags: StartFlags) => {
  let interrupted: NodeJS.Signals | undefined;
  const early = (s: NodeJS.Signals) => (interrupted = s);
  for (const s of SIGNALS) process.on(s, early);
  const infra = await startInfrastructure(startOptions(flags));
  for (const s of SIGNALS) process.off(s, early);
  if (interrupted) {
    await stopQuietly(infra);
    process.exit(128 + (constants.signals[interrupted] ?? 1));
  }

  const child = spawn(command, args, {
    stdio: 'inherit',
    env: {
      ...process.env,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      DATABASE_URL: infra.databaseUrl,
    },
  });
  // The child decides how to shut down; the infrastructure goes only after it has exited.
  const forward = (s: NodeJS.Signals) => child.kill(s);
  for (const s of SIGNALS) process.on(s, forward);
  const code = await new Promise<number>((resolve) => {
    child.once('error', (err) => {
      process.stderr.write(`[infra] cannot run ${command}: ${err.message}\n`);
      resolve(127);
    });
    child.once('exit', (exitCode, signal) =>
      resolve(exitCode ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1)),
    );
  });
  await stopQuietly(infra);
  for (const s of SIGNALS) process.off(s, forward);
  process.exit(code);
});

program
  .command('status')
  .description('print which mode `up`/`run` would use and what the local mode has cached')
  .action(async () => {
    const choice = await selectMode(process.env, () => dockerAvailable());
    console.log(`mode: ${choice.mode} (${choice.reason})`);
    if (choice.mode === 'local') {
      const version = kafkaVersion();
      const lib = kafkaJarsCached(version) ? kafkaLibDir(version) : undefined;
      console.log(`kafka ${version} jars: ${lib ?? 'not cached (Maven downloads them on first start)'}`);
      const pgBin = findPostgresBinDir();
      console.log(
        `postgres: ${pgBin === undefined ? 'not installed (apt-get installs it on first start)' : pgBin || 'initdb on PATH'}`,
      );
    }
  });

program
  .command('topics')
  .description(
    'create every topic of libs/core/contracts on the broker in KAFKA_BROKERS (idempotent; for docker compose)',
  )
  .action(async () => {
    const brokers = process.env['KAFKA_BROKERS'];
    if (!brokers) throw new Error('KAFKA_BROKERS is required');
    const r = await ensureTopics(brokers.split(','), allTopics(), { partitionsCap: partitionsCapFromEnv() });
    console.log(`topics: ${r.created.length} created, ${r.existing.length} already there`);
  });

program.parseAsync().catch((err: Error) => {
  process.stderr.write(`[infra] ${err.message}\n`);
  process.exit(1);
});
