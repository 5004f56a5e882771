import { allTopics } from '@llm-router/contracts';
import {
  javaStringHash,
  offsetsPartitionFor,
  partitionsCapFromEnv,
  planTopics,
  retentionDaysFromEnv,
  warmUpGroupIds,
} from './topics';

describe('planTopics', () => {
  const topics = allTopics();

  it('plans every contract topic with one replica and the contract partition counts', () => {
    const plan = planTopics(topics);
    expect(plan.map((t) => t.topic)).toEqual(topics.map((t) => t.name));
    for (const [i, t] of plan.entries()) {
      expect(t.replicationFactor).toBe(1);
      expect(t.numPartitions).toBe(topics[i].partitions);
    }
  });

  it('compacts exactly the compacted topics', () => {
    const plan = planTopics(topics);
    for (const [i, t] of plan.entries()) {
      const compact = t.configEntries?.some((e) => e.name === 'cleanup.policy' && e.value === 'compact');
      expect(compact).toBe(topics[i].compacted);
    }
    expect(plan.some((t) => t.configEntries?.length)).toBe(true);
  });

  it('raises the record size limit where the contract asks (policy snapshots, dead letters)', () => {
    const plan = planTopics(topics);
    const big = plan.filter((t) => t.configEntries?.some((e) => e.name === 'max.message.bytes'));
    // policy.updates, and every dead-letter topic (a letter carries its record in base64).
    const dlqs = topics.filter((t) => t.name.endsWith('.dlq')).map((t) => t.name);
    expect(big.map((t) => t.topic).sort()).toEqual(['policy.updates', ...dlqs].sort());
    expect(big.find((t) => t.topic === 'policy.updates')!.configEntries).toContainEqual({
      name: 'max.message.bytes',
      value: String(16 * 1024 * 1024),
    });
  });

  it('sets retention.ms exactly where the contract gives one (not on compacted topics)', () => {
    const plan = planTopics(allTopics({ retentionDays: 7 }));
    const retention = (name: string) =>
      plan.find((t) => t.topic === name)?.configEntries?.find((e) => e.name === 'retention.ms')?.value;
    expect(retention('llm.queries')).toBe(String(7 * 86_400_000));
    expect(retention('reward.stream')).toBe(String(7 * 86_400_000));
    expect(retention('llm.queries.dlq')).toBe(String(90 * 86_400_000));
    expect(retention('policy.updates')).toBeUndefined();
  });

  it('caps partitions without going below one', () => {
    const plan = planTopics(
      [
        { name: 'big', partitions: 6, compacted: false },
        { name: 'small', partitions: 1, compacted: false },
      ],
      2,
    );
    expect(plan.map((t) => t.numPartitions)).toEqual([2, 1]);
  });
});

describe('partitionsCapFromEnv', () => {
  it('reads a positive integer or nothing', () => {
    expect(partitionsCapFromEnv({})).toBeUndefined();
    expect(partitionsCapFromEnv({ KAFKA_PARTITIONS_CAP: ' 2 ' })).toBe(2);
    expect(() => partitionsCapFromEnv({ KAFKA_PARTITIONS_CAP: '0' })).toThrow(/positive integer/);
    expect(() => partitionsCapFromEnv({ KAFKA_PARTITIONS_CAP: 'many' })).toThrow(/positive integer/);
  });
});

describe('retentionDaysFromEnv', () => {
  it('reads a positive number of days or nothing', () => {
    expect(retentionDaysFromEnv({})).toBeUndefined();
    expect(retentionDaysFromEnv({ RETENTION_DAYS: '7' })).toBe(7);
    expect(retentionDaysFromEnv({ RETENTION_DAYS: '0.5' })).toBe(0.5);
    expect(() => retentionDaysFromEnv({ RETENTION_DAYS: '0' })).toThrow(/positive/);
    expect(() => retentionDaysFromEnv({ RETENTION_DAYS: 'forever' })).toThrow(/positive/);
  });
});

describe('offsets-topic placement', () => {
  it('hashes like java.lang.String#hashCode', () => {
    // Values from the JVM: "".hashCode(), "a".hashCode(), "hello".hashCode(), "polygenelubricants".hashCode()
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('a')).toBe(97);
    expect(javaStringHash('hello')).toBe(99162322);
    expect(javaStringHash('polygenelubricants')).toBe(-2147483648);
    expect(offsetsPartitionFor('polygenelubricants', 3)).toBe(0); // Utils.abs(MIN_VALUE) = 0
  });

  it('picks one warm-up group per offsets partition', () => {
    for (const n of [1, 3, 50]) {
      const ids = warmUpGroupIds(n);
      expect(ids).toHaveLength(n);
      expect(new Set(ids.map((id) => offsetsPartitionFor(id, n))).size).toBe(n);
    }
  });
});
