import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PriceEvent } from '@llm-router/contracts';
import { ModelEntity, PriceEntity } from '@llm-router/persistence';

export type ModelStatus = ModelEntity['status'];

export interface CatalogEntry {
  model: string;
  status: ModelStatus;
  endpoint?: string;
  concurrency?: number;
  selfHosted: boolean;
}

export interface PriceHistoryRow {
  inputPerM: number;
  outputPerM: number;
  effectiveFrom: string;
  source: string;
  selfHosted: boolean;
  concurrency?: number;
  discountTiers: unknown;
  costFactor?: number;
  recordedAt: string;
}

/** What the price book keeps in Postgres. */
export interface PriceStore {
  /** The latest accepted price of every model, and the catalog. */
  load(): Promise<{ prices: PriceEvent[]; catalog: CatalogEntry[] }>;
  /** One accepted change, in one transaction: the price (if any) is appended to the history and the model upserted. */
  record(change: { price?: PriceEvent; model: CatalogEntry }): Promise<void>;
  /** Newest first. */
  history(model: string, limit: number): Promise<PriceHistoryRow[]>;
}

export const PRICE_STORE = Symbol('PRICE_STORE');

export function toPriceEvent(r: PriceEntity): PriceEvent {
  return {
    model: r.model,
    inputPerM: r.inputPerM,
    outputPerM: r.outputPerM,
    effectiveFrom: new Date(r.effectiveFrom).toISOString(),
    source: r.source,
    selfHosted: r.selfHosted,
    ...(r.concurrency !== null && r.concurrency !== undefined ? { concurrency: r.concurrency } : {}),
    discountTiers: Array.isArray(r.discountTiers) ? (r.discountTiers as PriceEvent['discountTiers']) : [],
    ...(r.costFactor !== null && r.costFactor !== undefined ? { costFactor: r.costFactor } : {}),
  };
}

@Injectable()
export class TypeOrmPriceStore implements PriceStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async load(): Promise<{ prices: PriceEvent[]; catalog: CatalogEntry[] }> {
    // The latest row by insertion order, not by effective_from: what was accepted last is in force.
    const rows = await this.ds
      .getRepository(PriceEntity)
      .createQueryBuilder('p')
      .distinctOn(['p.model'])
      .orderBy('p.model')
      .addOrderBy('p.id', 'DESC')
      .getMany();
    const models = await this.ds.getRepository(ModelEntity).find();
    return {
      prices: rows.map(toPriceEvent),
      catalog: models.map((m) => ({
        model: m.model,
        status: m.status,
        endpoint: m.endpoint ?? undefined,
        concurrency: m.concurrency ?? undefined,
        selfHosted: m.selfHosted,
      })),
    };
  }

  async record(change: { price?: PriceEvent; model: CatalogEntry }): Promise<void> {
    await this.ds.transaction(async (em) => {
      const p = change.price;
      if (p) {
        await em.insert(PriceEntity, {
          model: p.model,
          inputPerM: p.inputPerM,
          outputPerM: p.outputPerM,
          effectiveFrom: new Date(p.effectiveFrom),
          source: p.source,
          selfHosted: p.selfHosted ?? false,
          concurrency: p.concurrency ?? null,
          discountTiers: p.discountTiers ?? [],
          costFactor: p.costFactor ?? null,
        });
      }
      const m = change.model;
      await em.upsert(
        ModelEntity,
        {
          model: m.model,
          status: m.status,
          endpoint: m.endpoint ?? null,
          concurrency: m.concurrency ?? null,
          selfHosted: m.selfHosted,
        },
        ['model'],
      );
    });
  }

  async history(model: string, limit: number): Promise<PriceHistoryRow[]> {
    const rows = await this.ds
      .getRepository(PriceEntity)
      .find({ where: { model }, order: { id: 'DESC' }, take: limit });
    return rows.map((r) => ({
      inputPerM: r.inputPerM,
      outputPerM: r.outputPerM,
      effectiveFrom: new Date(r.effectiveFrom).toISOString(),
      source: r.source,
      selfHosted: r.selfHosted,
      ...(r.concurrency !== null ? { concurrency: r.concurrency } : {}),
      discountTiers: r.discountTiers,
      ...(r.costFactor !== null ? { costFactor: r.costFactor } : {}),
      recordedAt: new Date(r.recordedAt).toISOString(),
    }));
  }
}
