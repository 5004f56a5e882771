import { Command, Option } from 'commander';
import { num } from '../lib/cli';

export interface AskOptions {
  scope?: string;
  model?: string;
  stream: boolean;
}

export interface PriceOptions {
  input: number;
  output: number;
  confirm: boolean;
}

/** What each command does once its arguments are parsed (the real ones call the services). */
export interface ClientCommands {
  ask(prompt: string, o: AskOptions): Promise<void>;
  watch(o: { scope?: string }): Promise<void>;
  priceSet(model: string, o: PriceOptions): Promise<void>;
  modelAdd(model: string, o: PriceOptions & { endpoint?: string }): Promise<void>;
  modelRemove(model: string): Promise<void>;
  policySwitch(scope: string, algorithm: string): Promise<void>;
}

const ENVIRONMENT = `
Environment:
  ROUTER_URL          router base URL (default http://localhost:3001)
  ROUTER_API_KEY      router API key (not needed when the router has ALLOW_NO_AUTH=true)
  AGGREGATOR_URL      reward-aggregator base URL (default http://localhost:3003)
  PRICE_WATCHER_URL   price-watcher base URL (default http://localhost:3002)
  ADMIN_TOKEN         admin token of the price-watcher and the aggregator`;

const usdPerM = (name: string) => num(`${name} (USD per million tokens)`, { min: 0 });

/** Options a price needs wherever one is given (price set, model add). */
function priceOptions(c: Command): Command {
  return c
    .requiredOption('--input <usd>', 'input price, USD per million tokens', usdPerM('--input'))
    .requiredOption('--output <usd>', 'output price, USD per million tokens', usdPerM('--output'))
    .option('--confirm', 'accept a price jump larger than the price-watcher allows unconfirmed', false);
}

/** The command tree; `llm-router <command> --help` documents each one. */
export function buildProgram(commands: ClientCommands): Command {
  const program = new Command('llm-router')
    .description(
      'Terminal client of llm-router: ask, watch rewards, set prices, add or remove models, switch policies.',
    )
    .addHelpText('after', ENVIRONMENT)
    // Set before the subcommands are made, so that they inherit both.
    .exitOverride()
    .showHelpAfterError();

  program
    .command('ask')
    .description('Send one prompt through the router (POST /v1/chat/completions) and print the answer')
    .argument('<prompt>', 'the user message')
    .addOption(new Option('--scope <scope>', 'route within this scope (model auto:<scope>)').conflicts('model'))
    .option('--model <model>', 'skip routing: ask this model')
    .option('--stream', 'print the answer as it is generated', false)
    .action((prompt: string, o: AskOptions) => commands.ask(prompt, o));

  program
    .command('watch')
    .description("Follow the aggregator's reward stream (/streams/rewards): one line per reward applied")
    .option('--scope <scope>', 'only this scope')
    .action((o: { scope?: string }) => commands.watch(o));

  const price = program.command('price').description("Prices in the price-watcher's book (admin API)");
  priceOptions(
    price
      .command('set')
      .description('Set the price of a known model (POST /admin/prices)')
      .argument('<model>', 'model id, e.g. meta-llama/llama-3.1-8b-instruct'),
  ).action((model: string, o: PriceOptions) => commands.priceSet(model, o));

  const model = program.command('model').description('Models the routers may pick (price-watcher admin API)');
  priceOptions(
    model
      .command('add')
      .description('Add a model, or bring a removed one back, at the given price (POST /admin/models)')
      .argument('<model>', 'model id'),
  )
    .option('--endpoint <url>', 'OpenAI-compatible endpoint serving it')
    .action((m: string, o: PriceOptions & { endpoint?: string }) => commands.modelAdd(m, o));
  model
    .command('remove')
    .description('Remove a model: no router picks it any more (DELETE /admin/models/:model)')
    .argument('<model>', 'model id')
    .action((m: string) => commands.modelRemove(m));

  const policy = program.command('policy').description("Scopes' policies on the reward-aggregator");
  policy
    .command('switch')
    .description('Switch the algorithm of a scope (POST /admin/scopes/:scope/policy on the aggregator)')
    .argument('<scope>', 'the scope, e.g. default')
    .argument('<algorithm>', 'the policy algorithm, e.g. thompson, linucb')
    .action((scope: string, algorithm: string) => commands.policySwitch(scope, algorithm));

  return program;
}
