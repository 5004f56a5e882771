/**
 * Kafka + PostgreSQL for development, tests and the demo (libs/dev/infra picks env, Docker or local).
 *   npm run -s infra -- up                      start, print export lines, stop on Ctrl-C
 *   npm run -s infra -- run -- <cmd> [args...]  start, run cmd with KAFKA_BROKERS/DATABASE_URL, stop
 *   npm run -s infra -- status                  which mode would be used, and what is cached
 *   npm run -s infra -- up --security sasl      SCRAM + ACLs, one principal per service (docs/decisions/0021)
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { SASLOptions } from 'kafkajs';
import {
  applyKafkaAcls,
  dockerAvailable,
  ensureTopics,
  findPostgresBinDir,
  partitionsCapFromEnv,
  retentionDaysFromEnv,
  INFRA_MODES,
  KAFKA_PRINCIPALS,
  KAFKA_SECURITY_MODES,
  kafkaAcls,
  kafkaJarsCached,
  kafkaLibDir,
  kafkaVersion,
  selectMode,
  startInfrastructure,
  type Infrastructure,
  type InfraMode,
  type KafkaSecurity,
  type StartInfrastructureOptions,
} from '@llm-router/infra';
import { allTopics } from '@llm-router/contracts';

interface StartFlags {
  mode?: InfraMode;
  partitionsCap?: number;
  keep?: boolean;
  security?: KafkaSecurity;
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
    .option('--keep', 'keep local data and logs after stopping (env INFRA_KEEP=1)')
    .addOption(
      new Option('--security <mode>', 'Kafka with SASL/SCRAM and ACLs, local mode only (env KAFKA_SECURITY)').choices(
        KAFKA_SECURITY_MODES,
      ),
    );
}

const startOptions = (flags: StartFlags): StartInfrastructureOptions => ({
  mode: flags.mode,
  partitionsCap: flags.partitionsCap,
  keep: flags.keep,
  security: flags.security,
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
  // A throwaway broker's credentials: each service runs with its own (KAFKA_SASL_* of its README).
  const sasl = infra.kafkaSasl;
  if (sasl)
    for (const c of [sasl.admin, ...Object.values(sasl.principals)])
      process.stdout.write(
        `# ${c.username}: KAFKA_SASL_MECHANISM=scram-sha-512 KAFKA_SASL_USERNAME=${c.username} KAFKA_SASL_PASSWORD=${c.password}\n`,
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

/** A super user's KAFKA_SASL_USERNAME/PASSWORD, for a broker with SASL. */
function adminSaslFromEnv(): SASLOptions | undefined {
  const username = process.env['KAFKA_SASL_USERNAME'];
  const password = process.env['KAFKA_SASL_PASSWORD'];
  if (!username && !password) return undefined;
  if (!username || !password) throw new Error('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD go together');
  return { mechanism: 'scram-sha-512', username, password };
}

program
  .command('topics')
  .description(
    'create every topic of libs/core/contracts on the broker in KAFKA_BROKERS (idempotent; for docker compose), ' +
      'and give existing ones the contract configuration (retention from RETENTION_DAYS, compaction), ' +
      'as KAFKA_SASL_USERNAME/PASSWORD when set',
  )
  .option('--acls', 'also create the ACLs of one principal per service (needs a super user in KAFKA_SASL_*)')
  .action(async (flags: { acls?: boolean }) => {
    const brokers = process.env['KAFKA_BROKERS']?.split(',');
    if (!brokers) throw new Error('KAFKA_BROKERS is required');
    const sasl = adminSaslFromEnv();
    const ssl = process.env['KAFKA_SSL'] === 'true';
    const r = await ensureTopics(brokers, allTopics({ retentionDays: retentionDaysFromEnv() }), {
      partitionsCap: partitionsCapFromEnv(),
      sasl,
      ssl,
      alterExisting: true,
    });
    console.log(
      `topics: ${r.created.length} created, ${r.existing.length} already there, ${r.altered.length} reconfigured`,
    );
    if (flags.acls) {
      if (!sasl) throw new Error('--acls needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD of a super user');
      await applyKafkaAcls(brokers, sasl, kafkaAcls(), ssl);
      console.log(`acls: ${kafkaAcls().length} allow rules for ${KAFKA_PRINCIPALS.join(', ')}`);
    }
  });

program.parseAsync().catch((err: Error) => {
  process.stderr.write(`[infra] ${err.message}\n`);
  process.exit(1);
});
