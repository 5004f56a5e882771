/**
 * npm run -s chaos -- --json : the whole stack on a 3-broker KRaft cluster and a restartable
 * PostgreSQL under a steady load of queries and feedback, while services are SIGKILLed and
 * brokers and PostgreSQL restarted at seeded moments; then it drains and counts, from the
 * PostgreSQL ledger, whether anything was lost or counted twice (../shared/EVAL.md, "Chaos";
 * docs/chaos.md).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { createDatabase, startClusterInfrastructure, type ClusterInfrastructure } from '@llm-router/infra';
import { Topic } from '@llm-router/contracts';
import { num } from '../lib/cli';
import { resolveDataset } from '../lib/dataset';
import { round } from '../lib/stats';
import { readLedger, recoverySeconds, rewardTimes, traceLost, traceMissingRewards } from './ledger';
import { findKeysInTopic } from './topic-trace';
import { ChaosLoad } from './load';
import { describeFault, FAULT_NAMES, planChaos, type PlannedFault } from './plan';
import { Supervisor } from './supervisor';
import { deadLetterCount } from '../lib/dead-letters';

const ROOT = resolve(__dirname, '../..');
const BROKERS = 3;
/** A fault whose recovery takes longer than this counts as unrecovered; the run goes on. */
const RECOVERY_LIMIT_MS = 120_000;
/** Faults still waiting this long after the end of --duration are skipped (and the run fails). */
const LATE_FAULTS_SECONDS = 240;

const opts = new Command('chaos')
  .description(
    'Kills services, brokers and PostgreSQL at seeded moments under load, then checks from the ledger that nothing was lost or counted twice',
  )
  .option('--seed <n>', 'seed of the fault schedule and the load', num('--seed', { integer: true, min: 0 }), 1)
  .option(
    '--duration <s>',
    'seconds of load with faults (set-up and drain come on top: the default run takes about 12 minutes)',
    num('--duration', { integer: true, min: 30 }),
    420,
  )
  .option('--rate <qps>', 'queries per second', num('--rate', { positive: true }), 10)
  .option(
    '--kills-per-service <n>',
    'SIGKILLs of each service (the aggregator gets one more, mid-batch)',
    num('--kills-per-service', { integer: true, min: 0 }),
    2,
  )
  .option('--no-infra-faults', 'skip the broker restart, the broker kill and the PostgreSQL restart')
  .option(
    '--faults <names>',
    `only these faults, comma-separated, of: ${FAULT_NAMES.join(', ')} (a short run for a test)`,
    faultList,
  )
  .option('--batch-share <x>', 'share of queries sent in batch mode', num('--batch-share', { min: 0 }), 0.1)
  .option(
    '--drain-timeout <s>',
    'after the load, give up waiting for answers and rewards after this long',
    num('--drain-timeout', { integer: true, positive: true }),
    180,
  )
  .option(
    '--data <file>',
    'reward dataset answering the queries (generated data when missing)',
    resolve(ROOT, '../shared/data/paretobandit/val.jsonl'),
  )
  .option('--models <file>', 'models file with list prices (default: beside the data)')
  .option('--json', 'print one JSON object as the last line')
  .parse()
  .opts<{
    seed: number;
    duration: number;
    rate: number;
    killsPerService: number;
    infraFaults: boolean;
    faults?: string[];
    batchShare: number;
    drainTimeout: number;
    data: string;
    models?: string;
    json?: boolean;
  }>();

function faultList(v: string): string[] {
  const names = v.split(',').map((x) => x.trim());
  const unknown = names.filter((n) => !(FAULT_NAMES as readonly string[]).includes(n));
  if (unknown.length)
    throw new InvalidArgumentError(`unknown fault(s) ${unknown.join(', ')}; known: ${FAULT_NAMES.join(', ')}`);
  return names;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const bar = process.stderr.isTTY
  ? new SingleBar(
      {
        format: ' chaos {bar} {value}/{total} s | sent {sent} answered {answered} rewards {rewards} | {status}',
        hideCursor: true,
      },
      Presets.shades_classic,
    )
  : null;

function say(msg: string): void {
  if (bar) bar.update({ status: msg });
  else process.stderr.write(`[chaos] ${msg}\n`);
}

/** One query on a fresh connection: the database itself is restarted during the run. */
async function withDb<T>(url: string, fn: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end().catch(() => undefined);
  }
}

interface FaultRecord {
  fault: string;
  plannedAtSeconds: number;
  atSeconds: number;
  recoverySeconds: number | null;
  midBatch?: boolean;
  burst?: number;
  error?: string;
}

