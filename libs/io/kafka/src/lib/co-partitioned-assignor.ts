import { Assigner, AssignerProtocol, GroupMember, PartitionAssigner } from 'kafkajs';

/**
 * Gives partition p of EVERY subscribed topic to the same member. Topics keyed by scope with
 * equal partition counts (routing.decisions, feedback.rewards) then deliver all events of a
 * scope to one consumer: the single writer of that scope's policy state. kafkajs' default
 * round-robin assignor would split a scope's decisions and feedback across two members.
 *
 * Sticky: each member tells the leader which partition indices it owns now (`owned`, sent as
 * the protocol's user data), and a rebalance moves only what balance requires. A scope that
 * stays put keeps its warm in-memory state, and fewer scopes bounce between writers (the
 * version check on policy_state still guards those that do).
 */
export function coPartitionedAssigner(owned: () => number[] = () => []): PartitionAssigner {
  return ({ cluster }) => {
    const assigner: Assigner = {
      name: 'CoPartitionedAssigner',
      version: 2,
      async assign({ members, topics }) {
        const partitionsOf = new Map(
          topics.map((t) => [
            t,
            cluster
              .findTopicPartitionMetadata(t)
              .map((p) => p.partitionId)
              .sort((a, b) => a - b),
          ]),
        );
        const indexCount = Math.max(0, ...[...partitionsOf.values()].map((ps) => ps.length));
        const ownerOf = planIndices(
          members.map((m) => ({ memberId: m.memberId, owned: ownedBy(m) })),
          indexCount,
        );
        const plan: Record<string, Record<string, number[]>> = {};
        for (const m of members) plan[m.memberId] = {};
        for (const [topic, partitions] of partitionsOf) {
          for (const p of partitions) (plan[ownerOf[p % indexCount]][topic] ??= []).push(p);
        }
        return members.map(({ memberId }) => ({
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 2,
            assignment: plan[memberId],
            userData: Buffer.alloc(0),
          }),
        }));
      },
      protocol({ topics }) {
        return {
          name: 'CoPartitionedAssigner',
          metadata: AssignerProtocol.MemberMetadata.encode({
            version: 2,
            topics,
            userData: Buffer.from(JSON.stringify({ owned: owned() })),
          }),
        };
      },
    };
    return assigner;
  };
}

/** Without knowledge of its own assignment: balanced and co-partitioned, but not sticky. */
export const CoPartitionedAssigner: PartitionAssigner = coPartitionedAssigner();

function ownedBy(member: GroupMember): number[] {
  try {
    const meta = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
    const owned = meta?.userData?.length ? JSON.parse(meta.userData.toString('utf8')).owned : [];
    return Array.isArray(owned) ? owned.filter((p): p is number => Number.isInteger(p)) : [];
  } catch {
    // A member of an older version sends no (or other) user data: it simply owns nothing yet.
    return [];
  }
}

/**
 * Which member owns each partition index 0..indexCount-1: every member ends with floor or
 * ceil of indexCount/members indices, keeping as many of the indices it owned as that allows;
 * members are taken in id order, so every leader computes the same plan.
 */
export function planIndices(members: { memberId: string; owned: number[] }[], indexCount: number): string[] {
  const ordered = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const n = ordered.length;
  const floor = Math.floor(indexCount / n);
  let ceilSlots = indexCount % n;
  const owner: (string | undefined)[] = new Array(indexCount).fill(undefined);
  const held = new Map<string, number[]>(ordered.map((m) => [m.memberId, []]));
  for (const m of ordered) {
    const mine = held.get(m.memberId)!;
    for (const p of [...new Set(m.owned)].sort((a, b) => a - b)) {
      if (p < 0 || p >= indexCount || owner[p] !== undefined) continue;
      const cap = floor + (ceilSlots > 0 ? 1 : 0);
      if (mine.length >= cap) break;
      mine.push(p);
      owner[p] = m.memberId;
    }
    if (mine.length > floor) ceilSlots--;
  }
  for (let p = 0; p < indexCount; p++) {
    if (owner[p] !== undefined) continue;
    // The member holding the fewest indices takes the next free one (ties: id order).
    const m = ordered.reduce((best, c) => (held.get(c.memberId)!.length < held.get(best.memberId)!.length ? c : best));
    held.get(m.memberId)!.push(p);
    owner[p] = m.memberId;
  }
  return owner as string[];
}

/** Which partitions member `index` of `members` owns when no member owned any before, for tests and docs. */
export function coPartitionOwner(partition: number, memberCount: number): number {
  return partition % memberCount;
}
