import { PriceEvent } from '@llm-router/contracts';
import { EngineOptions, Featurizer, ScopeEngine } from './scope-engine';

type CatalogAction = 'added' | 'removed' | 'enabled' | 'disabled';

/**
 * One ScopeEngine per scope, created on first use. Prices and catalog events are global:
 * they are remembered and applied to every scope, including scopes created later.
 */
export class EngineRegistry {
  private readonly engines = new Map<string, ScopeEngine>();
  private readonly prices = new Map<string, PriceEvent>();
  private readonly catalog = new Map<string, CatalogAction>();

  /** `onCreate` runs once per new scope, after the known prices and catalog are applied (e.g. a warm start). */
  constructor(
    private readonly opts: EngineOptions,
    private readonly featurizer: Featurizer,
    private readonly onCreate?: (engine: ScopeEngine) => void,
  ) {}

  get(scope: string): ScopeEngine {
    let e = this.engines.get(scope);
    if (!e) {
      e = this.detached(scope);
      this.engines.set(scope, e);
      this.onCreate?.(e);
    }
    return e;
  }

  /** A new engine for `scope` with the known prices and catalog, not kept here (and no `onCreate`). */
  detached(scope: string): ScopeEngine {
    const e = new ScopeEngine(scope, this.opts, this.featurizer);
    for (const p of this.prices.values()) e.applyPrice(p);
    for (const [m, a] of this.catalog) e.applyCatalog(m, a);
    return e;
  }

  /** Forgets a scope's in-memory state (it is rebuilt from durable state on next use). */
  drop(scope: string): void {
    this.engines.delete(scope);
  }

  has(scope: string): boolean {
    return this.engines.has(scope);
  }

  scopes(): string[] {
    return [...this.engines.keys()];
  }

  applyPrice(p: PriceEvent): void {
    if (this.catalog.get(p.model) === 'removed') this.catalog.delete(p.model);
    this.prices.set(p.model, p);
    for (const e of this.engines.values()) e.applyPrice(p);
  }

  applyCatalog(model: string, action: CatalogAction): void {
    this.catalog.set(model, action);
    if (action === 'removed') this.prices.delete(model);
    for (const e of this.engines.values()) e.applyCatalog(model, action);
  }

  price(model: string): PriceEvent | undefined {
    return this.prices.get(model);
  }

  models(): string[] {
    return [...this.prices.keys()].filter((m) => this.catalog.get(m) !== 'disabled').sort();
  }
}
