/**
 * npm run -s e2e -- --json : the whole stack on a real Kafka and PostgreSQL. Produces N
 * queries with a plain kafkajs client, answers them through the replay provider, sends the
 * dataset's quality back as feedback, and checks that nothing was lost or counted twice.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client } from 'pg';
import { SingleBar, Presets } from 'cli-progress';
import { parseDataset, Topic } from '@llm-router/contracts';
import { createDatabase, freePort, startInfrastructure } from '@llm-router/infra';
import { RunningService, startServiceProcess, stopServices } from '../lib/services';
import { percentile, round } from '../lib/stats';
import { num } from '../lib/cli';
import { writeSyntheticDataset } from '../lib/synthetic-data';

const ROOT = resolve(__dirname, '../..');

const opts = new Command('e2e')
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
  .option('--rate <qps>', 'send rate in queries per second (0 = as fast as possible)', num('--rate', { min: 0 }), 0)
  .option(
    '--timeout <s>',
    'give up waiting for answers and rewards after this long',
    num('--timeout', { integer: true, positive: true }),
    300,
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
    json?: boolean;
  }>();

const say = (msg: string) => process.stderr.write(`[e2e] ${msg}\n`);

async function main() {
  let dataPath = opts.data;
  let modelsPath = opts.models;
  if (!existsSync(dataPath)) {
    const gen = writeSyntheticDataset(Math.max(500, Math.min(opts.queries, 5000)));
    say(`${dataPath} not found: using generated data in ${gen.dir}`);
    dataPath = gen.dataPath;
    modelsPath = gen.modelsPath;
  }
  if (!modelsPath) {
    const rows0 = parseDataset(readFileSync(dataPath, 'utf8').split('\n', 1)[0]);
    const k = Object.keys(rows0[0].arms).length;
    modelsPath = [join(dirname(dataPath), `models_k${k}.json`), join(dirname(dataPath), 'models.json')].find(
      existsSync,
    );
    if (!modelsPath) throw new Error(`no models file beside ${dataPath}: pass --models`);
  }
  const rows = parseDataset(readFileSync(dataPath, 'utf8'));
  say(`dataset ${dataPath}: ${rows.length} rows, models ${modelsPath}`);

  const infra = await startInfrastructure();
  const services: RunningService[] = [];
  const runId = Date.now().toString(36);
  const scope = `e2e-${runId}`;
  const logDir = mkdtempSync(join(tmpdir(), 'llm-router-e2e-'));
  let exitCode = 0;
  try {
    // A database of its own: a run never mixes with earlier runs' state.
    const databaseUrl = await createDatabase(infra.databaseUrl, 'e2e');
    const env = {
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      ROUTER_POLICY: opts.policy,
      PROVIDER: 'replay',
      REPLAY_DATASET: dataPath,
      PRICES_FILE: modelsPath!,
      ADMIN_TOKEN: `e2e-${runId}`,
      QUERIES_GROUP_ID: `router-${runId}`,
      AGGREGATOR_GROUP_ID: `reward-aggregator-${runId}`,
      PLANNER_GROUP_ID: `batch-planner-${runId}`,
    };
    say(`starting services (logs in ${logDir})`);
    services.push(
      await startServiceProcess({ app: 'price-watcher', name: 'price-watcher', env }, await freePort(), logDir),
    );
    const aggregators = await Promise.all(
      Array.from({ length: opts.aggregators }, async (_, i) =>
        startServiceProcess(
          { app: 'reward-aggregator', name: `reward-aggregator-${i}`, env },
          await freePort(),
          logDir,
        ),
      ),
    );
    services.push(...aggregators);
    services.push(
      await startServiceProcess({ app: 'batch-planner', name: 'batch-planner', env }, await freePort(), logDir),
    );
    for (let i = 0; i < opts.routers; i++)
      services.push(await startServiceProcess({ app: 'router', name: `router-${i}`, env }, await freePort(), logDir));

    const kafka = new Kafka({
      clientId: `e2e-client-${runId}`,
      brokers: infra.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const consumer = kafka.consumer({ groupId: `e2e-client-${runId}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [Topic.Responses], fromBeginning: true });

    const sentAt = new Map<string, number>();
    const answers = new Map<string, { model: string; at: number; row: number }>();
    const latencies: number[] = [];
    let duplicated = 0;
    let feedbackSent = 0;
    const decisionsInOrder: { model: string; quality: number; cost: number }[] = [];
    const bar = process.stderr.isTTY
      ? new SingleBar(
          { format: ' answered {bar} {value}/{total} | {rate} q/s', hideCursor: true },
          Presets.shades_classic,
        )
      : null;
    bar?.start(opts.queries, 0, { rate: 0 });
    const t0 = Date.now();

    await consumer.run({
      eachMessage: async ({ message }) => {
        const r = JSON.parse(message.value!.toString());
        if (r.scope !== scope) return;
        if (answers.has(r.id)) {
          duplicated += 1;
          return;
        }
        const row = Number(r.id.split('-').pop()) % rows.length;
        answers.set(r.id, { model: r.model, at: Date.now(), row });
        latencies.push(Date.now() - sentAt.get(r.id)!);
        const quality = rows[row].arms[r.model]?.reward ?? 0;
        decisionsInOrder.push({ model: r.model, quality, cost: r.costUsd });
        // The judge's feedback goes out in the background, batched: awaiting each send here
        // would make this client, not the router, the bottleneck being measured.
        feedbackQueue.push({
          key: scope,
          value: JSON.stringify({
            decisionId: r.decisionId,
            scope,
            quality,
            source: 'judge',
            ts: new Date().toISOString(),
          }),
        });
        bar?.update(answers.size, { rate: round(answers.size / ((Date.now() - t0) / 1000), 0) });
      },
    });
    const feedbackQueue: { key: string; value: string }[] = [];
    let feedbackFailed: unknown = null;
    const feedbackPump = setInterval(() => {
      const batch = feedbackQueue.splice(0);
      if (batch.length === 0) return;
      producer
        .send({ topic: Topic.Feedback, messages: batch })
        .then(() => (feedbackSent += batch.length))
        .catch((e) => (feedbackFailed = e));
    }, 20);

    const chunk = 50;
    for (let i = 0; i < opts.queries; i += chunk) {
      const msgs = [];
      for (let j = i; j < Math.min(opts.queries, i + chunk); j++) {
        const id = `${scope}-${j}`;
        const row = j % rows.length;
        sentAt.set(id, Date.now());
        msgs.push({
          key: id,
          value: JSON.stringify({
            id,
            scope,
            messages: [{ role: 'user', content: rows[row].prompt }],
            datasetRow: row,
            ts: new Date().toISOString(),
          }),
        });
      }
      await producer.send({ topic: Topic.Queries, messages: msgs });
      if (opts.rate > 0) await new Promise((r) => setTimeout(r, (1000 * chunk) / opts.rate));
    }
    const sent = sentAt.size;

    const deadline = Date.now() + opts.timeout * 1000;
    while (answers.size < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const elapsed = (Math.max(...[...answers.values()].map((a) => a.at), t0 + 1) - t0) / 1000;
    bar?.stop();
    while ((feedbackQueue.length > 0 || feedbackSent < answers.size) && !feedbackFailed && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    clearInterval(feedbackPump);
    if (feedbackFailed) throw feedbackFailed;

    // Wait for the aggregator(s) to apply every reward, then read the ledger itself.
    const db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    let rewardsApplied = 0;
    while (Date.now() < deadline) {
      rewardsApplied = (await db.query('SELECT count(*)::int AS n FROM rewards WHERE scope = $1', [scope])).rows[0].n;
      if (rewardsApplied >= feedbackSent) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    await new Promise((r) => setTimeout(r, 1000));
    rewardsApplied = (await db.query('SELECT count(*)::int AS n FROM rewards WHERE scope = $1', [scope])).rows[0].n;
    const policy = (await db.query('SELECT version, rewards_applied FROM policy_state WHERE scope = $1', [scope]))
      .rows[0];
    await db.end();
    await consumer.disconnect();
    await producer.disconnect();

    const quarter = Math.floor(decisionsInOrder.length / 4);
    const learning = quarter > 0 ? learningFigures(decisionsInOrder, quarter, rows) : null;
    const result = {
      sent,
      answered: answers.size,
      lost: sent - answers.size,
      duplicated,
      feedbackSent,
      rewardsApplied,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      throughputPerSec: round(answers.size / elapsed, 1),
      policy: opts.policy,
      policyVersion: policy?.version ?? null,
      routers: opts.routers,
      aggregators: opts.aggregators,
      mode: infra.mode,
      learning,
    };
    if (!opts.json) {
      console.log(
        `sent ${result.sent}, answered ${result.answered}, lost ${result.lost}, duplicated ${result.duplicated}`,
      );
      console.log(
        `feedback sent ${result.feedbackSent}, rewards applied ${result.rewardsApplied} (policy version ${result.policyVersion})`,
      );
      console.log(`latency p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, throughput ${result.throughputPerSec} q/s`);
      if (learning) {
        console.log(
          `learning (first quarter -> last quarter): mean quality ${learning.firstQuarter.meanQuality} -> ${learning.lastQuarter.meanQuality}, mean cost $${learning.firstQuarter.meanCostUsd} -> $${learning.lastQuarter.meanCostUsd}`,
        );
        // A contextual policy beats the best single model by leaving it where a cheaper one is as good.
        console.log(
          `share of the best single model (${learning.bestArm}): ${learning.firstQuarter.bestArmShare} -> ${learning.lastQuarter.bestArmShare}`,
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

function learningFigures(
  ds: { model: string; quality: number; cost: number }[],
  quarter: number,
  rows: { arms: Record<string, { reward: number }> }[],
) {
  const means: Record<string, number> = {};
  for (const m of Object.keys(rows[0].arms))
    means[m] = rows.reduce((s, r) => s + (r.arms[m]?.reward ?? 0), 0) / rows.length;
  const bestArm = Object.keys(means).sort((a, b) => means[b] - means[a])[0];
  const fig = (part: typeof ds) => ({
    meanQuality: round(part.reduce((s, d) => s + d.quality, 0) / part.length),
    meanCostUsd: round(part.reduce((s, d) => s + d.cost, 0) / part.length, 6),
    bestArmShare: round(part.filter((d) => d.model === bestArm).length / part.length),
  });
  return { bestArm, firstQuarter: fig(ds.slice(0, quarter)), lastQuarter: fig(ds.slice(-quarter)) };
}

main();
