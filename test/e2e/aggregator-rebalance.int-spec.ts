import { Client } from 'pg';
import { INestApplication } from '@nestjs/common';
import { AssignerProtocol, Partitioners, Producer } from 'kafkajs';
import { Topic } from '@llm-router/contracts';
import { brokers, plainKafka, plainProducer, resetTopics, waitFor } from '../support/kafka-test-kit';
import { freshDatabase } from '../support/database';
import { startAggregator } from '../support/aggregator';
import { decisionEvent, feedbackEvent, keyed } from '../support/ledger-events';

const GROUP = 'reward-aggregator-rebalance';
const PER_SCOPE_AND_PHASE = 5;

/**
 * A scope that moves from aggregator A to B and back to A must not let A write its stale
 * in-memory state over what B persisted: every scope's policy_state must count every reward
 * of the ledger, whoever applied it.
 */
describe('reward aggregator: a scope that moves A -> B -> A keeps every reward', () => {
  let databaseUrl: string;
  let producer: Producer;
  let db: Client;
  const apps = new Map<string, INestApplication>();
  let scopes: string[] = [];
  let sent = 0;

  const start = async (name: string) => {
    apps.set(name, await startAggregator(databaseUrl, GROUP, { KAFKA_CLIENT_ID: name }, name));
  };
  const stop = async (name: string) => {
    await apps.get(name)?.close();
    apps.delete(name);
  };

  /** Partition index of each member of the group, once the group is stable with `members` members. */
  const stableAssignment = (members: number) =>
    waitFor(`a stable group of ${members}`, async () => {
      const admin = plainKafka('rebalance-admin').admin();
      await admin.connect();
      try {
        const [group] = (await admin.describeGroups([GROUP])).groups;
        if (group.state !== 'Stable' || group.members.length !== members) return false;
        const plan = group.members.map((m) => ({
          clientId: m.clientId,
          partitions: AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[Topic.Feedback] ?? [],
        }));
        return plan.every((p) => p.partitions.length > 0) && plan;
      } finally {
        await admin.disconnect();
      }
    });

  /** Scopes that cover every partition of feedback.rewards (the producer's partitioner decides). */
  async function scopesCoveringEveryPartition(): Promise<string[]> {
    const admin = plainKafka('rebalance-admin').admin();
    await admin.connect();
    const { topics } = await admin.fetchTopicMetadata({ topics: [Topic.Feedback] });
    await admin.disconnect();
    const partitionMetadata = topics[0].partitions;
    const partitionOf = Partitioners.DefaultPartitioner();
    const byPartition = new Map<number, string>();
    for (let i = 0; byPartition.size < partitionMetadata.length; i++) {
      const scope = `rb-${i}`;
      const p = partitionOf({ topic: Topic.Feedback, partitionMetadata, message: { key: scope, value: null } });
      if (!byPartition.has(p)) byPartition.set(p, scope);
    }
    return [...byPartition.values()];
  }

  /** Decisions then feedback for every scope; resolves once the ledger holds them all. */
  async function phase(name: string) {
    const ts = new Date().toISOString();
    for (const scope of scopes) {
      const ids = Array.from({ length: PER_SCOPE_AND_PHASE }, (_, i) => `${name}-${scope}-${i}`);
      await producer.send({
        topic: Topic.Decisions,
        messages: ids.map((decisionId, i) => keyed(decisionEvent(scope, decisionId, i % 2 ? 'a' : 'b', { ts }))),
      });
      await producer.send({
        topic: Topic.Feedback,
        messages: ids.map((decisionId, i) => keyed(feedbackEvent(scope, decisionId, (i % 4) / 4, { ts }))),
      });
    }
    sent += scopes.length * PER_SCOPE_AND_PHASE;
    await waitFor(
      `${name}: every reward in the ledger`,
      async () => (await db.query('SELECT count(*)::int AS n FROM rewards')).rows[0].n === sent,
      120000,
    );
  }

  beforeAll(async () => {
    await resetTopics();
    databaseUrl = await freshDatabase('rebalance');
    producer = await plainProducer();
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
    scopes = await scopesCoveringEveryPartition();
  });

  afterAll(async () => {
    for (const name of [...apps.keys()]) await stop(name);
    await producer?.disconnect();
    await db?.end();
  });

  it('policy_state of every scope counts every reward of the ledger', async () => {
    await start('aggregator-a');
    await stableAssignment(1);
    await phase('one'); // A loads every scope into memory.

    await start('aggregator-b');
    const shared = await stableAssignment(2);
    const taken = shared.find((m) => m.clientId === 'aggregator-b')!.partitions;
    expect(taken.length).toBeGreaterThan(0);
    await phase('two'); // B applies the scopes of the partitions it took.

    await stop('aggregator-b');
    await stableAssignment(1);
    await phase('three'); // A owns them again, with what it remembered from phase one.

    const rows = (
      await db.query(
        `SELECT r.scope, count(*)::int AS ledger, p.rewards_applied AS state
           FROM rewards r JOIN policy_state p USING (scope) GROUP BY r.scope, p.rewards_applied ORDER BY r.scope`,
      )
    ).rows;
    expect(rows).toHaveLength(scopes.length);
    for (const r of rows) expect({ scope: r.scope, state: r.state }).toEqual({ scope: r.scope, state: r.ledger });

    // The scenario did happen: A's stale copy was refused and reloaded at least once.
    const metrics = await (
      await fetch(`${(await apps.get('aggregator-a')!.getUrl()).replace('[::1]', '127.0.0.1')}/metrics`)
    ).text();
    const stale = Number(/^aggregator_stale_writes_total (\d+)/m.exec(metrics)?.[1] ?? 0);
    expect(stale).toBeGreaterThan(0);
  });
});
