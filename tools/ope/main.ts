/**
 * npm run -s ope -- --log decisions.jsonl [options]
 * npm run -s ope -- --data FILE --policy random [options]
 * npm run -s ope -- --from-db --scope S [--candidates ...] [--export FILE] (reads DATABASE_URL)
 *
 * Off-policy evaluation of candidate routing policies on logged decisions, and the promotion
 * gate: a candidate is promoted only when the lower end of its interval beats the live
 * (logging) policy's value.
 */
import { Command, CommanderError, Option } from 'commander';
import { DatasetRow, parseDataset } from '@llm-router/contracts';
import * as bandits from '@llm-router/bandits';
import { DEFAULT_FEATURE_DIM, QueryFeaturizer } from '@llm-router/features';
import {
  ArmId,
  DecisionLogLine,
  EstimateOptions,
  GateDecision,
  LoggedDecision,
  OpeEstimate,
  PolicyEvaluation,
  TargetPolicy,
  crossFittedGreedy,
  denseFeatures,
  evaluatePolicy,
  fixedPolicy,
  onPolicyValue,
  promotionGate,
  toLoggedDecision,
} from '@llm-router/ope';
import { UsageError, num, readText } from '../lib/cli';
import { runFromDb } from './from-db';
import { SWITCH_GATE_DEFAULTS } from '@llm-router/ope';
import { textTable } from '../lib/text-table';

const DEFAULT_CANDIDATES = 'fixed:*,greedy';

interface Cli {
  log?: string;
  fromDb?: boolean;
  scope: string;
  options?: string;
  tolerance: number;
  export?: string;
  data?: string;
  policy: string;
  candidates: string;
  lambda: number;
  seed: number;
  limit?: number;
  level: number;
  clip?: number;
  maxWeight?: number;
  margin: number;
  estimator: 'ips' | 'snips' | 'dr';
  minEss: number;
  json?: boolean;
}

function program(): Command {
  return new Command('ope')
    .description(
      'Off-policy evaluation (IPS, SNIPS, doubly robust) of candidate routing policies on logged decisions, with the promotion gate.\n' +
        'Input is either a decisions log (--log) or a reward dataset replayed through a logging policy (--data with --policy).',
    )
    .option(
      '--log <file>',
      'decisions log: JSONL, one routing.decisions event joined with its reward per line (arm, propensity, reward or quality, features, priceSnapshot)',
    )
    .option('--data <file>', 'reward dataset (JSONL, ParetoBandit format) to build a log from')
    .option(
      '--from-db',
      "the scope's log in PostgreSQL (DATABASE_URL), judged by the aggregator's switch gate (SNIPS and DR lower bounds >= current value - --tolerance); fallbacks and explicit models are left out",
    )
    .option('--scope <scope>', '--from-db: the scope', 'default')
    .option('--options <json>', '--from-db: options per policy name, as POLICY_OPTIONS')
    .option(
      '--tolerance <x>',
      '--from-db: how far below the current value a candidate lower bound may be',
      num('--tolerance', { min: 0 }),
      SWITCH_GATE_DEFAULTS.tolerance,
    )
    .option('--export <file>', '--from-db: also write the log as JSONL (readable with --log)')
    .option(
      '--policy <name>',
      "logging policy for --data: 'random' (uniform) or any explorative policy name createPolicy knows",
      'random',
    )
    .option(
      '--candidates <list>',
      "comma-separated candidates: 'fixed:*' (every arm), fixed:<arm>, 'greedy' (best mean arm, cross-fitted on the log), or a policy name for createPolicy (trained on the log as it is replayed)",
      DEFAULT_CANDIDATES,
    )
    .option('--lambda <x>', '--data: cost weight in reward = quality - lambda * cost', num('--lambda', { min: 0 }), 0)
    .option('--seed <n>', '--data: logging policy seed', num('--seed', { integer: true, min: 0 }), 1)
    .option('--limit <n>', 'use only the first n records', num('--limit', { integer: true, positive: true }))
    .option('--level <p>', 'confidence level of the intervals and of the gate', num('--level', { open01: true }), 0.95)
    .option('--clip <p>', 'propensity clipping: propensities below p are raised to p', num('--clip', { open01: true }))
    .option(
      '--max-weight <w>',
      'weight clipping: importance weights above w are cut to w',
      num('--max-weight', { positive: true }),
    )
    .option('--margin <x>', 'gate: required improvement over the live value', num('--margin', { min: 0 }), 0)
    .addOption(
      new Option('--estimator <name>', 'estimator the gate uses').choices(['ips', 'snips', 'dr']).default('dr'),
    )
    .option('--min-ess <n>', 'gate: refuse below this effective sample size', num('--min-ess', { min: 0 }), 10)
    .option('--json', 'print one JSON object as the last line of stdout')
    .showHelpAfterError('(run with --help for usage)');
}

