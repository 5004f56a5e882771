/**
 * npm run -s e2e -- --json : the whole stack on a real Kafka and PostgreSQL. Produces N
 * queries with a plain kafkajs client, answers them through the replay provider, sends the
 * dataset's quality back as feedback, checks that nothing was lost or counted twice, and
 * measures what the services learned against the offline replay of the same sequence
 * (../shared/EVAL.md, "End-to-end").
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client } from 'pg';
import { SingleBar, Presets } from 'cli-progress';
import { type BatchAssignmentEvent, ModelsFile, Topic, type DatasetRow } from '@llm-router/contracts';
import { PartitionedProducer } from '@llm-router/kafka/partitioned-send';
import {
  DEFAULT_EXPLORE,
  orderRows,
  parseExploreSetting,
  RECENT_CORRECTION_SETTINGS,
  ROW_ORDERS,
  type ExploreSetting,
  type RecentCorrectionSetting,
  type RowOrder,
} from '@llm-router/simulation';
import {
  createDatabase,
  dockerAvailable,
  freePort,
  KAFKA_ADMIN_USER,
  KAFKA_SECURITY_MODES,
  kafkaSecurityFromEnv,
  saslOptions,
  saslServiceEnv,
  selectMode,
  startInfrastructure,
  type InfraMode,
  type KafkaPrincipal,
  type KafkaSecurity,
} from '@llm-router/infra';
import { RunningService, startServiceProcess, stopServices } from '../lib/services';
import {
  cpuMsPerUnit,
  CpuReading,
  CpuReaders,
  machineBusyMs,
  ownCpuMs,
  processesCpuMs,
  readCpu,
  treeCpuMs,
} from '../lib/process-cpu';
import { databaseActivity } from '../lib/database-activity';
import { percentile, round } from '../lib/stats';
import { cliArg, NONE, noneAsNull, num, numOrNone, UsageError } from '../lib/cli';
import { resolveDataset } from '../lib/dataset';
import { signed, textTable } from '../lib/text-table';
import {
  addedModelFigures,
  Answered,
  learningFigures,
  liveBySource,
  type LiveSource,
  quarters,
  replayPlannerOrder,
  replaySameSequence,
  feedbackDelayOf,
  replayWithDelay,
  type ReplayComparison,
} from './figures';
import { plannerOrder } from './planner-order';
import { sendQueries } from './sender';
import { deadLetterCount } from '../lib/dead-letters';

const ROOT = resolve(__dirname, '../..');
/** High enough never to bind a run, so it measures the cap's cost, not its effect. */
const DEFAULT_SCOPE_CAP_USD = 1000;

