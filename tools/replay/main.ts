/**
 * npm run -s replay -- --data FILE [options]
 *
 * Offline replay of a reward dataset through a routing policy (the contract is
 * ../shared/EVAL.md; usage and the development protocol are in docs/replay.md).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { DatasetRow, ModelsFile, modelsFilePrices, parseDataset } from '@llm-router/contracts';
import { createPolicy, policyNames, registerPolicy } from '@llm-router/bandits';
import { DEFAULT_FEATURE_DIM, QueryFeaturizer } from '@llm-router/features';
import { PreferenceRouter } from '@llm-router/preference';
import { ModelPrice } from '@llm-router/pricing';
import {
  BatchReplayResult,
  AUTO_EXPLORE,
  CORRECTED_EXPLORE,
  DEFAULT_EXPLORE,
  DEFAULT_ROBUST_LEVEL,
  PolicyFactory,
  ROW_ORDERS,
  ReplayOptions,
  ReplayResult,
  RowOrder,
  ScenarioName,
  SourceFigures,
  budgetPacing,
  parseExploreSetting,
  type ExploreSetting,
  RECENT_CORRECTION_SETTINGS,
  type RecentCorrectionSetting,
  PLAN_ON_TRUTH_SETTINGS,
  type PlanOnTruthSetting,
  planOnTruthOf,
  recentCorrectionOn,
  runBatchComparison,
  runReplay,
} from '@llm-router/simulation';
import { replaySvg } from './plot';
import { cliArg, NONE, noneAsNull, num, numOrNone, readText, UsageError } from '../lib/cli';
import { signed, textTable } from '../lib/text-table';

const SCENARIOS: ScenarioName[] = ['stationary', 'price-cut', 'new-arm'];

interface Cli {
  data: string;
  policy: string;
  lambda: number;
  budget: number | typeof NONE;
  seed: number;
  scenario: ScenarioName;
  arm?: string;
  at?: number;
  factor?: number;
  mode: 'query' | 'batch';
  batchSize: number;
  order: RowOrder;
  robust?: boolean;
  level?: number;
  explore: ExploreSetting;
  recentCorrection: RecentCorrectionSetting;
  kindCosts: 'on' | 'off';
  planOnTruth?: PlanOnTruthSetting;
  truthSources?: string;
  warmStart?: string;
  feedbackDelay: number;
  json?: boolean;
  plot?: string;
  models?: string;
}

function program(): Command {
  return new Command('replay')
    .description('Replay a reward dataset (JSONL) through a routing policy with bandit feedback.')
    .requiredOption('--data <file>', 'reward dataset, one JSON object per line (required)')
    .option(
      '--policy <name>',
      'auto, epsilon-greedy, ucb1, thompson, linucb, lints, preference, random or fixed:<arm>',
      'auto',
    )
    .option(
      '--lambda <x>',
      'cost weight in R = quality - lambda * cost (with --budget: the starting lambda)',
      num('--lambda', { min: 0 }),
      0,
    )
    .option(
      '--budget <usd>',
      "target mean cost per query in USD, or 'none' (unbinding)",
      numOrNone('--budget', { positive: true }),
      NONE,
    )
    .option('--seed <n>', 'shuffle and policy seed', num('--seed', { integer: true, min: 0 }), 1)
    .addOption(new Option('--scenario <name>', 'scenario').choices(SCENARIOS).default('stationary'))
    .option('--arm <id>', 'scenario arm (price-cut: the arm whose price changes; new-arm: the arm that arrives)')
    .option(
      '--at <t>',
      'scenario step T (0-based: T decisions happen before the event)',
      num('--at', { integer: true, min: 0 }),
    )
    .option(
      '--factor <f>',
      'cost multiplier of the scenario arm from step T (new-arm: default 1)',
      num('--factor', { min: 0 }),
    )
    .addOption(
      new Option('--mode <mode>', 'per-query routing or batch routing in windows')
        .choices(['query', 'batch'])
        .default('query'),
    )
    .option('--batch-size <n>', 'batch window size', num('--batch-size', { integer: true, positive: true }), 100)
    .addOption(
      new Option('--order <order>', 'row order (by-source, by-difficulty: adversarial orders, see docs/replay.md)')
        .choices([...ROW_ORDERS])
        .default('shuffled'),
    )
    .option('--robust', 'batch mode: optimise the lower confidence bound instead of the mean')
    .option(
      '--level <p>',
      'batch mode, --robust: two-sided confidence level of the lower bound',
      num('--level', { open01: true }),
      DEFAULT_ROBUST_LEVEL,
    )
    .option(
      '--explore <n|auto|unknown>',
      `batch mode: queries at the head of each window planned first, optimistically, as their own sub-round (0 = off, as the batch-planner's BATCH_EXPLORE; auto: ${AUTO_EXPLORE}, ${CORRECTED_EXPLORE} with --warm-start; unknown: auto's size while the window offers a model the policy knows nothing of, else none)`,
      cliArg(parseExploreSetting),
      DEFAULT_EXPLORE,
    )
    .addOption(
      new Option(
        '--recent-correction <setting>',
        "batch mode: correct each window's estimates by the recent residuals of the calls on the same kind of prompt (auto: with --warm-start; as the batch-planner's BATCH_RECENT_CORRECTION)",
      )
        .choices([...RECENT_CORRECTION_SETTINGS])
        .default('auto'),
    )
    .addOption(
      new Option(
        '--kind-costs <setting>',
        "batch mode: price each window per kind of prompt from the bills and probe each new kind before the rest of its window (as the batch-planner's BATCH_KIND_COSTS; docs/decisions/0050)",
      )
        .choices(['on', 'off'])
        .default('on'),
    )
    .addOption(
      new Option(
        '--plan-on-truth <what>',
        "batch mode, a diagnostic: plan each round on the replayed rows' true mean quality, cost or both per source and model instead of the policy's estimates (what better estimates could buy; docs/decisions/0042)",
      ).choices([...PLAN_ON_TRUTH_SETTINGS]),
    )
    .option(
      '--truth-sources <list>',
      'with --plan-on-truth: only the rows of these sources (comma-separated; default every source)',
    )
    .option(
      '--feedback-delay <n>',
      'per-query mode: the policy learns each outcome n decisions after it was made, as a live router does',
      num('--feedback-delay', { integer: true, min: 0 }),
      0,
    )
    .option('--warm-start <file>', 'offline priors from another reward file (never the replayed one)')
    .option('--models <file>', 'list prices (default: models_k3.json / models_k4.json next to --data when present)')
    .option('--plot <file.svg>', 'write an SVG of cumulative net reward, arm shares and lambda over time')
    .option('--json', 'print one JSON object as the last line of stdout')
    .showHelpAfterError('(run with --help for usage)');
}

function readRows(file: string, what: string): DatasetRow[] {
  const text = readText(file, what);
  let rows: DatasetRow[];
  try {
    rows = parseDataset(text);
  } catch (e) {
    throw new UsageError(`${what} ${file}: ${(e as Error).message}`);
  }
  if (rows.length === 0) throw new UsageError(`${what} ${file} has no rows`);
  return rows;
}

function pricesFrom(file: string): ModelPrice[] {
  let json: unknown;
  try {
    json = JSON.parse(readText(file, 'models file'));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`models file ${file}: not JSON (${(e as Error).message})`);
  }
  const parsed = ModelsFile.safeParse(json);
  if (!parsed.success)
    throw new UsageError(
      `models file ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return modelsFilePrices(parsed.data);
}

/** The explicit --models file, else the smallest models_k*.json next to the data that prices every arm. */
function resolvePrices(cli: Cli, arms: string[]): { prices: ModelPrice[]; file: string | null } {
  if (cli.models) {
    const prices = pricesFrom(cli.models);
    const missing = arms.filter((a) => !prices.some((p) => p.model === a));
    if (missing.length > 0) throw new UsageError(`models file ${cli.models} has no price for: ${missing.join(', ')}`);
    return { prices, file: cli.models };
  }
  for (const name of ['models_k3.json', 'models_k4.json']) {
    const file = join(dirname(cli.data), name);
    if (!existsSync(file)) continue;
    const prices = pricesFrom(file);
    if (arms.every((a) => prices.some((p) => p.model === a))) return { prices, file };
  }
  // Without list prices the cost model still works: unit prices make its expected cost the
  // running mean of observed costs.
  return { prices: [], file: null };
}

