import { AssignerProtocol } from 'kafkajs';
import { CoPartitionedAssigner } from './co-partitioned-assignor';

// The assignor only reads partition metadata from the cluster; this is that metadata.
const cluster = (partitions: Record<string, number>) =>
  ({
    findTopicPartitionMetadata: (t: string) => Array.from({ length: partitions[t] }, (_, i) => ({ partitionId: i })),
  }) as never;

async function plan(members: string[], topics: Record<string, number>) {
  const a = CoPartitionedAssigner({ cluster: cluster(topics) } as never);
  const out = await a.assign({
    members: members.map((memberId) => ({ memberId }) as never),
    topics: Object.keys(topics),
  });
  return Object.fromEntries(
    out.map((o) => [o.memberId, AssignerProtocol.MemberAssignment.decode(o.memberAssignment)!.assignment]),
  );
}

describe('CoPartitionedAssigner', () => {
  it('gives partition p of every topic to the same member', async () => {
    const p = await plan(['m-b', 'm-a'], { 'routing.decisions': 6, 'feedback.rewards': 6 });
    for (const m of Object.keys(p)) expect(p[m]['routing.decisions']).toEqual(p[m]['feedback.rewards']);
    expect(p['m-a']['routing.decisions']).toEqual([0, 2, 4]);
    expect(p['m-b']['routing.decisions']).toEqual([1, 3, 5]);
  });

  it('assigns every partition exactly once', async () => {
    const p = await plan(['x', 'y', 'z', 'w'], { t: 6 });
    const all = Object.values(p)
      .flatMap((a) => a['t'] ?? [])
      .sort();
    expect(all).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
