import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SpendEntity } from '@llm-router/persistence';
import { BillTotals } from '@llm-router/pricing';
import type { FiledKind, PromptKind } from '@llm-router/batch';

export interface SpendRow {
  spentUsd: number;
  queries: number;
}

/** One dispatched batch decision and what the planner expected it to cost. */
export interface Bill {
  decisionId: string;
  model: string;
  /** What the ledger was charged for it. */
  expectedUsd: number;
  /** The same before the period's cost level (batch_bills.base_usd). */
  baseUsd: number;
  /** Kind of its prompt (batch_bills.closing, opening and prompt): the kinds of prompt its bill prices. */
  kind?: PromptKind;
}

/** A model's billed calls this period on prompts of one kind (KindLedger.addKind takes them). */
export interface KindBillRow {
  model: string;
  kind: FiledKind;
  realisedUsd: number;
  baseUsd: number;
  calls: number;
}

/** A model's billed calls this period on one prompt (KindLedger.addPrompt takes them). */
export interface PromptBillRow {
  model: string;
  /** The prompt's digest (batch_bills.prompt). */
  prompt: string;
  realisedUsd: number;
  baseUsd: number;
  calls: number;
}

/** A model's bills this period: realised against what was charged (`expectedUsd`) and against the base cost. */
export interface ModelBills extends BillTotals {
  /** Expected cost of the same calls before the cost level: what the next level is measured against. */
  baseUsd: number;
}

/**
 * A batch decision's bill, over `rewards r` and `decisions d` joined on its id: the reward's cost
 * (a provider's bill sent with the feedback), else the realised cost the router logged.
 */
const BILL_USD = 'COALESCE(r.cost_usd, d.realised_cost_usd)';

/** The budget ledger in Postgres (spend_ledger): what each scope has committed per period, and what it was billed. */
@Injectable()
export class SpendStore {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async read(scope: string, period: string): Promise<SpendRow> {
    const row = await this.ds.getRepository(SpendEntity).findOneBy({ scope, period });
    return { spentUsd: row?.spentUsd ?? 0, queries: row?.queries ?? 0 };
  }

  /**
   * The bills that came back for this scope and period, per model: of the batch decisions filed
   * in batch_bills whose cost is known, what they cost and what the planner expected of them when
   * it charged the ledger. A decision's cost is its reward's (which a provider's bill sent with the
   * feedback overrides), else the realised cost the router logged when it answered: a scope
   * without feedback still has its spend reconciled and its models priced.
   */
  billed(scope: string, period: string): Promise<Record<string, ModelBills>> {
    return this.billTotals(scope, period, null);
  }

  /**
   * The same over each model's latest `calls` billed calls, latest filed first: what its cost
   * level is measured on, as the replay's CostCalibration measures it over an arm's recent calls.
   */
  recentBills(scope: string, period: string, calls: number): Promise<Record<string, ModelBills>> {
    return this.billTotals(scope, period, calls);
  }

  /** `billed`, over each model's latest `latest` bills (null: all of them). */
  private async billTotals(scope: string, period: string, latest: number | null): Promise<Record<string, ModelBills>> {
    // The cost-known filter comes before the ranking: the bills of a part still out do not take
    // the places of billed calls. A part's bills share their recorded_at (one transaction); the
    // decision id only makes the cut through a part the same at every read.
    const rows: { model: string; realised: number; expected: number; base: number; calls: number }[] =
      await this.ds.query(
        `SELECT model, SUM(usd) AS realised, SUM(expected_usd) AS expected, SUM(base_usd) AS base,
                COUNT(*)::int AS calls
           FROM (SELECT b.model, ${BILL_USD} AS usd, b.expected_usd,
                        COALESCE(b.base_usd, b.expected_usd) AS base_usd,
                        ROW_NUMBER() OVER (PARTITION BY b.model ORDER BY b.recorded_at DESC, b.decision_id DESC) AS recency
                   FROM batch_bills b
                   LEFT JOIN rewards r ON r.decision_id = b.decision_id
                   LEFT JOIN decisions d ON d.decision_id = b.decision_id
                  WHERE b.scope = $1 AND b.period = $2 AND ${BILL_USD} IS NOT NULL) k
          WHERE $3::int IS NULL OR recency <= $3
          GROUP BY model`,
        [scope, period, latest],
      );
    const out: Record<string, ModelBills> = {};
    for (const r of rows)
      out[r.model] = {
        realisedUsd: Number(r.realised),
        expectedUsd: Number(r.expected),
        baseUsd: Number(r.base),
        calls: Number(r.calls),
      };
    return out;
  }

  /**
   * The bills that came back for this scope and period per model and kind of prompt, for the
   * bills whose closing or opening phrase is one of the kinds named: what the planner prices a
   * window's kinds of prompt on (KindLedger), every bill of a phrase named included. Bills filed
   * without a phrase (before batch_bills.closing) price no kind.
   */
  async kindBills(scope: string, period: string, kinds: readonly PromptKind[]): Promise<KindBillRow[]> {
    if (kinds.length === 0) return [];
    const rows = await this.billsBy<{ closing: string; opening: string | null }>(
      scope,
      period,
      ['closing', 'opening'],
      'b.closing IS NOT NULL AND (b.closing = ANY($3::text[]) OR b.opening = ANY($4::text[]))',
      [[...new Set(kinds.map((k) => k.closing))], [...new Set(kinds.map((k) => k.opening))]],
    );
    return rows.map(({ closing, opening, ...bills }) => ({ ...bills, kind: { closing, opening } }));
  }