const cli = new Command('e2e')
  .description(
    'End-to-end run of router, price-watcher, reward-aggregator and batch-planner on a real Kafka and PostgreSQL',
  )
  .option('--queries <n>', 'queries to send', num('--queries', { integer: true, positive: true }), 2000)
  .option(
    '--data <file>',
    'reward dataset answering the queries',
    resolve(ROOT, '../shared/data/paretobandit/val.jsonl'),
  )
  .option('--models <file>', 'models file with list prices (default: models_k3.json/models_k4.json beside the data)')
  .option('--policy <name>', 'routing policy of the scope', 'auto')
  .option('--routers <n>', 'router instances', num('--routers', { integer: true, positive: true }), 1)
  .option(
    '--aggregators <n>',
    'reward-aggregator instances',
    num('--aggregators', { integer: true, positive: true }),
    1,
  )
  .option(
    '--rate <qps>',
    'send rate in queries per second: 0 = a backlog (throughput), otherwise a smooth pace (latency)',
    num('--rate', { min: 0 }),
    0,
  )
  .option(
    '--budget <usd>',
    "target mean cost per query in USD (the pacer's target), or 'none'",
    numOrNone('--budget', { positive: true }),
    NONE,
  )
  .option(
    '--lambda <x>',
    'cost weight in R = quality - lambda * cost (with --budget: the starting lambda)',
    num('--lambda', { min: 0 }),
    0,
  )
  .option('--warm-start <file>', 'offline priors from another reward file, for the services and the replay')
  .option('--seed <n>', 'row shuffle and policy seed (as for replay)', num('--seed', { integer: true, min: 0 }), 1)
  .option('--no-replay', 'skip the offline replay of the same sequence')
  .addOption(
    new Option(
      '--mode <mode>',
      "query: every query routed on its own; batch: queries sent with constraints.mode batch, planned in windows by the batch-planner under the run's budget",
    )
      .choices(['query', 'batch'])
      .default('query'),
  )
  .option(
    '--batch-size <n>',
    'batch mode: queries per window (BATCH_WINDOW_SIZE)',
    num('--batch-size', { integer: true, positive: true }),
    100,
  )
  .option(
    '--explore <n|auto|unknown>',
    "batch mode: the planner's exploration sub-round (BATCH_EXPLORE), and the replay's --explore, so both sides run one setting",
    cliArg(parseExploreSetting),
    DEFAULT_EXPLORE,
  )
  .addOption(
    new Option(
      '--recent-correction <setting>',
      "batch mode: the planner's residual correction (BATCH_RECENT_CORRECTION) and the replay's --recent-correction, so both sides run one setting",
    )
      .choices([...RECENT_CORRECTION_SETTINGS])
      .default('auto'),
  )
  .addOption(
    new Option(
      '--kind-costs <setting>',
      "batch mode: the planner's costs per kind of prompt and probe of new kinds (BATCH_KIND_COSTS) and the replay's --kind-costs, so both sides run one setting",
    )
      .choices(['on', 'off'])
      .default('on'),
  )
  .addOption(
    new Option(
      '--order <order>',
      'row order of the sent queries, as for replay (by-source, by-difficulty: adversarial)',
    )
      .choices(ROW_ORDERS.filter((o) => o !== 'file'))
      .default('shuffled'),
  )
  .addOption(
    new Option(
      '--kafka-security <mode>',
      'Kafka authentication: sasl (SCRAM, one principal per service and ACLs; local infrastructure only) or plaintext (default: KAFKA_SECURITY, else sasl when the infrastructure is local)',
    ).choices([...KAFKA_SECURITY_MODES]),
  )
  .option(
    '--scope-cap <usd>',
    "hard daily budget cap of the run's scope (SCOPE_BUDGETS: each query reserves its worst case before its model call), or 'none'",
    numOrNone('--scope-cap', { positive: true }),
    DEFAULT_SCOPE_CAP_USD,
  )
  .option(
    '--timeout <s>',
    'give up waiting for answers and rewards after this long',
    num('--timeout', { integer: true, positive: true }),
    300,
  )
  .option(
    '--profile <dir>',
    'write a V8 CPU profile of every router, reward-aggregator and batch-planner process to this directory (when they stop)',
  )
  .option(
    '--add-model <id>',
    "hot add: the models file's model left out of the catalog the services start with, added with POST /admin/models at --add-at; the replay side runs its new-arm scenario at the same step",
  )
  .option(
    '--add-at <n>',
    'with --add-model: the sent query from which the model is offered (default: a third of --queries)',
    num('--add-at', { integer: true, min: 1 }),
  )
  .option(
    '--add-price-factor <f>',
    "with --add-model: its list price times f (the replay's new-arm --factor), e.g. a cheap new release",
    num('--add-price-factor', { positive: true }),
    1,
  )
  .option('--json', 'print one JSON object as the last line')
  .parse()
  .opts<{
    queries: number;
    data: string;
    models?: string;
    policy: string;
    routers: number;
    aggregators: number;
    rate: number;
    timeout: number;
    budget: number | typeof NONE;
    lambda: number;
    warmStart?: string;
    seed: number;
    replay: boolean;
    mode: 'query' | 'batch';
    batchSize: number;
    explore: ExploreSetting;
    recentCorrection: RecentCorrectionSetting;
    kindCosts: 'on' | 'off';
    order: Exclude<RowOrder, 'file'>;
    kafkaSecurity?: KafkaSecurity;
    scopeCap: number | typeof NONE;
    profile?: string;
    addModel?: string;
    addAt?: number;
    addPriceFactor: number;
    json?: boolean;
  }>();
const opts = { ...cli, budget: noneAsNull(cli.budget), scopeCap: noneAsNull(cli.scopeCap) };

/**
 * Measurements run as production does (issue 11): authenticated Kafka where this command
 * starts the broker itself; a broker it is given (KAFKA_BROKERS, Docker) is used as it is.
 * The infrastructure mode is chosen once, here, and handed to startInfrastructure.
 */
async function infrastructureChoice(
  chosen: KafkaSecurity | undefined,
): Promise<{ mode: InfraMode; security: KafkaSecurity }> {
  const { mode } = await selectMode(process.env, () => dockerAvailable());
  if (chosen) return { mode, security: chosen };
  if (process.env['KAFKA_SECURITY']?.trim()) return { mode, security: kafkaSecurityFromEnv() };
  return { mode, security: mode === 'local' ? 'sasl' : 'plaintext' };
}

const say = (msg: string) => process.stderr.write(`[e2e] ${msg}\n`);

/**
 * `--add-model`: the services start on the models file without the model, and it is added at
 * `--add-at` through the price-watcher's admin API, as an operator adds a newly released model.
 */