async function main(): Promise<number> {
  const dataset = resolveDataset(opts.data, opts.models, 1000);
  if (dataset.generatedIn) say(`${opts.data} not found: using generated data in ${dataset.generatedIn}`);
  const plan = planChaos({
    seed: opts.seed,
    durationSeconds: opts.duration,
    killsPerService: opts.killsPerService,
    infrastructure: opts.infraFaults,
    brokers: BROKERS,
    only: opts.faults,
  });
  const runId = Date.now().toString(36);
  const scope = `chaos-${runId}`;
  const logDir = mkdtempSync(join(tmpdir(), 'llm-router-chaos-'));
  say(`starting a ${BROKERS}-broker Kafka cluster and PostgreSQL; service logs in ${logDir}`);
  const infra: ClusterInfrastructure = await startClusterInfrastructure({ size: BROKERS, partitionsCap: 3 });
  let supervisor: Supervisor | undefined;
  let load: ChaosLoad | undefined;
  try {
    const databaseUrl = await createDatabase(infra.databaseUrl, 'chaos');
    supervisor = new Supervisor(
      {
        KAFKA_BROKERS: infra.kafkaBrokers.join(','),
        DATABASE_URL: databaseUrl,
        LOG_LEVEL: 'warn',
        POLICY_SEED: String(opts.seed),
        PROVIDER: 'replay',
        REPLAY_DATASET: dataset.dataPath,
        REPLAY_PRICES_FILE: dataset.modelsPath,
        PRICES_FILE: dataset.modelsPath,
        ADMIN_TOKEN: `chaos-${runId}`,
        QUERIES_GROUP_ID: `router-${runId}`,
        AGGREGATOR_GROUP_ID: `reward-aggregator-${runId}`,
        PLANNER_GROUP_ID: `batch-planner-${runId}`,
      },
      logDir,
      say,
    );
    say('starting router, price-watcher, reward-aggregator, batch-planner');
    await supervisor.startAll();

    const kafka = new Kafka({
      clientId: `chaos-${runId}`,
      brokers: infra.kafkaBrokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 3000 },
    });
    load = new ChaosLoad({
      kafka,
      scope,
      runId,
      rows: dataset.rows,
      rate: opts.rate,
      batchShare: opts.batchShare,
      duplicateFeedbackShare: 0.05,
      seed: opts.seed,
    });
    await load.start();
    const t0 = Date.now();
    const l = load;
    const sup = supervisor;
    let rewardsSoFar = 0;
    bar?.start(opts.duration, 0, { sent: 0, answered: 0, rewards: 0, status: 'load' });
    const progress = setInterval(() => {
      bar?.update(Math.min(opts.duration, Math.round((Date.now() - t0) / 1000)), {
        sent: l.sent.size,
        answered: l.answers.size,
        rewards: rewardsSoFar,
      });
    }, 1000);
    const ledgerPoll = setInterval(() => {
      void withDb(databaseUrl, (db) =>
        db.query<{ n: number }>('SELECT count(*)::int AS n FROM rewards WHERE scope = $1', [scope]),
      )
        .then((r) => (rewardsSoFar = r.rows[0].n))
        .catch(() => undefined);
    }, 2000);

    const faults: FaultRecord[] = [];
    const skipped: string[] = [];
    for (const f of plan) {
      // Slow recoveries push faults back; past this point the 15-minute promise wins.
      if (Date.now() > t0 + (opts.duration + LATE_FAULTS_SECONDS) * 1000) {
        skipped.push(describeFault(f));
        continue;
      }
      const wait = t0 + f.atSeconds * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
      say(describeFault(f));
      faults.push(await runFault(f, t0, infra, sup, l, databaseUrl));
    }
    const loadEnd = t0 + opts.duration * 1000;
    if (Date.now() < loadEnd) await sleep(loadEnd - Date.now());
    load.stopSending();
    clearInterval(progress);
    bar?.update(opts.duration, { status: 'draining' });
    say('load stopped; waiting for every answer and reward');

    // Drain: every acknowledged query answered, every feedback acknowledged and applied.
    const drainDeadline = Date.now() + opts.drainTimeout * 1000;
    for (;;) {
      const applied = await withDb(databaseUrl, (db) =>
        db.query<{ n: number }>('SELECT count(*)::int AS n FROM rewards WHERE scope = $1', [scope]),
      )
        .then((r) => r.rows[0].n)
        .catch(() => -1);
      rewardsSoFar = Math.max(rewardsSoFar, applied);
      bar?.update({ sent: l.sent.size, answered: l.answers.size, rewards: rewardsSoFar });
      if (load.drained() && applied >= load.feedbackAcked.size) break;
      if (Date.now() > drainDeadline) {
        say('drain timeout: counting what there is');
        break;
      }
      await sleep(1000);
    }
    clearInterval(ledgerPoll);
    // A redelivered batch, if any, would land now: counters are read after it had its chance.
    await sleep(3000);
    await sup.allHealthy();
    bar?.stop();

    const ledger = await withDb(databaseUrl, (db) => readLedger(db, scope));
    const lostIds = [...load.sent].filter((id) => !load!.answers.has(id));
    const duplicatedIds = new Set([...load.conflicting, ...ledger.requestsWithConflictingDecisions]);
    const missingRewards = [...load.feedbackAcked].filter((d) => !ledger.rewardedDecisions.has(d));
    const recoveries = faults.map((f) => f.recoverySeconds).filter((x): x is number => x !== null);
    // Where the first few losses stopped, so that a failed run says what to look at.
    const lostTrace = await withDb(databaseUrl, (db) => traceLost(db, scope, lostIds.slice(0, 10)));
    const lostInQueries = await findKeysInTopic(kafka, Topic.Queries, lostIds.slice(0, 10), `router-${runId}`);
    const lostInBatchRequests = await findKeysInTopic(kafka, Topic.BatchRequests, lostIds.slice(0, 10));
    const missingRewardsTrace = await withDb(databaseUrl, (db) => traceMissingRewards(db, missingRewards.slice(0, 10)));
    const result = {
      sent: load.sent.size,
      answered: load.answers.size,
      dlq: await deadLetterCount(kafka),
      lost: lostIds.length,
      duplicated: duplicatedIds.size,
      feedbackSent: load.feedbackAcked.size,
      rewardsApplied: ledger.rewardsApplied,
      rewardSources: ledger.rewardSources,
      rewardsDoubleCounted: ledger.rewardsDoubleCounted,
      maxRecoverySeconds: recoveries.length ? round(Math.max(...recoveries), 1) : null,
      policyRewardsApplied: ledger.policyRewardsApplied,
      decisionsRecorded: ledger.decisionsRecorded,
      redelivered: load.redelivered,
      failedAnswers: load.failedAnswers.size,
      skippedFaults: skipped,
      unrecovered: faults.filter((f) => f.recoverySeconds === null).map((f) => f.fault),
      serviceRestarts: sup.restarts,
      unexpectedExits: sup.unexpectedExits.map((e) => ({
        service: e.service,
        atSeconds: round((e.at - t0) / 1000, 1),
        exit: e.signal ?? e.code,
        log: e.log,
      })),
      clientSendErrors: load.sendErrors,
      clientConsumerRestarts: load.consumerRestarts,
      lostSample: lostIds.slice(0, 10),
      lostTrace: lostTrace.map((t) => ({
        ...t,
        sentAtSeconds: round(((load!.firstSentAt.get(t.requestId) ?? t0) - t0) / 1000, 1),
        batch: load!.batchIds.has(t.requestId),
        inQueries: lostInQueries.get(t.requestId) ?? [],
        inBatchRequests: lostInBatchRequests.get(t.requestId) ?? [],
      })),
      duplicatedSample: [...duplicatedIds].slice(0, 10),
      missingRewardsSample: missingRewards.slice(0, 10),
      missingRewardsTrace,
      faults,
      seed: opts.seed,
      durationSeconds: opts.duration,
      rate: opts.rate,
      brokers: BROKERS,
      replicationFactor: infra.replicationFactor,
      minInsyncReplicas: infra.minInsyncReplicas,
      scope,
      logDir,
      wallSeconds: round((Date.now() - t0) / 1000, 1),
    };
    const ok =
      result.lost === 0 &&
      result.rewardsDoubleCounted === 0 &&
      result.rewardsApplied === result.feedbackSent &&
      skipped.length === 0 &&
      faults.every((f) => !f.error);
    if (!opts.json) {
      console.log(
        `sent ${result.sent}, answered ${result.answered}, lost ${result.lost}, duplicated ${result.duplicated}, dead-lettered ${result.dlq}`,
      );
      console.log(
        `feedback sent ${result.feedbackSent}, rewards applied ${result.rewardsApplied}, counted twice ${result.rewardsDoubleCounted}`,
      );
      for (const f of faults)
        console.log(
          `  ${f.atSeconds.toFixed(1).padStart(6)} s  ${f.fault}: recovered in ${f.recoverySeconds ?? '-'} s`,
        );
      console.log(`max recovery ${result.maxRecoverySeconds} s; ${ok ? 'OK' : 'FAILED'}; logs in ${logDir}`);
    }
    console.log(JSON.stringify({ ...result, ok }));
    return ok ? 0 : 1;
  } finally {
    bar?.stop();
    await load?.stop();
    await supervisor?.stopAll().catch(() => undefined);
    await infra.stop();
  }
}

