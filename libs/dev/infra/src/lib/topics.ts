import { allTopics, type TopicDefinition } from '@llm-router/contracts';
import { ConfigResourceTypes, Kafka, logLevel, type Admin, type ITopicConfig, type SASLOptions } from 'kafkajs';
import type { InfraLogger } from './logger';
import { sleep } from './proc';

export type { TopicDefinition };

export interface EnsureTopicsOptions {
  /** Upper bound on partitions per topic (env KAFKA_PARTITIONS_CAP): fewer partitions, faster tests. */
  partitionsCap?: number;
  logger?: InfraLogger;
  timeoutMs?: number;
  /** Replicas per partition; default 1 (one broker). A multi-broker cluster passes its own. */
  replicationFactor?: number;
  /** A SASL cluster: a principal allowed to create topics (its super user). */
  sasl?: SASLOptions;
  ssl?: boolean;
  /**
   * Also give existing topics the planned configuration (retention, compaction, record size)
   * where it differs: `npm run -s infra -- topics` on a running cluster. Off by default, so that
   * tests and services sharing a broker leave each other's topics alone.
   */
  alterExisting?: boolean;
}

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
  /** Existing topics whose configuration was changed to the plan (only with alterExisting). */
  altered: string[];
}

export function partitionsCapFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env['KAFKA_PARTITIONS_CAP']?.trim();
  if (!raw) return undefined;
  const cap = Number(raw);
  if (!Number.isInteger(cap) || cap < 1)
    throw new Error(`KAFKA_PARTITIONS_CAP must be a positive integer, got "${raw}"`);
  return cap;
}

/** RETENTION_DAYS (positive, fractions allowed) or the contract's default when unset. */
export function retentionDaysFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env['RETENTION_DAYS']?.trim();
  if (!raw) return undefined;
  const days = Number(raw);
  if (!Number.isFinite(days) || days <= 0) throw new Error(`RETENTION_DAYS must be a positive number, got "${raw}"`);
  return days;
}

/** What createTopics is asked for: single replica (one broker) unless told; compaction and retention as the contract says. */
export function planTopics(
  topics: readonly TopicDefinition[],
  partitionsCap?: number,
  replicationFactor = 1,
): ITopicConfig[] {
  return topics.map((t) => ({
    topic: t.name,
    numPartitions: partitionsCap ? Math.max(1, Math.min(t.partitions, partitionsCap)) : t.partitions,
    replicationFactor,
    configEntries: [
      ...(t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
      ...(t.retentionMs !== undefined ? [{ name: 'retention.ms', value: String(t.retentionMs) }] : []),
      ...(t.maxMessageBytes ? [{ name: 'max.message.bytes', value: String(t.maxMessageBytes) }] : []),
    ],
  }));
}

/**
 * Creates every missing topic up front and waits until metadata shows each with a leader for
 * every partition: consumers that subscribe before their topic exists wait a metadata refresh
 * (or fail, with auto-creation off). Existing topics are left as they are unless
 * `alterExisting`, so it is idempotent and safe against a shared cluster.
 */
export async function ensureTopics(
  brokers: string[],
  topics: readonly TopicDefinition[] = allTopics({ retentionDays: retentionDaysFromEnv() }),
  options: EnsureTopicsOptions = {},
): Promise<EnsureTopicsResult> {
  const partitionsCap = options.partitionsCap ?? partitionsCapFromEnv();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const plan = planTopics(topics, partitionsCap, options.replicationFactor);
  const kafka = new Kafka({
    clientId: 'llm-router-infra-topics',
    brokers,
    sasl: options.sasl,
    ssl: options.ssl,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const before = new Set(await admin.listTopics());
    const missing = plan.filter((t) => !before.has(t.topic));
    if (missing.length > 0) {
      try {
        // kafkajs's own leader wait retries LEADER_NOT_AVAILABLE only; on a multi-broker cluster
        // the controller may still answer UNKNOWN_TOPIC_OR_PARTITION for a topic it has just
        // created, and that ended chaos's start in CI. waitForTopicMetadata below retries both.
        await admin.createTopics({
          topics: missing,
          waitForLeaders: false,
          timeout: timeoutMs,
        });
      } catch (err) {
        // Another process may create some of them at the same moment; anything else is real.
        const errors = (err as { errors?: { type?: string }[] }).errors;
        if (!errors?.every((e) => e.type === 'TOPIC_ALREADY_EXISTS')) throw err;
      }
    }
    await waitForTopicMetadata(admin, plan, before, timeoutMs);
    const altered = options.alterExisting
      ? await alignTopicConfigs(
          admin,
          plan.filter((t) => before.has(t.topic)),
        )
      : [];
    if (altered.length > 0)
      options.logger?.info(`configured ${altered.length} existing topic(s): ${altered.join(', ')}`);
    const created = missing.map((t) => t.topic);
    if (created.length > 0) {
      options.logger?.info(
        `created ${created.length} topic(s)${partitionsCap ? ` (partitions capped at ${partitionsCap})` : ''}`,
      );
    }
    return {
      created,
      existing: plan.filter((t) => before.has(t.topic)).map((t) => t.topic),
      altered,
    };
  } finally {
    await admin.disconnect();
  }
}

/**
 * Gives existing topics the planned configuration where any planned entry differs, and returns
 * their names. AlterConfigs (kafkajs has no incremental variant) replaces a topic's whole
 * dynamic configuration, so each altered topic gets exactly the contract's entries: a setting
 * made by hand on it outside the contract is reset to the broker default.
 */
async function alignTopicConfigs(admin: Admin, existing: ITopicConfig[]): Promise<string[]> {
  if (existing.length === 0) return [];
  const { resources } = await admin.describeConfigs({
    resources: existing.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.topic })),
    includeSynonyms: false,
  });
  const current = new Map(
    resources.map((r) => [r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e.configValue]))]),
  );
  const differing = existing.filter((t) =>
    (t.configEntries ?? []).some((e) => current.get(t.topic)?.get(e.name) !== e.value),
  );
  if (differing.length > 0)
    await admin.alterConfigs({
      validateOnly: false,
      resources: differing.map((t) => ({
        type: ConfigResourceTypes.TOPIC,
        name: t.topic,
        configEntries: t.configEntries ?? [],
      })),
    });
  return differing.map((t) => t.topic);
}