  /**
   * The bills that came back for this scope and period per model and prompt, for the prompts named
   * (digests, `PromptKind.prompt`): a routed query, or a prompt sent again, is priced on its own.
   */
  async promptBills(scope: string, period: string, prompts: readonly string[]): Promise<PromptBillRow[]> {
    if (prompts.length === 0) return [];
    return this.billsBy<{ prompt: string }>(scope, period, ['prompt'], 'b.prompt = ANY($3::text[])', [
      [...new Set(prompts)],
    ]);
  }

  /**
   * The period's billed calls of `scope` per model and the batch_bills `columns` named, over the
   * bills `where` picks (its parameters from $3 on): what a kind, or a prompt, is priced on.
   */
  private async billsBy<K extends object>(
    scope: string,
    period: string,
    columns: readonly (keyof K & string)[],
    where: string,
    params: readonly unknown[],
  ): Promise<(K & { model: string; realisedUsd: number; baseUsd: number; calls: number })[]> {
    const grouped = columns.map((c) => `b.${c}`).join(', ');
    const rows: (Record<string, unknown> & { model: string; realised: string; base: string; calls: number })[] =
      await this.ds.query(
        `SELECT b.model, ${grouped}, SUM(${BILL_USD}) AS realised,
                SUM(COALESCE(b.base_usd, b.expected_usd)) AS base, COUNT(*)::int AS calls
           FROM batch_bills b
           LEFT JOIN rewards r ON r.decision_id = b.decision_id
           LEFT JOIN decisions d ON d.decision_id = b.decision_id
          WHERE b.scope = $1 AND b.period = $2 AND ${where} AND ${BILL_USD} IS NOT NULL
          GROUP BY b.model, ${grouped}`,
        [scope, period, ...params],
      );
    return rows.map((r) => ({
      ...(Object.fromEntries(columns.map((c) => [c, r[c]])) as K),
      model: r.model,
      realisedUsd: Number(r.realised),
      baseUsd: Number(r.base),
      calls: Number(r.calls),
    }));
  }

  /**
   * What each of these decisions cost, for those whose cost is known yet (as `billed` takes it:
   * the reward's, else the router's realised cost): the bills of a window's part, awaited before
   * its next part is checked.
   */
  async realised(decisionIds: readonly string[]): Promise<Map<string, number>> {
    if (decisionIds.length === 0) return new Map();
    const rows: { decision_id: string; usd: number }[] = await this.ds.query(
      `SELECT t.id AS decision_id, ${BILL_USD} AS usd
         FROM unnest($1::text[]) AS t(id)
         LEFT JOIN rewards r ON r.decision_id = t.id
         LEFT JOIN decisions d ON d.decision_id = t.id
        WHERE ${BILL_USD} IS NOT NULL`,
      [decisionIds],
    );
    return new Map(rows.map((r) => [r.decision_id, Number(r.usd)]));
  }

  /**
   * Adds a window's spend, and files its bills, in one transaction: the increment happens in the database, so
   * several planner instances (or a retried window) add up instead of overwriting each other.
   */
  async add(
    scope: string,
    period: string,
    usd: number,
    queries: number,
    bills: readonly Bill[] = [],
  ): Promise<SpendRow> {
    return this.ds.transaction(async (em) => {
      const r: { spent_usd: number; queries: number }[] = await em.query(
        `INSERT INTO spend_ledger (scope, period, spent_usd, queries) VALUES ($1, $2, $3, $4)
         ON CONFLICT (scope, period) DO UPDATE
           SET spent_usd = spend_ledger.spent_usd + EXCLUDED.spent_usd, queries = spend_ledger.queries + EXCLUDED.queries
         RETURNING spent_usd, queries`,
        [scope, period, usd, queries],
      );
      if (bills.length > 0) {
        // A window planned again after a crash has the same decision ids: its bills are filed once.
        await em.query(
          `INSERT INTO batch_bills (decision_id, scope, period, model, expected_usd, base_usd, closing, opening, prompt)
           SELECT t.decision_id, $2, $3, t.model, t.expected_usd, t.base_usd, t.closing, t.opening, t.prompt
             FROM unnest($1::text[], $4::text[], $5::float8[], $6::float8[], $7::text[], $8::text[], $9::text[])
                  AS t(decision_id, model, expected_usd, base_usd, closing, opening, prompt)
           ON CONFLICT (decision_id) DO NOTHING`,
          [
            bills.map((b) => b.decisionId),
            scope,
            period,
            bills.map((b) => b.model),
            bills.map((b) => b.expectedUsd),
            bills.map((b) => b.baseUsd),
            bills.map((b) => b.kind?.closing ?? null),
            bills.map((b) => b.kind?.opening ?? null),
            bills.map((b) => b.kind?.prompt ?? null),
          ],
        );
      }
      return { spentUsd: Number(r[0].spent_usd), queries: Number(r[0].queries) };
    });
  }
}