function hotAddPlan(model: string, at: number | undefined, modelsPath: string, rows: readonly DatasetRow[]) {
  if (opts.mode !== 'query')
    throw new UsageError('--add-model needs --mode query (the replay has no new-arm batch scenario)');
  if (opts.warmStart)
    throw new UsageError(
      '--add-model and --warm-start together: the replay keeps a new model out of the warm start, the services would not',
    );
  // Checked by the contract's schema; passthrough keeps the file's other entries for the copy below.
  const file = ModelsFile.passthrough().parse(JSON.parse(readFileSync(modelsPath, 'utf8')));
  const entry = file.models.find((m) => m.model_id === model);
  if (!entry)
    throw new UsageError(
      `--add-model ${model} is not in ${modelsPath} (models: ${file.models.map((m) => m.model_id).join(', ')})`,
    );
  if (!rows.every((r) => r.arms[model]))
    throw new UsageError(`--add-model ${model}: not every row of the data answers it`);
  const factor = opts.addPriceFactor;
  const added = { arm: model, at: at ?? Math.max(1, Math.floor(opts.queries / 3)), factor };
  if (added.at >= opts.queries) throw new UsageError(`--add-at ${added.at} must be below --queries ${opts.queries}`);
  return {
    added,
    /** The models file the services start with: every model but the added one. */
    startingModelsFile(dir: string): string {
      const path = join(dir, 'models-before-add.json');
      writeFileSync(path, JSON.stringify({ ...file, models: file.models.filter((m) => m.model_id !== model) }));
      return path;
    },
    async add(priceWatcherUrl: string, token: string): Promise<void> {
      const r = await fetch(`${priceWatcherUrl}/admin/models`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          model,
          inputPerM: entry.input_cost_per_m * factor,
          outputPerM: entry.output_cost_per_m * factor,
        }),
        signal: AbortSignal.timeout(30_000),
      });
      if (!r.ok) throw new Error(`POST /admin/models ${model}: ${r.status} ${await r.text()}`);
    },
  };
}