/** createPolicy lives in the bandits lib; looked up at run time so this tool works without it. */
type PolicyLike = {
  decide(
    ctx: { features?: ArrayLike<number>; text?: string },
    available: readonly string[],
    c: { lambda: number; costs: Record<string, number> },
  ): { arm: string; propensity: number; probabilities: Record<string, number> };
  update(
    ctx: { features?: ArrayLike<number>; text?: string },
    arm: string,
    o: { quality: number; costUsd: number },
  ): void;
};
function createPolicy(name: string, arms: string[], seed: number, d: number): PolicyLike {
  const factory = (bandits as unknown as Record<string, unknown>)['createPolicy'] as
    | undefined
    | ((n: string, o: Record<string, unknown>) => PolicyLike);
  if (name === 'random' || name === 'uniform') {
    return new bandits.RandomPolicy({ arms, seed }) as unknown as PolicyLike;
  }
  if (typeof factory !== 'function')
    throw new UsageError(
      `policy '${name}' needs createPolicy from @llm-router/bandits, which this build does not export`,
    );
  try {
    return factory(name, { arms, seed, d });
  } catch (e) {
    throw new UsageError(`policy '${name}': ${(e as Error).message}`);
  }
}

interface Source {
  kind: 'log' | 'data';
  logs: LoggedDecision[];
  arms: ArmId[];
  /** Feature dimension of the records (dense view for contextual candidates). */
  dim: number;
  /** --data only: exact value of a candidate, since every arm's reward is known. */
  trueValue?: (p: TargetPolicy) => number;
  /** --data only: the logging policy's own choice distribution per record. */
  logging?: TargetPolicy;
  /** Prompt per record (--data only), for policies that featurise text themselves. */
  text?: Map<LoggedDecision, string>;
}

function fromLog(file: string, limit?: number): Source {
  const lines = readText(file, 'decisions log').split('\n');
  const logs: LoggedDecision[] = [];
  const arms = new Set<ArmId>();
  let dim = 0;
  let skipped = 0;
  for (let i = 0; i < lines.length && (limit === undefined || logs.length < limit); i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let json: DecisionLogLine;
    try {
      json = JSON.parse(line) as DecisionLogLine;
    } catch (e) {
      throw new UsageError(`${file} line ${i + 1}: not JSON (${(e as Error).message})`);
    }
    try {
      const rec = toLoggedDecision(json);
      logs.push(rec);
      for (const a of rec.available) arms.add(a);
      const f = rec.features;
      if (f)
        dim = Math.max(
          dim,
          Array.isArray(f) || f instanceof Float64Array
            ? (f as ArrayLike<number>).length
            : Math.max(
                0,
                ...Object.keys(f)
                  .map((k) => Number(k) + 1)
                  .filter(Number.isFinite),
              ),
        );
    } catch (e) {
      // Decisions whose feedback never arrived have no reward: they are not evidence.
      skipped++;
      if (skipped <= 3) process.stderr.write(`[ope] ${file} line ${i + 1} skipped: ${(e as Error).message}\n`);
    }
  }
  if (skipped > 3) process.stderr.write(`[ope] ${skipped} lines skipped in all\n`);
  if (logs.length === 0) throw new UsageError(`${file}: no usable records`);
  return { kind: 'log', logs, arms: [...arms], dim };
}

