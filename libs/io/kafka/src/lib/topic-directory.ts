import { Admin, Kafka } from 'kafkajs';
import { withTimeout } from './deadline';

export interface TopicDirectoryOptions {
  /** Bound on one metadata look-up; a look-up that does not answer in time counts as "unknown". */
  lookupTimeoutMs?: number;
  /** How long "this topic does not exist" is believed before the broker is asked again. */
  missingTtlMs?: number;
}

/**
 * Which topics exist, from the broker's metadata, cached. A producer must not hand kafkajs a
 * topic that does not exist: with auto-creation off, kafkajs retries its metadata until the
 * retries run out, and every message coalesced into that request waits with it.
 */
export class TopicDirectory {
  private admin: Admin | null = null;
  private readonly present = new Set<string>();
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
    return this.present.has(topic);
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

  /** After a send to it failed: the topic may have been deleted, ask again next time. */
  forget(topic: string): void {
    this.present.delete(topic);
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    if (admin) await withTimeout(admin.disconnect(), this.lookupTimeoutMs, 'admin disconnect').catch(() => undefined);
  }

  /** One listTopics answers for every topic, and concurrent look-ups share it. */
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
    for (const t of await this.admin.listTopics()) {
      this.present.add(t);
      this.missingSince.delete(t);
    }
  }
}