async function main() {
  const { dataPath, modelsPath, rows, generatedIn } = resolveDataset(
    opts.data,
    opts.models,
    Math.max(500, Math.min(opts.queries, 5000)),
  );
  if (generatedIn) say(`${opts.data} not found: using generated data in ${generatedIn}`);
  say(`dataset ${dataPath}: ${rows.length} rows, models ${modelsPath}`);
  const hotAdd = opts.addModel ? hotAddPlan(opts.addModel, opts.addAt, modelsPath, rows) : null;

  const { mode, security } = await infrastructureChoice(opts.kafkaSecurity);
  const infra = await startInfrastructure({ mode, security });
  const services: RunningService[] = [];
  const runId = Date.now().toString(36);
  const scope = `e2e-${runId}`;
  // A query's id names its position in the sent sequence, which answers and assignments are read back by.
  const queryId = (j: number) => `${scope}-${j}`;
  const sentIndexOf = (id: string) => Number(id.slice(scope.length + 1));
  const logDir = mkdtempSync(join(tmpdir(), 'llm-router-e2e-'));
  let exitCode = 0;
  // The hot path's processes alone: profiling the load generator or the broker would drown them.
  const profiled = opts.profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${resolve(opts.profile)}`] } : {};
  try {
    // A database of its own: a run never mixes with earlier runs' state.
    const databaseUrl = await createDatabase(infra.databaseUrl, 'e2e');
    const env: Record<string, string> = {
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      DATABASE_URL: databaseUrl,
      // The services' logs (in logDir) at warn unless the caller asks for more: a trace of a run.
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      ALLOW_NO_AUTH: 'true',
      ROUTER_POLICY: opts.policy,
      POLICY_SEED: String(opts.seed),
      DEFAULT_LAMBDA: String(opts.lambda),
      PROVIDER: 'replay',
      REPLAY_DATASET: dataPath,
      // The dataset's costs were billed at the models file's prices: a price event rescales them.
      REPLAY_PRICES_FILE: modelsPath,
      PRICES_FILE: hotAdd ? hotAdd.startingModelsFile(logDir) : modelsPath,
      ADMIN_TOKEN: `e2e-${runId}`,
      QUERIES_GROUP_ID: `router-${runId}`,
      AGGREGATOR_GROUP_ID: `reward-aggregator-${runId}`,
      PLANNER_GROUP_ID: `batch-planner-${runId}`,
      ...(opts.budget !== null && { BUDGET_PER_QUERY_USD: String(opts.budget) }),
      ...(opts.warmStart && { WARM_START_FILE: resolve(opts.warmStart) }),
      ...(opts.scopeCap !== null && { SCOPE_BUDGETS: JSON.stringify({ [scope]: { dayUsd: opts.scopeCap } }) }),
      ...batchPlannerEnv(),
    };
    const sasl = infra.kafkaSasl;
    // Each service connects as its own principal, the ACLs allowing it its topics and groups only.
    const envOf = (app: KafkaPrincipal) => (sasl ? { ...env, ...saslServiceEnv(sasl, app) } : env);
    say(`starting services (logs in ${logDir})`);
    services.push(
      await startServiceProcess(
        { app: 'price-watcher', name: 'price-watcher', env: envOf('price-watcher') },
        await freePort(),
        logDir,
      ),
    );
    const aggregators = await Promise.all(
      Array.from({ length: opts.aggregators }, async (_, i) =>
        startServiceProcess(
          { app: 'reward-aggregator', name: `reward-aggregator-${i}`, env: envOf('reward-aggregator') },
          await freePort(),
          logDir,
          profiled,
        ),
      ),
    );
    services.push(...aggregators);
    services.push(
      await startServiceProcess(
        { app: 'batch-planner', name: 'batch-planner', env: envOf('batch-planner') },
        await freePort(),
        logDir,
        profiled,
      ),
    );
    const routers: RunningService[] = [];
    for (let i = 0; i < opts.routers; i++)
      routers.push(
        await startServiceProcess(
          { app: 'router', name: `router-${i}`, env: envOf('router') },
          await freePort(),
          logDir,
          profiled,
        ),
      );
    services.push(...routers);

    // The load is an application (principal `client`); counting the dead letters takes the super user.
    const kafkaAs = (clientId: string, who: KafkaPrincipal | typeof KAFKA_ADMIN_USER) =>
      new Kafka({
        clientId,
        brokers: infra.kafkaBrokers,
        logLevel: logLevel.NOTHING,
        ...(sasl && { sasl: saslOptions(sasl, who) }),
      });
    const kafka = kafkaAs(`e2e-client-${runId}`, 'client');
    const kafkaProducer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await kafkaProducer.connect();
    // One request per partition: a kafkajs retry after a leader change can drop records otherwise.
    const producer = new PartitionedProducer(kafka, kafkaProducer);
    const consumer = kafka.consumer({ groupId: `client-e2e-${runId}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [Topic.Responses], fromBeginning: true });
    // Batch mode: the planner's assignments, whose order the replay is also run in (planner-order.ts).
    const assignments: BatchAssignmentEvent[] = [];
    const assignmentConsumer =
      opts.mode === 'batch' ? kafka.consumer({ groupId: `client-e2e-assignments-${runId}` }) : null;
    if (assignmentConsumer) {
      await assignmentConsumer.connect();
      await assignmentConsumer.subscribe({ topics: [Topic.BatchAssignments], fromBeginning: true });
      await assignmentConsumer.run({
        eachMessage: async ({ message }) => {
          const e = JSON.parse(message.value!.toString()) as BatchAssignmentEvent;
          if (e.scope === scope) assignments.push(e);
        },
      });
    }

    // The replay's order (seeded shuffle by default), repeated when more queries than rows are asked for.
    const ordered = orderRows(
      rows.map((r, i) => ({ ...r, index: i })),
      opts.order,
      opts.seed,
    ).map((r) => r.index);
    const sentRows = Array.from({ length: opts.queries }, (_, j) => ordered[j % ordered.length]);

    const sentAt = new Map<string, number>();
    const answers = new Map<string, { at: number }>();
    const answered: Answered[] = [];
    const latencies: number[] = [];
    let duplicated = 0;
    let feedbackSent = 0;
    const bar = process.stderr.isTTY
      ? new SingleBar(
          { format: ' answered {bar} {value}/{total} | {rate} q/s', hideCursor: true },
          Presets.shades_classic,
        )
      : null;
    bar?.start(opts.queries, 0, { rate: 0 });
    const otherServices = services.filter((s) => !routers.includes(s) && !aggregators.includes(s));
    const pidsOf = (list: RunningService[]) => list.map((s) => s.proc.pid);
    // Services summed per kind, PostgreSQL with its backends, this process as the load generator, and
    // the whole machine, which also counts other jobs on a shared box. /proc cannot tell on another
    // OS, nor for a broker or database this command did not start.
    const cpu: CpuReaders<StackPart> = {
      router: () => processesCpuMs(pidsOf(routers)),
      aggregator: () => processesCpuMs(pidsOf(aggregators)),
      otherServices: () => processesCpuMs(pidsOf(otherServices)),
      broker: () => treeCpuMs(infra.local?.kafkaPid),
      postgres: () => treeCpuMs(infra.local?.postgresPid),
      loadGenerator: ownCpuMs,
      machine: machineBusyMs,
    };
    // Rows and transactions of the run's database, per query: what PostgreSQL's CPU goes on.
    const db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    const dbBefore = await databaseActivity(db);
    const cpuBefore = readCpu(cpu);
    const t0 = Date.now();
    const feedbackQueue: { key: string; value: string }[] = [];

    await consumer.run({
      eachMessage: async ({ message }) => {
        const r = JSON.parse(message.value!.toString());
        if (r.scope !== scope) return;
        if (answers.has(r.id)) {
          duplicated += 1;
          return;
        }
        const at = Date.now();
        answers.set(r.id, { at });
        latencies.push(at - sentAt.get(r.id)!);
        if (r.error && !r.output) return;
        const index = sentIndexOf(r.id);
        const row = sentRows[index];
        answered.push({ index, row, model: r.model, costUsd: r.costUsd });
        // The dataset's judged quality goes back as feedback in the background, batched:
        // awaiting each send here would make this client, not the router, the bottleneck.
        feedbackQueue.push({
          key: scope,
          value: JSON.stringify({
            decisionId: r.decisionId,
            scope,
            quality: rows[row].arms[r.model]?.reward ?? 0,
            source: 'replay',
            ts: new Date().toISOString(),
          }),
        });
        bar?.update(answers.size, { rate: round(answers.size / ((Date.now() - t0) / 1000), 0) });
      },
    });
    let feedbackFailed: unknown = null;
    const feedbackPump = setInterval(() => {
      const batch = feedbackQueue.splice(0);
      if (batch.length === 0) return;
      producer
        .send({ topic: Topic.Feedback, messages: batch })
        .then(() => (feedbackSent += batch.length))
        .catch((e) => (feedbackFailed = e));
    }, 20);

    const queries = sentRows.map((row, j) => {
      const id = queryId(j);
      return {
        id,
        key: id,
        value: JSON.stringify({
          id,
          scope,
          messages: [{ role: 'user', content: rows[row].prompt }],
          datasetRow: row,
          ...(opts.mode === 'batch' && { constraints: { mode: 'batch' } }),
          ts: new Date().toISOString(),
        }),
      };
    });
    const onSent = (id: string, at: number) => sentAt.set(id, at);
    if (hotAdd) {
      await sendQueries(producer, Topic.Queries, queries.slice(0, hotAdd.added.at), opts.rate, onSent);
      await hotAdd.add(services[0].url, env.ADMIN_TOKEN);
      say(`added ${hotAdd.added.arm} after query ${hotAdd.added.at}`);
      await sendQueries(producer, Topic.Queries, queries.slice(hotAdd.added.at), opts.rate, onSent);
    } else {
      await sendQueries(producer, Topic.Queries, queries, opts.rate, onSent);
    }
    const sent = sentAt.size;

    const deadline = Date.now() + opts.timeout * 1000;
    while (answers.size < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const lastAnswer = Math.max(...[...answers.values()].map((a) => a.at), t0 + 1);
    const eventLoop = routerEventLoop(await scrapeMetrics(routers));
    bar?.stop();
    while ((feedbackQueue.length > 0 || feedbackSent < answered.length) && !feedbackFailed && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    clearInterval(feedbackPump);
    if (feedbackFailed) throw feedbackFailed;

    // Wait for the aggregator(s) to apply every reward, then read the ledger itself.
    const ledger = async () =>
      (
        await db.query(
          'SELECT count(*)::int AS n, (extract(epoch from max(applied_at)) * 1000)::float8 AS last FROM rewards WHERE scope = $1',
          [scope],
        )
      ).rows[0] as { n: number; last: number | null };
    let applied = await ledger();
    while (applied.n < feedbackSent && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      applied = await ledger();
    }
    const cpuAfter = readCpu(cpu);
    // Late rewards land, and PostgreSQL publishes a backend's counts within a second of its transactions.
    await new Promise((r) => setTimeout(r, 1000));
    const dbAfter = await databaseActivity(db);
    applied = await ledger();
    const policy = (await db.query('SELECT version, rewards_applied FROM policy_state WHERE scope = $1', [scope]))
      .rows[0];
    await db.end();
    // One scrape of each service at the end serves every figure read from /metrics.
    const [routerScrapes, aggregatorScrapes] = await Promise.all([scrapeMetrics(routers), scrapeMetrics(aggregators)]);
    // The time each router adds (consumed to response acknowledged, model call excluded).
    const added = summaryAcross(routerScrapes, 'router_added_latency_seconds');
    const delay = learningDelay(routerScrapes, aggregatorScrapes);
    const pacing = await routerPacing(routers, scope);
    const budgetCapped = routerScrapes.reduce((n, text) => n + counterValue(text, 'router_budget_capped_total'), 0);
    await consumer.disconnect();
    await assignmentConsumer?.disconnect();
    await producer.close();
    await kafkaProducer.disconnect();

    const learning = learningFigures(sentRows, answered, rows, opts.budget, hotAdd?.added);
    const replayArgs = {
      policy: opts.policy,
      seed: opts.seed,
      budget: opts.budget,
      lambda: opts.lambda,
      warmStart: opts.warmStart,
      models: modelsPath,
      batchSize: opts.mode === 'batch' ? opts.batchSize : undefined,
      explore: opts.explore,
      recentCorrection: opts.recentCorrection,
      kindCosts: opts.kindCosts,
      added: hotAdd?.added,
    };
    const replay = opts.replay ? replaySameSequence(sentRows, rows, logDir, replayArgs) : null;
    const planned =
      opts.replay && opts.mode === 'batch' ? plannerOrder(assignments, sent, opts.batchSize, sentIndexOf) : null;
    if (planned && 'unavailable' in planned) say(`no replay of the planner's order: ${planned.unavailable}`);
    const plannerReplay =
      planned && 'order' in planned
        ? replayPlannerOrder(
            planned.order.map((j) => sentRows[j]),
            rows,
            logDir,
            replayArgs,
          )
        : null;
    // Per query, the replay again with the run's own learning delay: what the delay costs, apart from the rest.
    const throughputPerSec = answers.size / ((lastAnswer - t0) / 1000);
    const matchedDelay = opts.replay && opts.mode === 'query' ? feedbackDelayOf(delay.p50Ms, throughputPerSec) : null;
    const replayDelayed =
      matchedDelay === null ? null : replayWithDelay(sentRows, rows, logDir, replayArgs, matchedDelay);
    const { replayBySource, ...replayFigures } = replay ?? {};
    const bySource =
      opts.mode === 'batch' && replayBySource ? liveBySource(answered, rows, opts.budget, sent, replayBySource) : null;
    const result = {
      sent,
      answered: answers.size,
      lost: sent - answers.size,
      duplicated,
      dlq: null as number | null,
      feedbackSent,
      rewardsApplied: applied.n,
      ...learning,
      ...(replay ? replayFigures : { replayMeanQuality: null, replayPctOfOracle: null, replayBudgetRatio: null }),
      replayDelayed,
      ...(opts.mode === 'batch' && batchGain(learning.meanQuality, replay)),
      ...(opts.mode === 'batch' && {
        replayPlannerOrderMeanQuality: plannerReplay?.meanQuality ?? null,
        replayPlannerOrderBudgetRatio: plannerReplay?.budgetRatio ?? null,
      }),
      order: opts.order,
      routing: opts.mode,
      batchSize: opts.mode === 'batch' ? opts.batchSize : null,
      budget: opts.budget,
      throughputPerSec: round(throughputPerSec, 1),
      rewardsPerSec: applied.last ? round(applied.n / ((applied.last - t0) / 1000), 1) : null,
      e2eP50Ms: percentile(latencies, 50),
      e2eP99Ms: percentile(latencies, 99),
      addedP50Ms: added.p50Ms,
      addedP99Ms: added.p99Ms,
      routerEventLoopP50Ms: eventLoop.p50Ms,
      routerEventLoopP99Ms: eventLoop.p99Ms,
      routerEventLoopMaxMs: eventLoop.maxMs,
      learningDelay: delay,
      cpuMsPerQuery: cpuPerQuery(cpuBefore, cpuAfter, answers.size),
      dbPerQuery: Object.fromEntries(
        (Object.keys(dbAfter) as (keyof typeof dbAfter)[]).map((k) => [
          k,
          round((dbAfter[k] - dbBefore[k]) / Math.max(1, answers.size), 2),
        ]),
      ),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      rate: opts.rate,
      seed: opts.seed,
      policy: opts.policy,
      policyVersion: policy?.version ?? null,
      routers: opts.routers,
      aggregators: opts.aggregators,
      mode: infra.mode,
      kafkaSecurity: security,
      scopeCapUsd: opts.scopeCap,
      budgetCapped,
      routerPacing: pacing,
      learning: quarters(answered, rows),
      ...(opts.mode === 'batch' && { bySource }),
      ...(hotAdd && {
        addedModel: {
          ...addedModelFigures(answered, sent, hotAdd.added),
          priceFactor: hotAdd.added.factor,
          replayAdaptSteps: replay?.replayAdaptSteps ?? null,
        },
      }),
    };
    result.dlq = await deadLetterCount(kafkaAs(`e2e-admin-${runId}`, KAFKA_ADMIN_USER));
    if (!opts.json) {
      console.log(
        `sent ${result.sent}, answered ${result.answered}, lost ${result.lost}, duplicated ${result.duplicated}, dead-lettered ${result.dlq}`,
      );
      console.log(
        `feedback sent ${result.feedbackSent}, rewards applied ${result.rewardsApplied} (policy version ${result.policyVersion})`,
      );
      console.log(
        `latency p50 ${result.e2eP50Ms} ms, p99 ${result.e2eP99Ms} ms (router-added p50 ${result.addedP50Ms} ms, p99 ${result.addedP99Ms} ms; router event-loop delay p99 ${result.routerEventLoopP99Ms} ms, max ${result.routerEventLoopMaxMs} ms), throughput ${result.throughputPerSec} q/s, rewards ${result.rewardsPerSec}/s`,
      );
      const d = result.learningDelay;
      console.log(
        `routers decide on rewards ${d.p50Ms ?? 'n/a'} ms old (p50: decision to published snapshot ${d.rewardPublishP50Ms ?? 'n/a'} ms, p99 ${d.rewardPublishP99Ms ?? 'n/a'} ms; the snapshot a decision uses is ${d.policyAgeP50Ms ?? 'n/a'} ms old, p99 ${d.policyAgeP99Ms ?? 'n/a'} ms, of which ${d.snapshotApplyP50Ms ?? 'n/a'} ms before it was put in use)`,
      );
      const cpu = result.cpuMsPerQuery;
      console.log(
        `CPU ms per query: ${Object.entries(cpu)
          .map(([k, v]) => `${k} ${v ?? 'n/a'}`)
          .join(', ')}`,
      );
      console.log(
        `live:   mean quality ${result.meanQuality} (${result.pctOfOracle} of oracle ${result.oracleQuality}), mean cost $${result.meanCostUsd}, budget ratio ${result.budgetRatio}`,
      );
      if (replay)
        console.log(
          `replay: mean quality ${replay.replayMeanQuality} (${replay.replayPctOfOracle} of oracle), budget ratio ${replay.replayBudgetRatio}`,
        );
      if (replayDelayed)
        console.log(
          `replay with the live delay (--feedback-delay ${replayDelayed.feedbackDelay}): mean quality ${replayDelayed.meanQuality} (${replayDelayed.pctOfOracle} of oracle), budget ratio ${replayDelayed.budgetRatio}`,
        );
      if (replay?.replayPerQueryMeanQuality != null)
        console.log(
          `batch gain over the replay's per-query routing (${replay.replayPerQueryMeanQuality}): live ${pct(result.gainPct)}, replay ${pct(replay.replayGainPct)}`,
        );
      if (bySource) console.log(liveSourceTable(bySource));
      if (result.addedModel) {
        const a = result.addedModel;
        console.log(
          `added ${a.model} at query ${a.at}: ${a.calls} calls, adapt steps live ${a.adaptSteps ?? 'never'}, replay ${a.replayAdaptSteps ?? 'never'}`,
        );
      }
      if (result.learning) {
        const l = result.learning;
        console.log(
          `first quarter -> last quarter: mean quality ${l.firstQuarter.meanQuality} -> ${l.lastQuarter.meanQuality}, mean cost $${l.firstQuarter.meanCostUsd} -> $${l.lastQuarter.meanCostUsd}`,
        );
        // A contextual policy beats the best single model by leaving it where a cheaper one is as good.
        console.log(
          `share of the best single model (${l.bestArm}): ${l.firstQuarter.bestArmShare} -> ${l.lastQuarter.bestArmShare}`,
        );
        console.log(
          `calls per model: ${Object.entries(l.callsByModel)
            .map(([m, n]) => `${m} ${n}`)
            .join(', ')}`,
        );
      }
    }
    console.log(JSON.stringify(result));
    if (result.lost > 0 || result.duplicated > 0 || result.rewardsApplied !== result.feedbackSent) exitCode = 1;
  } catch (e) {
    say(`failed: ${(e as Error).message}`);
    exitCode = 1;
  } finally {
    await stopServices(services);
    await infra.stop();
  }
  process.exit(exitCode);
}

