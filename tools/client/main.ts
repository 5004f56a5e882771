/**
 * llm-router <command>: the terminal client (npx llm-router --help, or npm run -s client -- --help).
 * Exit codes: 0 done, 1 a service refused or could not be reached, 2 bad usage.
 */
import { CommanderError } from 'commander';
import { UsageError } from '../lib/cli';
import { serviceCommands } from './commands';
import { loadClientConfig } from './config';
import { buildProgram, ClientCommands } from './program';

async function main(): Promise<number> {
  const commands = {} as ClientCommands;
  const program = buildProgram(commands);
  // The environment is checked once a command runs, so that --help works whatever it holds.
  program.hook('preAction', () => void Object.assign(commands, serviceCommands(loadClientConfig())));
  try {
    await program.parseAsync(process.argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UsageError) {
      process.stderr.write(`llm-router: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`llm-router: ${(e as Error).message}\n`);
    return 1;
  }
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    process.stderr.write(`llm-router: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
