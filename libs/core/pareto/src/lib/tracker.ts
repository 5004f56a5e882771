import { Frontier, ParetoPoint, paretoFrontier } from './frontier';

export interface FrontierTrackerOptions {
  /** A frontier point's quality must move more than this to count as a change (default 0.005). */
  qualityTolerance?: number;
  /** ... or its cost by more than this fraction (default 0.01). */
  costTolerance?: number;
}

export interface FrontierUpdate extends Frontier {
  /** True when the frontier differs from the last one reported as changed (i.e. publish it). */
  changed: boolean;
}

interface Known {
  quality?: number;
  cost?: number;
}

/**
 * Keeps the frontier of a scope up to date as prices, models and quality estimates arrive,
 * and says when it changed enough to publish (pareto.frontier is compacted, so each
 * publication should mean something). A change is: a model joins or leaves the frontier or
 * the dominated set, the frontier order changes, or a frontier point moves beyond the
 * tolerances since the last publication. Small drifts accumulate against that publication,
 * so a slow slide is reported once it adds up, not lost step by step. Models with an unknown
 * price or quality are held back until both are known.
 */
export class FrontierTracker {
  private readonly models = new Map<string, Known>();
  private readonly qTol: number;
  private readonly cTol: number;
  private published: Frontier | null = null;

  constructor(opts: FrontierTrackerOptions = {}) {
    this.qTol = opts.qualityTolerance ?? 0.005;
    this.cTol = opts.costTolerance ?? 0.01;
  }

  /** A price event: the expected cost per query of one model. */
  setPrice(id: string, cost: number): FrontierUpdate {
    return this.set(id, { cost });
  }

  /** A quality estimate moved (e.g. after policy.updates). */
  setQuality(id: string, quality: number): FrontierUpdate {
    return this.set(id, { quality });
  }

  /** Adds or updates a model; omitted fields keep their value. */
  set(id: string, values: Known): FrontierUpdate {
    for (const [k, v] of Object.entries(values)) {
      if (v !== undefined && !Number.isFinite(v)) throw new RangeError(`${k} of ${id} must be finite, got ${v}`);
    }
    const cur = this.models.get(id) ?? {};
    this.models.set(id, {
      quality: values.quality ?? cur.quality,
      cost: values.cost ?? cur.cost,
    });
    return this.refresh();
  }

  /** Several changes, one verdict: a price file or a policy snapshot touches many models at once. */
  setMany(changes: Iterable<{ id: string } & Known>): FrontierUpdate {
    for (const { id, quality, cost } of changes) {
      const cur = this.models.get(id) ?? {};
      if ((quality !== undefined && !Number.isFinite(quality)) || (cost !== undefined && !Number.isFinite(cost))) {
        throw new RangeError(`quality and cost of ${id} must be finite`);
      }
      this.models.set(id, { quality: quality ?? cur.quality, cost: cost ?? cur.cost });
    }
    return this.refresh();
  }

  removeModel(id: string): FrontierUpdate {
    this.models.delete(id);
    return this.refresh();
  }

  /** Models with both a price and a quality. */
  points(): ParetoPoint[] {
    const out: ParetoPoint[] = [];
    for (const [id, m] of this.models) {
      if (m.quality !== undefined && m.cost !== undefined) out.push({ id, quality: m.quality, cost: m.cost });
    }
    return out;
  }

  /** The frontier as of now, without touching the publication baseline. */
  current(): Frontier {
    return paretoFrontier(this.points());
  }

  /** Recomputes; when it differs from the last publication, that becomes the new baseline. */
  refresh(): FrontierUpdate {
    const now = this.current();
    const changed =
      this.published === null ? now.frontier.length + now.dominated.length > 0 : this.differs(this.published, now);
    if (changed) this.published = now;
    return { ...now, changed };
  }

  private differs(a: Frontier, b: Frontier): boolean {
    if (a.frontier.length !== b.frontier.length) return true;
    const dominatedIds = (f: Frontier) =>
      f.dominated
        .map((p) => p.id)
        .sort()
        .join('\u0000');
    if (dominatedIds(a) !== dominatedIds(b)) return true;
    for (let i = 0; i < a.frontier.length; i++) {
      const p = a.frontier[i];
      const q = b.frontier[i];
      if (p.id !== q.id) return true;
      if (Math.abs(p.quality - q.quality) > this.qTol) return true;
      if (Math.abs(p.cost - q.cost) > this.cTol * Math.max(Math.abs(p.cost), Number.MIN_VALUE)) return true;
    }
    return false;
  }
}