/**
 * The batch-planner for a run in batch mode: windows of --batch-size, closed by count (the wait
 * only closes the last, short one), and the run's budget as one period of exactly its queries,
 * so the planner paces what the replay's batch mode paces. Mean objective, as the replay's
 * default. Per-query runs leave the planner's defaults.
 */
function batchPlannerEnv(): Record<string, string> {
  if (opts.mode !== 'batch') return {};
  return {
    BATCH_WINDOW_SIZE: String(opts.batchSize),
    BATCH_WINDOW_MS: String(BATCH_LAST_WINDOW_MS),
    BATCH_PACE_BY: 'queries',
    BATCH_EXPECTED_QUERIES: String(opts.queries),
    BATCH_ROBUST: 'false',
    // Every window on a policy that learned from the windows before it, as in the replay.
    BATCH_FEEDBACK_WAIT_MS: String(BATCH_FEEDBACK_WAIT_MS),
    BATCH_EXPLORE: String(opts.explore),
    BATCH_RECENT_CORRECTION: opts.recentCorrection,
    BATCH_KIND_COSTS: String(opts.kindCosts === 'on'),
    ...(opts.budget !== null && { BATCH_BUDGET_USD: String(opts.budget * opts.queries) }),
  };
}

/** Longest wait of a window for the rewards of the one before (the run sends feedback at once). */
const BATCH_FEEDBACK_WAIT_MS = 10_000;