function fromData(file: string, cli: Cli): Source {
  let rows: DatasetRow[];
  try {
    rows = parseDataset(readText(file, 'dataset'));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`dataset ${file}: ${(e as Error).message}`);
  }
  if (cli.limit !== undefined) rows = rows.slice(0, cli.limit);
  if (rows.length === 0) throw new UsageError(`dataset ${file} has no rows`);
  const arms = Object.keys(rows[0].arms);
  const featurizer = new QueryFeaturizer({ dim: DEFAULT_FEATURE_DIM });
  const logger = createPolicy(cli.policy, arms, cli.seed, DEFAULT_FEATURE_DIM);
  const logs: LoggedDecision[] = [];
  const rowOf = new Map<LoggedDecision, DatasetRow>();
  const text = new Map<LoggedDecision, string>();
  let deterministic = 0;
  const loggingProbs = new Map<LoggedDecision, Record<ArmId, number>>();
  for (const row of rows) {
    const available = arms.filter((a) => row.arms[a] !== undefined);
    const costs: Record<ArmId, number> = {};
    for (const a of available) costs[a] = row.arms[a].cost;
    const features = featurizer.featurize(row.prompt);
    const ctx = { features, text: row.prompt };
    const d = logger.decide(ctx, available, { lambda: cli.lambda, costs });
    if (d.propensity >= 1) deterministic++;
    const q = row.arms[d.arm].reward;
    const rec: LoggedDecision = {
      features: Array.from(features),
      available,
      arm: d.arm,
      propensity: d.propensity,
      reward: q - cli.lambda * costs[d.arm],
      quality: q,
      costs,
    };
    logger.update(ctx, d.arm, { quality: q, costUsd: costs[d.arm] });
    logs.push(rec);
    loggingProbs.set(rec, d.probabilities);
    rowOf.set(rec, row);
    text.set(rec, row.prompt);
  }
  if (deterministic > logs.length / 2) {
    process.stderr.write(
      `[ope] logging policy '${cli.policy}' was deterministic on ${deterministic} of ${logs.length} decisions: off-policy estimates will be poor\n`,
    );
  }
  const trueValue = (p: TargetPolicy): number => {
    let total = 0;
    for (const rec of logs) {
      const row = rowOf.get(rec) as DatasetRow;
      const probs = p(rec);
      for (const a in probs)
        if (probs[a] > 0 && row.arms[a]) total += probs[a] * (row.arms[a].reward - cli.lambda * row.arms[a].cost);
    }
    return total / logs.length;
  };
  const logging: TargetPolicy = (r) => loggingProbs.get(r) ?? { [r.arm]: 1 };
  return { kind: 'data', logs, arms, dim: DEFAULT_FEATURE_DIM, trueValue, text, logging };
}

/**
 * A learning candidate, run over the log in order: its decision distribution for each record
 * is what it would have done at that point, and it then learns from the logged outcome (the
 * only one observed). This is the usual way to evaluate an online learner off-policy.
 */
function learnerCandidate(name: string, src: Source, cli: Cli): TargetPolicy {
  const pol = createPolicy(name, src.arms, cli.seed + 1, src.dim);
  const probs = new Map<LoggedDecision, Record<ArmId, number>>();
  for (const rec of src.logs) {
    const ctx = { features: src.dim > 0 ? denseFeatures(rec.features, src.dim) : undefined, text: src.text?.get(rec) };
    const costs: Record<ArmId, number> = { ...(rec.costs ?? {}) };
    const d = pol.decide(ctx, rec.available, { lambda: cli.lambda, costs });
    probs.set(rec, d.probabilities);
    pol.update(ctx, rec.arm, { quality: rec.quality ?? rec.reward, costUsd: rec.costs?.[rec.arm] ?? 0 });
  }
  return (r) => probs.get(r) ?? { [r.arm]: 1 };
}

function candidates(src: Source, cli: Cli): [string, TargetPolicy][] {
  const out: [string, TargetPolicy][] = [];
  for (const raw of cli.candidates
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (raw === 'fixed:*') for (const a of src.arms) out.push([`fixed:${a}`, fixedPolicy(a)]);
    else if (raw.startsWith('fixed:')) {
      const arm = raw.slice('fixed:'.length);
      if (!src.arms.includes(arm)) throw new UsageError(`candidate ${raw}: unknown arm; arms: ${src.arms.join(', ')}`);
      out.push([raw, fixedPolicy(arm)]);
    } else if (raw === 'greedy') out.push(['greedy', crossFittedGreedy(src.logs)]);
    else out.push([raw, learnerCandidate(raw, src, cli)]);
  }
  if (out.length === 0) throw new UsageError('no candidates');
  return out;
}

const r4 = (x: number | null | undefined): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 1e4) / 1e4;
const r6 = (x: number | null | undefined): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 1e6) / 1e6;

function brief(e: OpeEstimate): Record<string, number | null> {
  return {
    estimate: r6(e.estimate),
    stdError: r6(e.stdError),
    lower: r6(e.lower),
    upper: r6(e.upper),
    effectiveSampleSize: r4(e.effectiveSampleSize),
    clipped: e.clipped,
  };
}

function fmt(e: OpeEstimate): string {
  if (!Number.isFinite(e.estimate)) return 'n/a';
  return `${e.estimate.toFixed(4)} [${e.lower.toFixed(4)}, ${e.upper.toFixed(4)}]`;
}

