import { AssignerProtocol } from 'kafkajs';
import { coPartitionedAssigner, CoPartitionedAssigner, planIndices } from './co-partitioned-assignor';

// The assignor only reads partition metadata from the cluster; this is that metadata.
const cluster = (partitions: Record<string, number>) =>
  ({
    findTopicPartitionMetadata: (t: string) => Array.from({ length: partitions[t] }, (_, i) => ({ partitionId: i })),
  }) as never;

async function plan(members: string[], topics: Record<string, number>, owned: Record<string, number[]> = {}) {
  const a = CoPartitionedAssigner({ cluster: cluster(topics) } as never);
  // Each member's metadata is what its own (sticky) assigner announces when it joins.
  const metadata = (id: string) =>
    coPartitionedAssigner(() => owned[id] ?? [])({ cluster: cluster(topics) } as never).protocol({
      topics: Object.keys(topics),
    }).metadata;
  const out = await a.assign({
    members: members.map((memberId) => ({ memberId, memberMetadata: metadata(memberId) }) as never),
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

  it('keeps previous owners: a joining member takes only what balance requires', async () => {
    const topics = { 'routing.decisions': 6, 'feedback.rewards': 6 };
    const p = await plan(['m-a', 'm-b'], topics, { 'm-b': [0, 1, 2, 3, 4, 5] });
    expect(p['m-b']['routing.decisions']).toEqual([0, 1, 2]);
    expect(p['m-a']['routing.decisions']).toEqual([3, 4, 5]);
    for (const m of Object.keys(p)) expect(p[m]['routing.decisions']).toEqual(p[m]['feedback.rewards']);
    // A third member takes one index from each, the others keep the rest of theirs.
    const q = await plan(['m-a', 'm-b', 'm-c'], topics, { 'm-a': [3, 4, 5], 'm-b': [0, 1, 2] });
    expect(q['m-a']['routing.decisions']).toEqual([3, 4]);
    expect(q['m-b']['routing.decisions']).toEqual([0, 1]);
    expect(q['m-c']['routing.decisions']).toEqual([2, 5]);
  });

  it('a member that leaves hands over its indices, the survivor keeps its own', async () => {
    const p = await plan(['m-a'], { t: 3 }, { 'm-a': [1], 'm-gone': [0, 2] });
    expect(p['m-a']['t']).toEqual([0, 1, 2]);
  });

  it('stays balanced whatever the members claim (overlapping, out of range, too many)', () => {
    const owners = planIndices(
      [
        { memberId: 'x', owned: [0, 1, 2, 3, 4, 5, 99] },
        { memberId: 'y', owned: [0, 1, 2] },
        { memberId: 'z', owned: [] },
        { memberId: 'w', owned: [5] },
      ],
      6,
    );
    const counts = ['x', 'y', 'z', 'w'].map((m) => owners.filter((o) => o === m).length).sort();
    expect(counts).toEqual([1, 1, 2, 2]);
    expect(owners.every((o) => o !== undefined)).toBe(true);
    // In id order (w, x, y, z) each keeps what it claimed first, as far as balance allows.
    expect(owners[5]).toBe('w');
    expect(owners.slice(0, 3)).toEqual(['x', 'x', 'y']);
  });
});