/** Longest wait of a window in batch mode: long enough that windows close by count at any --rate above 50/s. */
const BATCH_LAST_WINDOW_MS = 3000;

/** Live batch routing against the replay's per-query routing of the same rows: the replay's gainPct, measured live. */
function batchGain(meanQuality: number, replay: ReplayComparison | null) {
  const perQuery = replay?.replayPerQueryMeanQuality ?? null;
  return { gainPct: perQuery ? round(100 * (meanQuality / perQuery - 1), 2) : null };
}

/** Batch mode, per source: live against the replay of the same rows, and each one's part of the gain. */
function liveSourceTable(sources: readonly LiveSource[]): string {
  const share = (x: number | null) => (x === null ? '-' : (100 * x).toFixed(1));
  return textTable(
    ['source', 'rows', 'quality replay per-query / batch / live', 'budget % live', 'gain (pp) replay / live'],
    sources.map((s) => [
      s.source,
      String(s.rows),
      `${s.replayPerQueryMeanQuality.toFixed(3)} / ${s.replayMeanQuality.toFixed(3)} / ${s.meanQuality.toFixed(3)}`,
      share(s.budgetShare),
      `${signed(s.replayGainPct)} / ${signed(s.gainPct)}`,
    ]),
  );
}

const pct = (x: number | null | undefined) => (x == null ? 'n/a' : `${x >= 0 ? '+' : ''}${x}%`);

