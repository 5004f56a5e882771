/** What an e2e run learned, and the offline replay of the very same sequence to compare with. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DatasetRow } from '@llm-router/contracts';
import { adaptSteps, DEFAULT_EXPLORE, type ExploreSetting, type RecentCorrectionSetting } from '@llm-router/simulation';
import { round } from '../lib/stats';

const ROOT = resolve(__dirname, '../..');

export interface Answered {
  /** Position of the query in the sent sequence. */
  index: number;
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

/** A model hot-added during the run (`--add-model`): offered from the `at`-th sent query on. */
export interface AddedModel {
  arm: string;
  at: number;
  /** Its list price times this (the replay's new-arm `--factor`; default 1). */
  factor?: number;
}

/**
 * Quality is the dataset's judged quality of the model that answered; the oracle is the best
 * arm of each sent row, over every sent row (an unanswered query counts against the run), the
 * added model counting only from its arrival, as in the replay's new-arm scenario.
 */
export function learningFigures(
  sentRows: number[],
  answered: Answered[],
  rows: readonly DatasetRow[],
  budget: number | null,
  added?: AddedModel,
): LearningFigures {
  const quality = answered.reduce((s, a) => s + (rows[a.row].arms[a.model]?.reward ?? 0), 0);
  const best = (r: number, j: number) =>
    Math.max(
      ...Object.entries(rows[r].arms)
        .filter(([arm]) => !added || arm !== added.arm || j >= added.at)
        .map(([, o]) => o.reward),
    );
  const oracle = sentRows.reduce((s, r, j) => s + best(r, j), 0);
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

/**
 * The hot-added model's uptake, as the replay's new-arm scenario measures it: `adaptSteps`, the
 * decisions from its arrival until it holds half of the last 100 (null: never), over the sent
 * sequence (an unanswered query holds no model); `calls`, the queries it answered.
 */
export function addedModelFigures(answered: Answered[], sent: number, added: AddedModel) {
  const picks = new Int32Array(sent).fill(-1);
  for (const a of answered) if (a.model === added.arm) picks[a.index] = 1;
  return {
    model: added.arm,
    at: added.at,
    adaptSteps: adaptSteps(picks, 1, added.at),
    calls: answered.filter((a) => a.model === added.arm).length,
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
  /** With a hot-added model: the replay's adaptSteps in its new-arm scenario at the same step. */
  replayAdaptSteps?: number | null;
  /** Batch mode, a file with sources: the replay's `bySource` (docs/replay.md). */
  replayBySource?: ReplaySource[];
}

/** What the e2e reads of one source of the replay's `bySource`. */
export interface ReplaySource {
  source: string;
  rows: number;
  perQuery: { meanQuality: number };
  batch: { meanQuality: number };
}

/** One source of a live batch run, beside the replay of the same rows in the same order. */
export interface LiveSource {
  source: string;
  rows: number;
  meanQuality: number;
  /** What the run paid for its rows, over the run's budget (null without one). */
  budgetShare: number | null;
  replayMeanQuality: number;
  replayPerQueryMeanQuality: number;
  /**
   * The source's part of the live gainPct: its rows' live minus replayed per-query quality over
   * the replayed per-query total, in percent (the parts sum to gainPct); `replayGainPct` the same
   * for the replay's batch routing.
   */
  gainPct: number;
  replayGainPct: number;
}

/**
 * Live batch routing source by source (`source` of each sent row; an unanswered query scores 0, as
 * in `learningFigures`), against the replay's `bySource` on the same sequence: where the services
 * win or lose what the replay does.
 */
export function liveBySource(
  answered: Answered[],
  rows: readonly DatasetRow[],
  budget: number | null,
  sent: number,
  replay: readonly ReplaySource[],
): LiveSource[] {
  const live = new Map<string, { quality: number; cost: number }>();
  for (const a of answered) {
    const key = rows[a.row].source;
    const s = live.get(key) ?? { quality: 0, cost: 0 };
    s.quality += rows[a.row].arms[a.model]?.reward ?? 0;
    s.cost += a.costUsd;
    live.set(key, s);
  }
  const perQueryTotal = replay.reduce((s, r) => s + r.rows * r.perQuery.meanQuality, 0);
  const part = (q: number, r: ReplaySource) => round((100 * (q - r.rows * r.perQuery.meanQuality)) / perQueryTotal, 2);
  return replay.map((r) => {
    const l = live.get(r.source) ?? { quality: 0, cost: 0 };
    return {
      source: r.source,
      rows: r.rows,
      meanQuality: round(l.quality / r.rows, 4),
      budgetShare: budget === null ? null : round(l.cost / (budget * sent), 4),
      replayMeanQuality: round(r.batch.meanQuality, 4),
      replayPerQueryMeanQuality: round(r.perQuery.meanQuality, 4),
      gainPct: part(l.quality, r),
      replayGainPct: part(r.rows * r.batch.meanQuality, r),
    };
  });
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
  /** Batch mode: costs per kind of prompt and the probe of new kinds, as the run's batch-planner has them (BATCH_KIND_COSTS). */
  kindCosts?: 'on' | 'off';
  /** Per-query mode: the policy learns each outcome this many decisions late (`--feedback-delay`). */
  feedbackDelay?: number;
  /** A hot-added model: the replay runs its new-arm scenario for it at the same step. */
  added?: AddedModel;
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
  const r = replayRows(join(dir, 'sent-sequence.jsonl'), sentRows, rows, args);
  const { meanQuality, pctOfOracle, budgetRatio } = headline(r);
  return {
    replayMeanQuality: meanQuality,
    replayPctOfOracle: pctOfOracle,
    replayBudgetRatio: budgetRatio,
    ...(r.perQuery && {
      replayPerQueryMeanQuality: round(r.perQuery.meanQuality, 4),
      replayGainPct: round(r.gainPct!, 2),
    }),
    ...(args.added && { replayAdaptSteps: r.adaptSteps ?? null }),
    ...(r.bySource && { replayBySource: r.bySource }),
  };
}

/**
 * The replay's `--feedback-delay` that matches a live run: the decisions made while one reward
 * travels back into the routers' policy (the run's learning delay at p50 times its decision rate),
 * at least 1; null when the delay was not measured.
 */
export function feedbackDelayOf(learningDelayP50Ms: number | null, decisionsPerSec: number): number | null {
  if (learningDelayP50Ms === null || !Number.isFinite(learningDelayP50Ms)) return null;
  if (!Number.isFinite(decisionsPerSec) || decisionsPerSec <= 0) return null;
  return Math.max(1, Math.round((learningDelayP50Ms / 1000) * decisionsPerSec));
}

/** The replay of the sent rows in the sent order with the live loop's delay (per-query mode). */
export interface DelayedReplay {
  feedbackDelay: number;
  meanQuality: number;
  pctOfOracle: number;
  budgetRatio: number | null;
}

/**
 * `replaySameSequence` with `--feedback-delay`: the policy learns each outcome that many decisions
 * late, as the routers learn from snapshots. Between it and the live run is what the services
 * lose besides the delay; between it and the undelayed replay is what the delay costs.
 */
export function replayWithDelay(
  sentRows: number[],
  rows: readonly DatasetRow[],
  dir: string,
  args: ReplayArgs,
  feedbackDelay: number,
): DelayedReplay {
  const r = replayRows(join(dir, 'sent-sequence.jsonl'), sentRows, rows, { ...args, feedbackDelay });
  return { feedbackDelay, ...headline(r) };
}

/** Batch mode: the replay of the rows in the order the run's batch-planner planned them (`plannerOrder`). */
export interface PlannerOrderReplay {
  meanQuality: number;
  budgetRatio: number | null;
}

/**
 * The replay of the rows in the order the batch-planner planned them (tools/e2e/planner-order.ts),
 * written beside the sent sequence: the same windows, each in the order its queries arrived, so
 * the live run and this replay differ in their timing alone (docs/decisions/0053).
 */
export function replayPlannerOrder(
  plannedRows: number[],
  rows: readonly DatasetRow[],
  dir: string,
  args: ReplayArgs,
): PlannerOrderReplay {
  const { meanQuality, budgetRatio } = headline(
    replayRows(join(dir, 'planner-sequence.jsonl'), plannedRows, rows, args),
  );
  return { meanQuality, budgetRatio };
}

/** What the replay CLI prints as its last line (`--json`), the fields the e2e reads. */
interface ReplayJson {
  meanQuality: number;
  pctOfOracle: number;
  budgetRatio: number | null;
  perQuery?: { meanQuality: number };
  gainPct?: number;
  adaptSteps?: number | null;
  bySource?: ReplaySource[] | null;
}

/** A replay's headline figures, rounded as the e2e reports them. */
function headline(r: ReplayJson): { meanQuality: number; pctOfOracle: number; budgetRatio: number | null } {
  return {
    meanQuality: round(r.meanQuality, 4),
    pctOfOracle: round(r.pctOfOracle, 4),
    budgetRatio: r.budgetRatio === null ? null : round(r.budgetRatio, 4),
  };
}

/** Writes `sequence` (row indices of `rows`) to `file` and runs `npm run replay` on it in that order. */
function replayRows(file: string, sequence: number[], rows: readonly DatasetRow[], args: ReplayArgs): ReplayJson {
  writeFileSync(file, sequence.map((r) => JSON.stringify(rows[r])).join('\n') + '\n');
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
    ...(args.added
      ? [
          '--scenario',
          'new-arm',
          '--arm',
          args.added.arm,
          '--at',
          String(args.added.at),
          '--factor',
          String(args.added.factor ?? 1),
        ]
      : []),
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
          '--kind-costs',
          args.kindCosts ?? 'on',
        ]
      : []),
    ...(args.feedbackDelay ? ['--feedback-delay', String(args.feedbackDelay)] : []),
    '--json',
  ];
  const run = spawnSync('npx', cli, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`replay failed (${run.status}): ${run.stderr.slice(-2000)}`);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as ReplayJson;
}
