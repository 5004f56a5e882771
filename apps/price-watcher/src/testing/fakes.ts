import { encode, MessageInputOf, MessageOf, PriceEvent, TopicName } from '@llm-router/contracts';
import { MetricsService } from '@llm-router/service';
import type { CatalogEntry, PriceHistoryRow, PriceStore } from '../price-book/price-store';

/** Unit-test stand-ins for Kafka, Postgres and the logger (integration tests use the real ones). */

export interface Sent {
  topic: TopicName;
  key: string;
  message: MessageOf<TopicName>;
}

/** Records what would be produced, after the same contract validation as MessageProducer. */
export class FakeProducer {
  readonly sent: Sent[] = [];
  failNext = 0;

  async send<T extends TopicName>(topic: T, value: MessageInputOf<T>): Promise<MessageOf<T>> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('broker unavailable');
    }
    const e = encode(topic, value);
    this.sent.push({ topic, key: e.key, message: e.message });
    return e.message;
  }

  on<T extends TopicName>(topic: T): MessageOf<T>[] {
    return this.sent.filter((s) => s.topic === topic).map((s) => s.message as MessageOf<T>);
  }

  clear(): void {
    this.sent.length = 0;
  }
}

export class MemoryPriceStore implements PriceStore {
  readonly rows: (PriceEvent & { id: number })[] = [];
  readonly models = new Map<string, CatalogEntry>();
  private id = 0;

  async load() {
    const latest = new Map<string, PriceEvent>();
    for (const r of this.rows) {
      const { id: _id, ...p } = r;
      latest.set(r.model, p);
    }
    return { prices: [...latest.values()], catalog: [...this.models.values()] };
  }

  async record(change: { price?: PriceEvent; model: CatalogEntry }): Promise<void> {
    if (change.price) this.rows.push({ ...change.price, id: ++this.id });
    this.models.set(change.model.model, { ...change.model });
  }

  async history(model: string, limit: number): Promise<PriceHistoryRow[]> {
    return this.rows
      .filter((r) => r.model === model)
      .reverse()
      .slice(0, limit)
      .map((r) => ({
        inputPerM: r.inputPerM,
        outputPerM: r.outputPerM,
        effectiveFrom: r.effectiveFrom,
        source: r.source,
        selfHosted: r.selfHosted ?? false,
        concurrency: r.concurrency,
        discountTiers: r.discountTiers ?? [],
        recordedAt: r.effectiveFrom,
      }));
  }
}

export interface LogLine {
  level: 'info' | 'warn' | 'error' | 'debug';
  obj: unknown;
  msg?: string;
}

export function fakeLog() {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (obj: unknown, msg?: string): void => {
      lines.push({ level, obj, msg: typeof obj === 'string' ? obj : msg });
    };
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as const;
}

export async function counterValue(metrics: MetricsService, name: string, labels: Record<string, string>): Promise<number> {
  const m = await metrics.registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}