type StackPart = 'router' | 'aggregator' | 'otherServices' | 'broker' | 'postgres' | 'loadGenerator' | 'machine';

/**
 * CPU ms per answered query of each part over the measured window (first send to last reward
 * applied), null where /proc cannot tell, and `stack` their sum; `machine` minus `stack` is what
 * other jobs took meanwhile.
 */
function cpuPerQuery(
  before: CpuReading<StackPart>,
  after: CpuReading<StackPart>,
  queries: number,
): Record<StackPart | 'stack', number | null> {
  const perQuery = cpuMsPerUnit(before, after, queries);
  const out = {} as Record<StackPart | 'stack', number | null>;
  let stack: number | null = 0;
  for (const part of Object.keys(perQuery) as StackPart[]) {
    const v = perQuery[part] ?? null;
    out[part] = v;
    if (part !== 'machine') stack = v === null || stack === null ? null : stack + v;
  }
  out.stack = stack === null ? null : round(stack, 3);
  return out;
}

/**
 * Each router's pacer of the run's scope at the end (its /health `pacing` check): lambda, the
 * re-aimed target, the debt it has not paid back, its decisions and its share of the fleet's.
 * Null for a router that does not answer or does not pace.
 */
async function routerPacing(routers: RunningService[], scope: string): Promise<(Record<string, number> | null)[]> {
  type Health = { checks?: { pacing?: { scopes?: Record<string, Record<string, number>> } } };
  const health = await askEach(routers, '/health', (res) => res.json() as Promise<Health>, null);
  return health.map((h) => h?.checks?.pacing?.scopes?.[scope] ?? null);
}

