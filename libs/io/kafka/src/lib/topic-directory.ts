import { Admin, Kafka } from 'kafkajs';
import { withTimeout } from './deadline';

/** How long a topic's partition count is trusted before the metadata is asked again. */
const PARTITIONS_TTL_MS = 5 * 60_000;

export interface TopicDirectoryOptions {
  /** Bound on one metadata look-up; a look-up that does not answer in time counts as "unknown". */
  lookupTimeoutMs?: number;
  /** How long "this topic does not exist" is believed before the broker is asked again. */
  missingTtlMs?: number;
}

/** A send to a topic the broker does not have: refused before it could hold up other messages. */
export class UnknownTopicError extends Error {
  constructor(readonly topic: string) {
    super(`topic ${topic} does not exist`);
    this.name = 'UnknownTopicError';
  }
}

/**
 * Which topics exist, from the broker's metadata, cached. A producer must not hand kafkajs a
 * topic that does not exist: with auto-creation off, kafkajs retries its metadata until the
 * retries run out, and every message coalesced into that request waits with it.
 */
export class TopicDirectory {
  private admin: Admin | null = null;
  private readonly present = new Set<string>();
  private readonly partitions = new Map<string, number>();
  private refreshedAt = 0;
  private readonly missingSince = new Map<string, number>();
  private lookup: Promise<void> | null = null;
  private readonly lookupTimeoutMs: number;
  private readonly missingTtlMs: number;

  constructor(
    private readonly kafka: Kafka,
    opts: TopicDirectoryOptions = {},
  ) {
    this.lookupTimeoutMs = opts.lookupTimeoutMs ?? 5000;
    this.missingTtlMs = opts.missingTtlMs ?? 5000;
  }

  /** True when the topic is known to exist without asking the broker. */
  isKnown(topic: string): boolean {
    // Partition counts grow: look again now and then, in the background.
    if (Date.now() - this.refreshedAt > PARTITIONS_TTL_MS) void this.refresh().catch(() => undefined);
    return this.present.has(topic);
  }

  /** The topic's partition count, as last looked up (after isKnown or exists said it exists). */
  partitionCount(topic: string): number {
    const n = this.partitions.get(topic);
    if (n === undefined) throw new Error(`no partition count for topic ${topic}: check that it exists first`);
    return n;
  }

  async exists(topic: string): Promise<boolean> {
    if (this.present.has(topic)) return true;
    const since = this.missingSince.get(topic);
    if (since !== undefined && Date.now() - since < this.missingTtlMs) return false;
    try {
      await this.refresh();
    } catch {
      return false;
    }
    if (this.present.has(topic)) return true;
    this.missingSince.set(topic, Date.now());
    return false;
  }

  /** Resolves when the topic exists (from the cache when it can); throws UnknownTopicError otherwise. */
  async require(topic: string): Promise<void> {
    if (!this.isKnown(topic) && !(await this.exists(topic))) throw new UnknownTopicError(topic);
  }

  /** After a send to it failed: the topic may have been deleted, ask again next time. */
  forget(topic: string): void {
    this.present.delete(topic);
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    if (admin) await withTimeout(admin.disconnect(), this.lookupTimeoutMs, 'admin disconnect').catch(() => undefined);
  }

  /** One metadata request answers for every topic, and concurrent look-ups share it. */
  private refresh(): Promise<void> {
    this.lookup ??= withTimeout(this.listTopics(), this.lookupTimeoutMs, 'topic metadata look-up').finally(() => {
      this.lookup = null;
    });
    return this.lookup;
  }

  private async listTopics(): Promise<void> {
    if (!this.admin) {
      const admin = this.kafka.admin({ retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } });
      await admin.connect();
      this.admin = admin;
    }
    const { topics } = await this.admin.fetchTopicMetadata();
    for (const t of topics) {
      this.present.add(t.name);
      this.partitions.set(t.name, t.partitions.length);
      this.missingSince.delete(t.name);
    }
    this.refreshedAt = Date.now();
  }
}