async function waitForTopicMetadata(
  admin: Admin,
  plan: ITopicConfig[],
  preexisting: Set<string>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const names = plan.map((t) => t.topic);
  let lastProblem = '';
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      const byName = new Map(topics.map((t) => [t.name, t]));
      const notReady = plan.filter((t) => {
        const meta = byName.get(t.topic);
        if (!meta) return true;
        // A pre-existing topic keeps the partition count it was created with.
        const enough = preexisting.has(t.topic) || meta.partitions.length >= (t.numPartitions ?? 1);
        return !enough || meta.partitions.some((p) => p.leader < 0);
      });
      if (notReady.length === 0) return;
      lastProblem = `not ready yet: ${notReady.map((t) => t.topic).join(', ')}`;
    } catch (err) {
      lastProblem = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`topics not ready after ${timeoutMs / 1000} s: ${lastProblem}`);
    await sleep(200);
  }
}

/** java.lang.String#hashCode, which Kafka uses to place a group on an offsets-topic partition. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs(groupId.hashCode()) % partitions. */
export function offsetsPartitionFor(groupId: string, partitions: number): number {
  const h = javaStringHash(groupId);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

/** One group id per partition of the offsets topic, so that touching each loads every partition. */
export function warmUpGroupIds(partitions: number): string[] {
  const byPartition = new Map<number, string>();
  for (let i = 0; byPartition.size < partitions; i++) {
    const id = `llm-router-infra-warmup-${i}`;
    const p = offsetsPartitionFor(id, partitions);
    if (!byPartition.has(p)) byPartition.set(p, id);
  }
  return [...byPartition.values()];
}

/**
 * A fresh broker creates __consumer_offsets on the first group request and then loads it, and
 * until then a joining consumer gets "coordinator is loading" and crash-restarts (kafkajs logs
 * that at ERROR). Touching one group per offsets partition here does that work once, up front,
 * so the first consumers of tests and services join cleanly.
 */
export async function warmUpGroupCoordinator(brokers: string[], timeoutMs = 60_000, sasl?: SASLOptions): Promise<void> {
  const kafka = new Kafka({
    clientId: 'llm-router-infra-warmup',
    brokers,
    sasl,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  // Each step throws while the coordinator is unavailable or loading, and on a cluster a broker
  // may answer a group request before its metadata knows __consumer_offsets (chaos, CI).
  const retried = async <T>(what: string, step: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await step();
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`${what} not available after ${timeoutMs / 1000} s: ${(err as Error).message}`);
      }
      await sleep(100);
    }
  };
  const describe = (groupId: string) => retried('group coordinator', () => admin.describeGroups([groupId]));
  try {
    await describe(warmUpGroupIds(1)[0]);
    const { topics } = await retried('__consumer_offsets metadata', () =>
      admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] }),
    );
    const partitions = topics[0]?.partitions.length ?? 1;
    for (const groupId of warmUpGroupIds(partitions)) await describe(groupId);
  } finally {
    await admin.disconnect();
  }
}