/** Each service's /metrics text ('' when it does not answer). */
function scrapeMetrics(services: RunningService[]): Promise<string[]> {
  return askEach(services, '/metrics', (res) => res.text(), '');
}

/** What each service answers on `path`, read by `read`; `fallback` for one that does not answer. */
function askEach<T>(services: RunningService[], path: string, read: (res: Response) => Promise<T>, fallback: T) {
  return Promise.all(
    services.map((s) =>
      fetch(`${s.url}${path}`)
        .then(read)
        .catch(() => fallback),
    ),
  );
}

/** A quantile of a summary or gauge in a Prometheus scrape, in ms (its unit is seconds); NaN when absent. */
function quantileMs(text: string, metric: string, quantile: string): number {
  const m = text.match(new RegExp(`^${metric}\\{[^}]*quantile="${quantile}"[^}]*\\} ([0-9.eE+-]+)$`, 'm'));
  return m ? Number(m[1]) * 1000 : NaN;
}

/** An unlabelled counter's value in a Prometheus scrape; 0 when absent. */
function counterValue(text: string, metric: string): number {
  const m = text.match(new RegExp(`^${metric} ([0-9.eE+-]+)$`, 'm'));
  return m ? Number(m[1]) : 0;
}

/**
 * A summary (in seconds) as several services export it: the median of their p50 and the worst
 * p99, in ms; null when none exports it.
 */
function summaryAcross(scrapes: string[], metric: string): { p50Ms: number | null; p99Ms: number | null } {
  const p50 = scrapes.map((t) => quantileMs(t, metric, '0.5')).filter(Number.isFinite);
  const p99 = scrapes.map((t) => quantileMs(t, metric, '0.99')).filter(Number.isFinite);
  return {
    p50Ms: p50.length ? round(percentile(p50, 50), 3) : null,
    p99Ms: p99.length ? round(Math.max(...p99), 3) : null,
  };
}

/**
 * How old the rewards are that the routers decide on, in two parts: from a decision to the
 * aggregator's published snapshot that has learnt its reward (`aggregator_reward_publish_delay_seconds`:
 * this run's feedback path, batching, debounce), then the age of the snapshot each decision is
 * made with (`router_policy_age_seconds`: transport, decoding, and the time it stays in use until
 * the next SNAPSHOT_APPLY_MS tick). Their p50s added, times the decision rate, is about the
 * replay's `--feedback-delay` that matches the run. `snapshotApply*`: the snapshot's age when it
 * is put in use (`replica_snapshot_apply_delay_seconds`), the part of the policy's age before it.
 */
function learningDelay(routerScrapes: string[], aggregatorScrapes: string[]) {
  const publish = summaryAcross(aggregatorScrapes, 'aggregator_reward_publish_delay_seconds');
  const apply = summaryAcross(routerScrapes, 'replica_snapshot_apply_delay_seconds');
  const age = summaryAcross(routerScrapes, 'router_policy_age_seconds');
  return {
    rewardPublishP50Ms: publish.p50Ms,
    rewardPublishP99Ms: publish.p99Ms,
    snapshotApplyP50Ms: apply.p50Ms,
    snapshotApplyP99Ms: apply.p99Ms,
    policyAgeP50Ms: age.p50Ms,
    policyAgeP99Ms: age.p99Ms,
    p50Ms: publish.p50Ms === null || age.p50Ms === null ? null : round(publish.p50Ms + age.p50Ms, 3),
  };
}

/**
 * The routers' event-loop delay over the last 10 s of the run: `event_loop_delay_seconds` is a
 * window sliding in 1 s slices that no scrape resets (libs/io/service event-loop-delay.ts), so a
 * run shorter than that also counts the idle seconds before it, and a longer one only its end.
 * The worst router's figures; null when the routers do not export it (or ran under 1 s).
 */
function routerEventLoop(scrapes: string[]): {
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
} {
  const worst = (quantile: string) => {
    const v = scrapes.map((t) => quantileMs(t, 'event_loop_delay_seconds', quantile)).filter(Number.isFinite);
    return v.length ? round(Math.max(...v), 3) : null;
  };
  return { p50Ms: worst('0.5'), p99Ms: worst('0.99'), maxMs: worst('max') };
}

main().catch((e: unknown) => {
  // Bad usage found after parsing (a model not in the models file, ...): the message, exit code 2.
  process.stderr.write(`e2e: ${(e as Error).message}\n`);
  process.exit(e instanceof UsageError ? 2 : 1);
});
