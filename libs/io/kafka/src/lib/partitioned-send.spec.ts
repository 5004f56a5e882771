import { Partitioners, ProducerRecord } from 'kafkajs';
import { defaultPartitionOf, sendBatchByPartition, splitByPartition } from './partitioned-send';

describe('partitioned sends (kafkajs#1303 workaround)', () => {
  const counts: Record<string, number> = { a: 3, b: 6 };
  const partitionOf = defaultPartitionOf((t) => counts[t]);

  it('picks the partition kafkajs itself would pick for a keyed record', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const key of ['default', 'scope-1', 'chaos-x-17', 'ü']) {
      const partitionMetadata = [0, 1, 2].map((partitionId) => ({
        partitionId,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      expect(partitionOf('a', { key, value: 'v' })).toBe(
        kafkajs({ topic: 'a', partitionMetadata, message: { key, value: 'v' } }),
      );
    }
  });

  it('keeps an explicit partition, and spreads keyless records over every partition', () => {
    expect(partitionOf('b', { key: 'x', value: 'v', partition: 5 })).toBe(5);
    const seen = new Set(Array.from({ length: 12 }, () => partitionOf('b', { key: null, value: 'v' })));
    expect(seen).toEqual(new Set([0, 1, 2, 3, 4, 5]));
  });

  it('splits a batch into one part per topic and partition, in order, with the partition set', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const parts = splitByPartition(
      [
        { topic: 'a', messages: keys.map((key, i) => ({ key, value: String(i) })) },
        { topic: 'b', messages: keys.map((key, i) => ({ key, value: String(i) })) },
      ],
      partitionOf,
    );
    for (const part of parts) {
      const partitions = new Set(part.messages.map((m) => m.partition));
      expect(partitions.size).toBe(1);
      const values = part.messages.map((m) => Number(m.value));
      expect(values).toEqual([...values].sort((x, y) => x - y));
    }
    expect(new Set(parts.filter((p) => p.topic === 'a').map((p) => p.messages[0].partition))).toEqual(
      new Set([0, 1, 2]),
    );
    expect(parts.reduce((n, p) => n + p.messages.length, 0)).toBe(80);
  });

  it('sends each part on its own and fails when one part fails, after every part settled', async () => {
    const sent: ProducerRecord[] = [];
    let settled = 0;
    const producer = {
      send: async (r: ProducerRecord) => {
        sent.push(r);
        await new Promise((res) => setTimeout(res, 5));
        settled += 1;
        if (r.topic === 'a' && r.messages[0].partition === 1) throw new Error('not the leader');
        return [];
      },
    };
    const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    await expect(
      sendBatchByPartition(producer, { acks: -1, topicMessages: [{ topic: 'a', messages }] }, partitionOf),
    ).rejects.toThrow('not the leader');
    expect(sent).toHaveLength(3);
    expect(settled).toBe(3);
    for (const r of sent) {
      expect(r.acks).toBe(-1);
      expect(new Set(r.messages.map((m) => m.partition)).size).toBe(1);
    }
  });
});