function run(cli: Cli): void {
  if (!!cli.log === !!cli.data) throw new UsageError('give exactly one of --log FILE or --data FILE');
  const src = cli.log ? fromLog(cli.log, cli.limit) : fromData(cli.data as string, cli);
  const opts: EstimateOptions = { level: cli.level, minPropensity: cli.clip, maxWeight: cli.maxWeight };
  const live = onPolicyValue(src.logs, { level: cli.level });
  const results: { name: string; ev: PolicyEvaluation; gate: GateDecision; truth: number | null }[] = [];
  for (const [name, pol] of candidates(src, cli)) {
    const ev = evaluatePolicy(src.logs, pol, opts);
    const gate = promotionGate(ev[cli.estimator], live, {
      level: cli.level,
      margin: cli.margin,
      minEffectiveSampleSize: cli.minEss,
    });
    results.push({ name, ev, gate, truth: src.trueValue ? src.trueValue(pol) : null });
  }
  // The gate's verdict for the run: the candidate whose lower bound is highest.
  const best = results.reduce((a, b) => (b.gate.figures.candidate.lower > a.gate.figures.candidate.lower ? b : a));

  {
    const pct = `${Math.round(cli.level * 100)}%`;
    const head = [
      'candidate',
      `IPS [${pct}]`,
      `SNIPS [${pct}]`,
      `DR [${pct}]`,
      'ESS',
      'cost/query',
      ...(src.trueValue ? ['true'] : []),
      'gate',
    ];
    const rows = results.map((r) => [
      r.name,
      fmt(r.ev.ips),
      fmt(r.ev.snips),
      fmt(r.ev.dr),
      r.ev.ips.effectiveSampleSize.toFixed(0),
      r.ev.meanCost === null ? 'n/a' : r.ev.meanCost.toExponential(2),
      ...(src.trueValue ? [r.truth === null ? 'n/a' : r.truth.toFixed(4)] : []),
      r.gate.promote ? 'PROMOTE' : 'keep live',
    ]);
    const liveTruth = src.trueValue && src.logging ? src.trueValue(src.logging) : null;
    rows.unshift([
      `live (${src.kind === 'data' ? cli.policy : 'logged'})`,
      fmt(live),
      '',
      '',
      String(live.n),
      '',
      ...(src.trueValue ? [liveTruth === null ? '' : liveTruth.toFixed(4)] : []),
      '',
    ]);
    const out = [
      `${src.logs.length} logged decisions, ${src.arms.length} arms; gate: ${cli.estimator.toUpperCase()} lower bound > live value${cli.margin ? ` + ${cli.margin}` : ''}`,
      textTable(head, rows),
      `best candidate: ${best.name}: ${best.gate.promote ? 'PROMOTE' : 'do not promote'} (${best.gate.reason})`,
    ].join('\n');
    process.stdout.write(out + '\n');
  }
  if (cli.json) {
    const obj = {
      source: src.kind,
      file: cli.log ?? cli.data,
      loggingPolicy: src.kind === 'data' ? cli.policy : null,
      n: src.logs.length,
      arms: src.arms,
      level: cli.level,
      estimator: cli.estimator,
      clip: cli.clip ?? null,
      lambda: src.kind === 'data' ? cli.lambda : null,
      live: brief(live),
      candidates: results.map((r) => ({
        name: r.name,
        ips: brief(r.ev.ips),
        snips: brief(r.ev.snips),
        dr: brief(r.ev.dr),
        meanCost: r6(r.ev.meanCost),
        trueValue: r6(r.truth),
        promote: r.gate.promote,
        reason: r.gate.reason,
      })),
      gate: { candidate: best.name, promote: best.gate.promote, reason: best.gate.reason, figures: best.gate.figures },
    };
    process.stdout.write(JSON.stringify(obj) + '\n');
  }
}

async function main(argv: string[]): Promise<number> {
  const prog = program().exitOverride();
  let cli: Cli;
  try {
    cli = prog.parse(argv).opts<Cli>();
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  try {
    if (cli.fromDb) {
      if (cli.log || cli.data) throw new UsageError('--from-db reads the database: give no --log or --data');
      await runFromDb({
        scope: cli.scope,
        // 'greedy' is a fitted baseline, not a policy the gate can switch to.
        candidates: cli.candidates === DEFAULT_CANDIDATES ? 'fixed:*' : cli.candidates,
        options: cli.options,
        tolerance: cli.tolerance,
        level: cli.level,
        minEss: cli.minEss,
        limit: cli.limit ?? SWITCH_GATE_DEFAULTS.maxDecisions,
        export: cli.export,
        json: cli.json,
      });
    } else run(cli);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ope: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

void main(process.argv).then((code) => (process.exitCode = code));