function ensurePreferenceRegistered(): void {
  if (!policyNames().includes('preference')) {
    registerPolicy(
      'preference',
      (o) => new PreferenceRouter(o),
      (s) => PreferenceRouter.fromState(s),
    );
  }
}

function policyFactory(name: string, featureDim: number): PolicyFactory {
  ensurePreferenceRegistered();
  const base = name.split(':')[0];
  if (!policyNames().includes(base))
    throw new UsageError(`unknown policy '${name}'; known: ${policyNames().join(', ')}, fixed:<arm>`);
  return ({ arms, seed }) => createPolicy(name, { arms, seed, d: featureDim });
}

function validate(cli: Cli, arms: string[]): void {
  if (cli.policy.startsWith('fixed:') && !arms.includes(cli.policy.slice(6))) {
    throw new UsageError(`--policy ${cli.policy}: arm not in the data (arms: ${arms.join(', ')})`);
  }
  if (cli.scenario !== 'stationary') {
    if (!cli.arm) throw new UsageError(`--scenario ${cli.scenario} needs --arm`);
    if (!arms.includes(cli.arm)) throw new UsageError(`--arm ${cli.arm} is not in the data (arms: ${arms.join(', ')})`);
    if (cli.at === undefined) throw new UsageError(`--scenario ${cli.scenario} needs --at`);
    if (cli.scenario === 'price-cut' && cli.factor === undefined)
      throw new UsageError('--scenario price-cut needs --factor');
  } else if (cli.arm !== undefined || cli.at !== undefined || cli.factor !== undefined) {
    throw new UsageError('--arm, --at and --factor need --scenario price-cut or new-arm');
  }
  if (cli.robust && cli.mode !== 'batch') throw new UsageError('--robust needs --mode batch');
  if (cli.feedbackDelay > 0 && cli.mode !== 'query') throw new UsageError('--feedback-delay needs --mode query');
  if (cli.recentCorrection !== 'auto' && cli.mode !== 'batch')
    throw new UsageError('--recent-correction needs --mode batch');
  if (cli.kindCosts !== 'on' && cli.mode !== 'batch') throw new UsageError('--kind-costs needs --mode batch');
  if (cli.level !== DEFAULT_ROBUST_LEVEL && !cli.robust) throw new UsageError('--level needs --robust');
  if (cli.planOnTruth && cli.mode !== 'batch') throw new UsageError('--plan-on-truth needs --mode batch');
  if (cli.planOnTruth && cli.scenario !== 'stationary')
    throw new UsageError('--plan-on-truth needs the stationary scenario (a price event is not in the rows)');
  if (cli.truthSources !== undefined && !cli.planOnTruth) throw new UsageError('--truth-sources needs --plan-on-truth');
}

