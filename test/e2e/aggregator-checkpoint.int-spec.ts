import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Producer } from 'kafkajs';
import { Topic } from '@llm-router/contracts';
import { freePort } from '@llm-router/infra';
import { RunningService, startServiceProcess } from '../../tools/lib/services';
import { brokers, plainProducer, waitFor } from '../support/kafka-test-kit';
import { freshDatabase } from '../support/database';

const SCOPE = 'cp';
const N = 120;
const ARMS = ['a', 'b', 'c'];
/** Generous: two aggregators start from source on a busy machine. */
const WAIT_MS = 240000;

/**
 * The policy state is checkpointed only now and then; a SIGKILL between two checkpoints loses
 * the learning since the last one in memory, and loading the scope must rebuild it from the
 * reward ledger. Two aggregators (own databases and groups) consume the same log: one is
 * killed between checkpoints and restarted, the other runs through; their stored policies
 * must end equal.
 */
describe('reward aggregator: policy rebuilt from checkpoint + ledger after SIGKILL', () => {
  let producer: Producer;
  const dbs: Record<'killed' | 'steady', { url: string; client: Client }> = {} as never;
  const running: RunningService[] = [];
  const logDir = mkdtempSync(join(tmpdir(), 'llm-router-checkpoint-'));

  const start = async (which: 'killed' | 'steady', checkpointEveryMs: number) => {
    const s = await startServiceProcess(
      {
        app: 'reward-aggregator',
        name: `aggregator-${which}`,
        env: {
          KAFKA_BROKERS: brokers().join(','),
          DATABASE_URL: dbs[which].url,
          AGGREGATOR_GROUP_ID: `aggregator-cp-${which}`,
          ROUTER_POLICY: 'auto',
          FEATURE_DIM: '24',
          CHECKPOINT_EVERY_MS: String(checkpointEveryMs),
          CHECKPOINT_EVERY_REWARDS: '100000',
          LOG_LEVEL: 'warn',
        },
      },
      await freePort(),
      logDir,
      { timeoutMs: WAIT_MS },
    );
    running.push(s);
    return s;
  };
  const rewards = async (which: 'killed' | 'steady') =>
    (await dbs[which].client.query(`SELECT count(*)::int AS n FROM rewards WHERE scope = $1`, [SCOPE])).rows[0]
      .n as number;
  const stored = async (which: 'killed' | 'steady') =>
    (
      await dbs[which].client.query(
        `SELECT state, state_seq, rewards_applied, cumulative_reward FROM policy_state WHERE scope = $1`,
        [SCOPE],
      )
    ).rows[0];

  beforeAll(async () => {
    // No resetTopics: every figure below is of this file's own scope, so other files' records in the topics do not count.
    for (const which of ['killed', 'steady'] as const) {
      const url = await freshDatabase(`cp_${which}`);
      const client = new Client({ connectionString: url });
      await client.connect();
      dbs[which] = { url, client };
    }
    producer = await plainProducer();
  });

  afterAll(async () => {
    for (const s of running) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
    await producer?.disconnect();
    for (const d of Object.values(dbs)) await d?.client.end();
  });

  it('ends with the state of an uninterrupted run', async () => {
    // The killed one never checkpoints on its own (only the row's first write holds a state).
    const killed = await start('killed', 3_600_000);
    await start('steady', 0);
    const ts = new Date().toISOString();
    const decisions = Array.from({ length: N }, (_, i) => ({
      decisionId: `cp-${i}`,
      requestId: `r-${i}`,
      scope: SCOPE,
      policy: 'auto',
      policyVersion: 0,
      arm: ARMS[i % 3],
      propensity: 0.5,
      scores: {},
      features: { [String(i % 24)]: 1, [String((i * 7) % 24)]: 0.5 },
      priceSnapshot: { a: 0.001, b: 0.002, c: 0.0005 },
      lambda: 0.5,
      ts,
    }));
    const feedback = decisions.map((d, i) => ({
      key: SCOPE,
      value: JSON.stringify({
        decisionId: d.decisionId,
        scope: SCOPE,
        quality: ((i * 37) % 11) / 10,
        source: 'replay',
        ts,
      }),
    }));
    // Decisions first, all logged by both, so that the order in which rewards apply is the feedback log's.
    await producer.send({
      topic: Topic.Decisions,
      messages: decisions.map((d) => ({ key: SCOPE, value: JSON.stringify(d) })),
    });
    for (const which of ['killed', 'steady'] as const)
      await waitFor(
        `${which}: decisions`,
        async () =>
          (await dbs[which].client.query(`SELECT count(*)::int AS n FROM decisions WHERE scope = $1`, [SCOPE])).rows[0]
            .n === N,
        WAIT_MS,
      );
    await producer.send({ topic: Topic.Feedback, messages: feedback.slice(0, N / 2) });
    await waitFor('killed: first half', async () => (await rewards('killed')) === N / 2, WAIT_MS);

    // Between checkpoints: the ledger holds rewards the stored state does not.
    const before = await stored('killed');
    const maxSeq = (await dbs.killed.client.query(`SELECT max(seq)::text AS s FROM rewards WHERE scope = $1`, [SCOPE]))
      .rows[0].s as string;
    expect(BigInt(before.state_seq)).toBeLessThan(BigInt(maxSeq));
    killed.proc.kill('SIGKILL');
    await new Promise<void>((r) =>
      killed.proc.exitCode !== null || killed.proc.signalCode ? r() : killed.proc.once('exit', () => r()),
    );

    await start('killed', 0);
    await producer.send({ topic: Topic.Feedback, messages: feedback.slice(N / 2) });
    for (const which of ['killed', 'steady'] as const)
      await waitFor(
        `${which}: every reward learned and checkpointed`,
        async () => {
          const s = await stored(which);
          const last = (
            await dbs[which].client.query(`SELECT max(seq)::text AS s FROM rewards WHERE scope = $1`, [SCOPE])
          ).rows[0].s;
          return s?.rewards_applied === N && String(s.state_seq) === last;
        },
        WAIT_MS,
      );
    const [k, s] = [await stored('killed'), await stored('steady')];
    expect(await rewards('killed')).toBe(N);
    expect(k.cumulative_reward).toBeCloseTo(s.cumulative_reward, 9);
    expect(k.state).toEqual(s.state);
  }, 900000);
});
