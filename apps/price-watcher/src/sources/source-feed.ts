import type { PinoLogger } from 'nestjs-pino';
import type { MetricsService } from '@llm-router/service';
import type { PriceBookService, ProposalOutcome } from '../price-book/price-book.service';
import { CALL_FIELDS, PriceProposal, RejectReason, SourceKind } from '../price-book/validation';

/** What a source document yields: proposals for the price book, and entries that are not even a price. */
export interface ParsedPrices {
  proposals: PriceProposal[];
  skipped: { model: string; reason: RejectReason; message: string }[];
}

/** A whole document is unusable (not JSON, wrong shape): nothing in it is applied. */
export class SourceFormatError extends Error {
  override name = 'SourceFormatError';
}

export interface FeedResult {
  /** Entries that differed from the previous read of this source and were proposed. */
  proposed: number;
  accepted: number;
  rejected: number;
  failed: number;
}

/**
 * The memory of an automatic source (file or URL): what each entry said at the last read.
 * Only entries that changed since then are proposed. That is what makes "reloaded on change"
 * mean a change of the source: an admin override survives a reload that did not touch that
 * model, and a rejected entry is logged and counted once, not at every poll.
 */
export class SourceFeed {
  private readonly seen = new Map<string, string>();

  constructor(
    readonly kind: Extract<SourceKind, 'file' | 'url'>,
    readonly label: string,
    private readonly prices: Pick<PriceBookService, 'proposeMany'>,
    private readonly metrics: MetricsService,
    private readonly log: Pick<PinoLogger, 'warn' | 'info' | 'debug'>,
  ) {}

  async submit(parsed: ParsedPrices): Promise<FeedResult> {
    const present = new Set([...parsed.proposals.map((p) => p.model), ...parsed.skipped.map((s) => s.model)]);
    // A model that leaves the source and comes back later is proposed again.
    for (const m of [...this.seen.keys()]) if (!present.has(m)) this.seen.delete(m);

    let rejected = 0;
    for (const s of parsed.skipped) {
      const fp = `skipped:${s.reason}:${s.message}`;
      if (this.seen.get(s.model) === fp) continue;
      this.seen.set(s.model, fp);
      rejected++;
      this.metrics
        .counter('price_rejected_total', 'Prices refused by validation, by source and reason', ['source', 'reason'])
        .inc({ source: this.kind, reason: s.reason });
      this.log.warn({ model: s.model, source: this.kind, reason: s.reason }, `price rejected: ${s.message}`);
    }

    const fresh = parsed.proposals.filter((p) => this.seen.get(p.model) !== fingerprint(p));
    if (fresh.length === 0) return { proposed: 0, accepted: 0, rejected, failed: 0 };
    const outcomes: ProposalOutcome[] = await this.prices.proposeMany(this.kind, fresh, { label: this.label });
    let accepted = 0;
    let failed = 0;
    outcomes.forEach((o, i) => {
      if (o.status === 'failed') {
        failed++;
        return; // not remembered: retried at the next read
      }
      if (o.status === 'accepted') accepted++;
      if (o.status === 'rejected') rejected++;
      this.seen.set(fresh[i].model, fingerprint(fresh[i]));
    });
    return { proposed: fresh.length, accepted, rejected, failed };
  }
}

function fingerprint(p: PriceProposal): string {
  return JSON.stringify(
    [
      p.inputPerM,
      p.outputPerM,
      p.selfHosted ?? null,
      p.concurrency ?? null,
      p.discountTiers ?? null,
      p.costFactor ?? null,
      ...CALL_FIELDS.map((f) => p[f] ?? null),
    ].map((v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)),
  );
}