/** --truth-sources as a list, each checked against the sources of the data. */
function truthSources(cli: Cli, rows: readonly DatasetRow[]): string[] | null {
  if (cli.truthSources === undefined) return null;
  const list = cli.truthSources
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
  if (list.length === 0) throw new UsageError('--truth-sources: no source named');
  const known = new Set(rows.map((r) => r.source).filter((x) => x !== undefined));
  const unknown = list.filter((x) => !known.has(x));
  if (unknown.length > 0)
    throw new UsageError(
      `--truth-sources: not a source of the data: ${unknown.join(', ')} (sources: ${[...known].join(', ')})`,
    );
  return list;
}

function table(r: ReplayResult | BatchReplayResult): string {
  const lines: [string, string][] = [
    ['policy', r.policy],
    ['rows', String(r.n)],
    ['seed', String(r.seed)],
    ['scenario', r.scenario],
    ['order', r.order],
    ['mean quality', r.meanQuality.toFixed(4)],
    ['oracle quality', r.oracleQuality.toFixed(4)],
    ['% of oracle', (100 * r.pctOfOracle).toFixed(2) + '%'],
    ['mean cost (USD)', r.meanCost.toExponential(4)],
    ['mean reward', r.meanReward.toFixed(4)],
    ['budget (USD/query)', r.budget === null ? 'none' : r.budget.toExponential(3)],
    ['budget ratio', r.budgetRatio === null ? '-' : r.budgetRatio.toFixed(4)],
    ['lambda (start/end)', `${fmtNum(r.series.lambda[0] ?? r.lambda)} / ${fmtNum(r.finalLambda)}`],
    ['adapt steps', r.adaptSteps === null ? '-' : String(r.adaptSteps)],
    ['decide p50 / p99 (us)', `${fmtNum(r.decideP50Us)} / ${fmtNum(r.decideP99Us)}`],
  ];
  for (const [a, s] of Object.entries(r.armShares)) lines.push([`share ${a}`, (100 * s).toFixed(1) + '%']);
  if ('batch' in r) {
    lines.push([
      'per-query quality / ratio',
      `${r.perQuery.meanQuality.toFixed(4)} / ${fmtNum(r.perQuery.budgetRatio)}`,
    ]);
    lines.push(['batch quality / ratio', `${r.batch.meanQuality.toFixed(4)} / ${fmtNum(r.batch.budgetRatio)}`]);
    lines.push([
      'worst window per-query / batch',
      `${r.perQuery.worstWindowQuality.toFixed(4)} / ${r.batch.worstWindowQuality.toFixed(4)}`,
    ]);
    lines.push(['gain (%)', r.gainPct.toFixed(2)]);
    const b = r.sourceBound;
    if (b)
      lines.push([
        'source-level bound gain (%)',
        `online ${b.onlineGainPct.toFixed(2)}, best scaled price (x${b.bestScaledPriceFactor}) ${b.bestScaledGainPct.toFixed(2)}, offline ${b.offlineGainPct.toFixed(2)}, offline by window ${b.windowOfflineGainPct.toFixed(2)}`,
      ]);
  }
  const w = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

/**
 * Batch mode, per source in order of first appearance: quality and the budget's share each mode
 * gave the source's rows, the arms it sent them to, and the source's part of the gain.
 */
function sourceTable(sources: readonly SourceFigures[], arms: readonly string[]): string {
  const pct = (x: number | null) => (x === null ? '-' : (100 * x).toFixed(1));
  const mix = (shares: Record<string, number>) => arms.map((a) => Math.round(100 * (shares[a] ?? 0))).join('/');
  const header = [
    'source',
    'first',
    'rows',
    'quality per-query > batch',
    'budget % per-query > batch',
    'arms % per-query > batch',
    'gain (pp)',
  ];
  const body = sources.map((s) => [
    s.source,
    String(s.firstRow),
    String(s.rows),
    `${s.perQuery.meanQuality.toFixed(3)} > ${s.batch.meanQuality.toFixed(3)}`,
    `${pct(s.perQuery.budgetShare)} > ${pct(s.batch.budgetShare)}`,
    `${mix(s.perQuery.shares)} > ${mix(s.batch.shares)}`,
    signed(s.gainPct),
  ]);
  return `arms %: ${arms.join(' / ')}\n${textTable(header, body)}`;
}

function fmtNum(x: number | null): string {
  if (x === null) return '-';
  if (x === 0) return '0';
  return Math.abs(x) >= 1e4 || Math.abs(x) < 1e-2 ? x.toExponential(3) : Number(x.toPrecision(5)).toString();
}

/** The JSON record of EVAL.md (no per-step arrays: those go to --plot). */
function jsonRecord(r: ReplayResult | BatchReplayResult, extra: Record<string, unknown>): Record<string, unknown> {
  const { picks: _picks, series: _series, ...rest } = r as ReplayResult & { picks?: unknown; series?: unknown };
  return { ...rest, ...extra };
}

async function main(argv: string[]): Promise<number> {
  const cmd = program().exitOverride();
  try {
    cmd.parse(argv);
  } catch (e) {
    if (e instanceof CommanderError)
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    throw e;
  }
  const cli = cmd.opts<Cli>();
  const rows = readRows(cli.data, 'data file');
  const arms = [...new Set(rows.flatMap((r) => Object.keys(r.arms)))];
  validate(cli, arms);
  const truthNamed = truthSources(cli, rows);
  const warm = cli.warmStart ? readRows(cli.warmStart, 'warm-start file') : undefined;
  if (cli.warmStart && readText(cli.warmStart, 'warm-start file') === readText(cli.data, 'data file')) {
    throw new UsageError(
      '--warm-start must be another file than --data (priors from the replayed rows would leak the answers)',
    );
  }
  const { prices, file: modelsFile } = resolvePrices(cli, arms);
  const featurizer = new QueryFeaturizer({ dim: DEFAULT_FEATURE_DIM });
  const options: ReplayOptions = {
    policy: policyFactory(cli.policy, DEFAULT_FEATURE_DIM),
    policyName: cli.policy,
    lambda: cli.lambda,
    budget: noneAsNull(cli.budget),
    pacer: budgetPacing(),
    seed: cli.seed,
    scenario: { name: cli.scenario, arm: cli.arm, at: cli.at, factor: cli.factor },
    order: cli.order,
    prices,
    featurize: (t) => featurizer.featurize(t),
    warmStart: warm,
    clock: () => process.hrtime.bigint(),
    feedbackDelay: cli.feedbackDelay,
  };

  const bar = process.stderr.isTTY
    ? new SingleBar(
        {
          stream: process.stderr,
          format: 'replay [{bar}] {percentage}% | {value}/{total} | eta {eta}s',
          hideCursor: true,
        },
        Presets.shades_classic,
      )
    : null;
  let started = false;
  options.onProgress = (done, total) => {
    if (!bar) return;
    if (!started) {
      bar.start(total, 0);
      started = true;
    }
    if (done % 20 === 0 || done === total) bar.update(done);
  };
  let result: ReplayResult | BatchReplayResult;
  try {
    if (cli.mode === 'batch') {
      // Two passes over the rows (per-query, then batch): one bar over both.
      let steps = 0;
      const inner = options.onProgress;
      result = await runBatchComparison(rows, {
        ...options,
        batchSize: cli.batchSize,
        robust: !!cli.robust,
        level: cli.level,
        explore: cli.explore,
        recentCorrection: cli.recentCorrection,
        kindCosts: cli.kindCosts === 'on',
        planOnTruth: cli.planOnTruth ? planOnTruthOf(cli.planOnTruth, truthNamed) : undefined,
        onProgress: (_done, n) => inner?.(++steps, 2 * n),
      });
    } else {
      result = runReplay(rows, options);
    }
  } finally {
    bar?.stop();
  }

  if (cli.plot) writeFileSync(cli.plot, replaySvg(result, cli.scenario !== 'stationary' ? cli.at : undefined));
  const extra = {
    mode: cli.mode,
    data: cli.data,
    warmStart: cli.warmStart ?? null,
    models: modelsFile,
    ...(cli.feedbackDelay > 0 ? { feedbackDelay: cli.feedbackDelay } : {}),
    ...(cli.scenario !== 'stationary' ? { arm: cli.arm, at: cli.at, factor: cli.factor ?? 1 } : {}),
    ...(cli.mode === 'batch'
      ? {
          batchSize: cli.batchSize,
          robust: !!cli.robust,
          ...(cli.robust ? { level: cli.level } : {}),
          explore: cli.explore,
          recentCorrection: recentCorrectionOn({ ...options, recentCorrection: cli.recentCorrection }),
          kindCosts: cli.kindCosts === 'on',
          ...(cli.planOnTruth ? { planOnTruth: { what: cli.planOnTruth, sources: truthNamed ?? 'all' } } : {}),
        }
      : {}),
  };
  if (cli.json) process.stdout.write(JSON.stringify(jsonRecord(result, extra)) + '\n');
  else {
    const sources = 'bySource' in result && result.bySource ? `\n\n${sourceTable(result.bySource, result.arms)}` : '';
    const truth = cli.planOnTruth
      ? `\nplanned on the rows' true ${cli.planOnTruth === 'both' ? 'quality and cost' : cli.planOnTruth} of ${truthNamed?.join(', ') ?? 'every source'} (a diagnostic)`
      : '';
    process.stdout.write(table(result) + truth + sources + (cli.plot ? `\nplot written to ${cli.plot}` : '') + '\n');
  }
  return 0;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const usage =
      e instanceof UsageError || (e instanceof Error && /^(scenario|lambda|budget|batch mode)/.test(e.message));
    process.stderr.write(`replay: ${(e as Error).message ?? String(e)}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
