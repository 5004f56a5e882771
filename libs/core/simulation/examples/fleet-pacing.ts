// Run: npx tsx libs/core/simulation/examples/fleet-pacing.ts [--routers 2] [--budget 0.0001] [--seeds 20]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createPolicy } from '@llm-router/bandits';
import { ModelsFile, modelsFilePrices, parseDataset } from '@llm-router/contracts';
import { DEFAULT_FEATURE_DIM, QueryFeaturizer } from '@llm-router/features';
import { QueryPacer } from '@llm-router/pacing';
import { type PacerFactory, runReplay } from '../src'; // in your code: '@llm-router/simulation'

/**
 * The per-query replay paced as a fleet of routers paces live: each router has its own
 * QueryPacer with no horizon, paying a debt back over its share of PACER_PAYBACK_QUERIES (50
 * fleet queries), and each query goes to a router at random; the policy learns `--delay`
 * queries late. The second half of a reward file is streamed with a warm start from the first,
 * as docs/replay.md's split does. Per seed: budget ratio, spend per quarter (in budgets) and
 * the highest lambda any router decided with. It found the carry that a debt made weigh three
 * times more (docs/decisions/0062).
 */
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data/paretobandit/val.jsonl' },
    models: { type: 'string', default: '../shared/data/paretobandit/models_k3.json' },
    budget: { type: 'string', default: '0.0001' },
    routers: { type: 'string', default: '2' },
    payback: { type: 'string', default: '50' },
    delay: { type: 'string', default: '113' },
    seeds: { type: 'string', default: '20' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`Usage: npx tsx libs/core/simulation/examples/fleet-pacing.ts [options]

The per-query replay paced as a fleet of routers, each with its own pacer (docs/decisions/0062).

  --data FILE     reward file; its second half is streamed after a warm start on the first (default ${args.data})
  --models FILE   models file with list prices (default ${args.models})
  --budget USD    per-query budget (default ${args.budget})
  --routers K     routers, each with its own pacer; a query goes to one at random (default ${args.routers})
  --payback N     fleet queries a router pays a debt back over (default ${args.payback})
  --delay N       queries between a decision and its feedback (default ${args.delay})
  --seeds N       seeds 1..N, one line each (default ${args.seeds})
  -h, --help      this text`);
  process.exit(0);
}
const budget = Number(args.budget);
const routers = Number(args.routers);
const payback = Number(args.payback);

const lines = readFileSync(args.data, 'utf8').trim().split('\n');
const half = Math.floor(lines.length / 2);
const warm = parseDataset(lines.slice(0, half).join('\n'));
const rows = parseDataset(lines.slice(half).join('\n'));
const prices = modelsFilePrices(ModelsFile.parse(JSON.parse(readFileSync(args.models, 'utf8'))));
const featurizer = new QueryFeaturizer({ dim: DEFAULT_FEATURE_DIM });

function run(seed: number) {
  let state = seed * 7919 + 13;
  const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const quarters = [0, 0, 0, 0];
  let highest = 0;
  const fleet: PacerFactory = ({ budget: b, horizon, initialLambda }) => {
    const pacers = Array.from(
      { length: routers },
      () => new QueryPacer({ budget: b, lambda0: initialLambda, payback: Math.max(10, Math.round(payback / routers)) }),
    );
    let router = 0;
    let t = 0;
    return {
      lambda: () => {
        router = Math.floor(random() * routers);
        highest = Math.max(highest, pacers[router].lambda);
        return pacers[router].lambda;
      },
      record: (cost) => {
        pacers[router].record(cost);
        quarters[Math.min(3, Math.floor((4 * t++) / horizon))] += cost / (b * (horizon / 4));
      },
    };
  };
  const r = runReplay(rows, {
    policy: ({ arms, seed: s }) => createPolicy('auto', { arms, seed: s, d: DEFAULT_FEATURE_DIM }),
    policyName: 'auto',
    lambda: 0,
    budget,
    pacer: fleet,
    seed,
    order: 'shuffled',
    prices,
    featurize: (text) => featurizer.featurize(text),
    warmStart: warm,
    feedbackDelay: Number(args.delay),
  });
  return { seed, meanQuality: r.meanQuality, budgetRatio: r.budgetRatio!, quarters, highest };
}

const runs = Array.from({ length: Number(args.seeds) }, (_, i) => run(i + 1));
console.log('seed  meanQuality  budgetRatio  spend by quarter     highest lambda');
for (const r of runs)
  console.log(
    `${String(r.seed).padEnd(6)}${r.meanQuality.toFixed(4).padEnd(13)}${r.budgetRatio.toFixed(4).padEnd(13)}` +
      `${r.quarters.map((q) => q.toFixed(2)).join(' ')}  ${r.highest.toFixed(0)}`,
  );
const ratios = runs.map((r) => r.budgetRatio);
const quarters = runs.flatMap((r) => r.quarters);
console.log(
  `budgetRatio ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}, quarters ` +
    `${Math.min(...quarters).toFixed(2)}-${Math.max(...quarters).toFixed(2)}, mean quality ` +
    `${(runs.reduce((s, r) => s + r.meanQuality, 0) / runs.length).toFixed(4)}, highest lambda ` +
    `${Math.max(...runs.map((r) => r.highest)).toFixed(0)}`,
);
