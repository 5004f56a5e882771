import { Assigner, AssignerProtocol, PartitionAssigner } from 'kafkajs';

/**
 * Gives partition p of EVERY subscribed topic to the same member. Topics keyed by scope with
 * equal partition counts (routing.decisions, feedback.rewards) then deliver all events of a
 * scope to one consumer: the single writer of that scope's policy state. kafkajs' default
 * round-robin assignor would split a scope's decisions and feedback across two members.
 */
export const CoPartitionedAssigner: PartitionAssigner = ({ cluster }) => {
  const assigner: Assigner = {
    name: 'CoPartitionedAssigner',
    version: 1,
    async assign({ members, topics }) {
      const ids = members.map((m) => m.memberId).sort();
      const plan: Record<string, Record<string, number[]>> = {};
      for (const id of ids) plan[id] = {};
      for (const topic of topics) {
        const partitions = cluster
          .findTopicPartitionMetadata(topic)
          .map((p) => p.partitionId)
          .sort((a, b) => a - b);
        for (const p of partitions) {
          const owner = ids[p % ids.length];
          (plan[owner][topic] ??= []).push(p);
        }
      }
      return ids.map((memberId) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: plan[memberId],
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'CoPartitionedAssigner',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
      };
    },
  };
  return assigner;
};

/** Which partitions member `index` of `members` owns, for tests and docs. */
export function coPartitionOwner(partition: number, memberCount: number): number {
  return partition % memberCount;
}
