/** What an e2e run learned, and the offline replay of the very same sequence to compare with. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DatasetRow } from '@llm-router/contracts';
import { DEFAULT_EXPLORE, type ExploreSetting, type RecentCorrectionSetting } from '@llm-router/simulation';
import { round } from '../lib/stats';

const ROOT = resolve(__dirname, '../..');

export interface Answered {
  row: number;
  model: string;
  /** Realised cost of the call, as the router billed it. */
  costUsd: number;
}

export interface LearningFigures {
  meanQuality: number;
  oracleQuality: number;
  pctOfOracle: number;
  meanCostUsd: number;
  budgetRatio: number | null;
}

/**
 * Quality is the dataset's judged quality of the model that answered; the oracle is the best
 * arm of each sent row, over every sent row (an unanswered query counts against the run).
 */
export function learningFigures(
  sentRows: number[],
  answered: Answered[],
  rows: readonly DatasetRow[],
  budget: number | null,
): LearningFigures {
  const quality = answered.reduce((s, a) => s + (rows[a.row].arms[a.model]?.reward ?? 0), 0);
  const oracle = sentRows.reduce((s, r) => s + Math.max(...Object.values(rows[r].arms).map((o) => o.reward)), 0);
  const n = sentRows.length;
  const meanCost = answered.reduce((s, a) => s + a.costUsd, 0) / Math.max(1, answered.length);
  return {
    meanQuality: round(quality / n, 4),
    oracleQuality: round(oracle / n, 4),
    pctOfOracle: round(quality / oracle, 4),
    meanCostUsd: round(meanCost, 8),
    budgetRatio: budget === null ? null : round(meanCost / budget, 4),
  };
}

/**
 * Mean quality, cost and best-arm share per quarter of the run, in answer order, and the calls each
 * model answered over the whole run (`callsByModel`: a cold start or an exploration that spends
 * shows there first).
 */
export function quarters(answered: Answered[], rows: readonly DatasetRow[]) {
  const quarter = Math.floor(answered.length / 4);
  if (quarter === 0) return null;
  const arms = Object.keys(rows[0].arms);
  const means = Object.fromEntries(arms.map((m) => [m, rows.reduce((s, r) => s + (r.arms[m]?.reward ?? 0), 0)]));
  const bestArm = arms.sort((a, b) => means[b] - means[a])[0];
  const fig = (part: Answered[]) => ({
    meanQuality: round(part.reduce((s, a) => s + (rows[a.row].arms[a.model]?.reward ?? 0), 0) / part.length),
    meanCostUsd: round(part.reduce((s, a) => s + a.costUsd, 0) / part.length, 6),
    bestArmShare: round(part.filter((a) => a.model === bestArm).length / part.length),
  });
  const callsByModel: Record<string, number> = Object.fromEntries(arms.sort().map((m) => [m, 0]));
  for (const a of answered) callsByModel[a.model] = (callsByModel[a.model] ?? 0) + 1;
  return {
    bestArm,
    firstQuarter: fig(answered.slice(0, quarter)),
    lastQuarter: fig(answered.slice(-quarter)),
    callsByModel,
  };
}

export interface ReplayComparison {
  replayMeanQuality: number;
  replayPctOfOracle: number;
  replayBudgetRatio: number | null;
  /** Batch mode: the replay's per-query routing of the same rows (`perQuery.meanQuality`). */
  replayPerQueryMeanQuality?: number;
  /** Batch mode: the replay's own gainPct, its batch routing over its per-query routing. */
  replayGainPct?: number;
}

export interface ReplayArgs {
  policy: string;
  seed: number;
  budget: number | null;
  lambda: number;
  warmStart?: string;
  models: string;
  /** Replay batch routing in windows of this many queries (`--mode batch`); undefined = per query. */
  batchSize?: number;
  /** Batch mode: the exploration sub-round, as the run's batch-planner has it (BATCH_EXPLORE). */
  explore?: ExploreSetting;
  /** Batch mode: the residual correction, as the run's batch-planner has it (BATCH_RECENT_CORRECTION). */
  recentCorrection?: RecentCorrectionSetting;
}

/**
 * Runs the unmodified `npm run replay` CLI on exactly the rows the run sent, in the order it
 * sent them (written to a file and replayed with `--order file`), so the gap between the
 * services and the replay is one subtraction.
 */
export function replaySameSequence(
  sentRows: number[],
  rows: readonly DatasetRow[],
  dir: string,
  args: ReplayArgs,
): ReplayComparison {
  const file = join(dir, 'sent-sequence.jsonl');
  writeFileSync(file, sentRows.map((r) => JSON.stringify(rows[r])).join('\n') + '\n');
  const cli = [
    'tsx',
    'tools/replay/main.ts',
    '--data',
    file,
    '--order',
    'file',
    '--models',
    args.models,
    '--policy',
    args.policy,
    '--seed',
    String(args.seed),
    '--lambda',
    String(args.lambda),
    '--budget',
    args.budget === null ? 'none' : String(args.budget),
    ...(args.warmStart ? ['--warm-start', args.warmStart] : []),
    ...(args.batchSize
      ? [
          '--mode',
          'batch',
          '--batch-size',
          String(args.batchSize),
          '--explore',
          String(args.explore ?? DEFAULT_EXPLORE),
          '--recent-correction',
          args.recentCorrection ?? 'auto',
        ]
      : []),
    '--json',
  ];
  const run = spawnSync('npx', cli, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`replay failed (${run.status}): ${run.stderr.slice(-2000)}`);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  const r = JSON.parse(last) as {
    meanQuality: number;
    pctOfOracle: number;
    budgetRatio: number | null;
    perQuery?: { meanQuality: number };
    gainPct?: number;
  };
  return {
    replayMeanQuality: round(r.meanQuality, 4),
    replayPctOfOracle: round(r.pctOfOracle, 4),
    replayBudgetRatio: r.budgetRatio === null ? null : round(r.budgetRatio, 4),
    ...(r.perQuery && {
      replayPerQueryMeanQuality: round(r.perQuery.meanQuality, 4),
      replayGainPct: round(r.gainPct!, 2),
    }),
  };
}