/** Carries out one fault, and measures how long the system takes to work end to end again. */
async function runFault(
  f: PlannedFault,
  t0: number,
  infra: ClusterInfrastructure,
  supervisor: Supervisor,
  load: ChaosLoad,
  databaseUrl: string,
): Promise<FaultRecord> {
  const record: FaultRecord = {
    fault: describeFault(f),
    plannedAtSeconds: f.atSeconds,
    atSeconds: 0,
    recoverySeconds: null,
  };
  let faultAt = Date.now();
  const act = async () => {
    switch (f.kind) {
      case 'kill-service':
        faultAt = Date.now();
        return supervisor.kill(f.service);
      case 'kill-aggregator-mid-batch': {
        const { midBatch, burst } = await burstAndCatchAggregatorApplying(load, databaseUrl);
        Object.assign(record, { midBatch, burst });
        faultAt = Date.now();
        return supervisor.kill('reward-aggregator');
      }
      case 'restart-broker': {
        const node = infra.kafka.nodes[f.node - 1];
        faultAt = Date.now();
        await node.stop();
        return node.start();
      }
      case 'kill-broker': {
        const node = infra.kafka.nodes[f.node - 1];
        faultAt = Date.now();
        await node.kill();
        await sleep(f.downSeconds * 1000);
        return node.start();
      }
      case 'restart-postgres':
        faultAt = Date.now();
        await infra.postgres.stop();
        await sleep(f.downSeconds * 1000);
        return infra.postgres.start();
    }
  };
  // The fault's first step sets faultAt synchronously-enough: measuring starts after it.
  const acting = act().catch((e) => {
    record.error = (e as Error).message;
    say(`${record.fault} failed: ${record.error}`);
  });
  if (f.kind === 'kill-aggregator-mid-batch') await waitUntil(() => record.burst !== undefined || !!record.error);
  record.atSeconds = round((faultAt - t0) / 1000, 1);
  const deadline = faultAt + RECOVERY_LIMIT_MS;
  while (Date.now() < deadline) {
    await sleep(500);
    const candidates = load.samples.filter((s) => s.sentAt >= faultAt).slice(0, 500);
    if (candidates.length === 0) continue;
    const times = await withDb(databaseUrl, (db) =>
      rewardTimes(
        db,
        candidates.map((c) => c.decisionId),
      ),
    ).catch(() => null);
    const seconds = times && recoverySeconds(faultAt, candidates, times);
    if (seconds !== null && seconds !== undefined) {
      record.recoverySeconds = round(seconds, 1);
      break;
    }
  }
  await acting;
  say(`${record.fault}: recovered in ${record.recoverySeconds ?? 'never (limit reached)'} s`);
  return record;
}

async function waitUntil(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(5);
}

/**
 * Holds feedback back for a few seconds, sends it as one burst, and watches PostgreSQL for the
 * aggregator's open transaction on the ledger tables: the kill then lands while it applies the
 * burst. midBatch says whether that transaction was seen (otherwise the kill came after a
 * short wait anyway).
 */
async function burstAndCatchAggregatorApplying(
  load: ChaosLoad,
  databaseUrl: string,
): Promise<{ midBatch: boolean; burst: number }> {
  load.holdFeedback();
  await sleep(4000);
  return withDb(databaseUrl, async (db) => {
    let burst = 0;
    try {
      burst = await load.releaseFeedback();
    } catch {
      return { midBatch: false, burst };
    }
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const open = await db.query(
        `SELECT 1 FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
            AND (query ILIKE '%INTO rewards%' OR query ILIKE '%arm_stats%' OR query ILIKE '%policy_state%'
                 OR query ILIKE '%pending_feedback%')
          LIMIT 1`,
      );
      if (open.rowCount) return { midBatch: true, burst };
    }
    return { midBatch: false, burst };
  });
}

main().then(
  (code) => process.exit(code),
  (e) => {
    bar?.stop();
    process.stderr.write(`[chaos] failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
