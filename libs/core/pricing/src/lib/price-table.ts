/** Current list price of a model, per million tokens. */
export interface ModelPrice {
  model: string;
  inputPerM: number;
  outputPerM: number;
  selfHosted?: boolean;
  concurrency?: number;
  /** Scenario multiplier on observed costs (a price cut of 98% is 0.02). */
  costFactor?: number;
}

/**
 * Expected cost of a query per model = price x expected tokens. Prices come from events;
 * expected tokens per model are learned from observed (cost, price) pairs, so a price event
 * moves every cost estimate at once, while quality keeps its learned value.
 */
export class CostModel {
  private readonly prices = new Map<string, ModelPrice>();
  /** Running mean of cost / (blended list price) per model, i.e. "million tokens" used. */
  private readonly usage = new Map<string, { n: number; mean: number }>();

  constructor(private readonly defaultUsageM = 0.0005) {}

  setPrice(p: ModelPrice): void {
    this.prices.set(p.model, { ...p });
  }

  removeModel(model: string): void {
    this.prices.delete(model);
  }

  price(model: string): ModelPrice | undefined {
    return this.prices.get(model);
  }

  models(): string[] {
    return [...this.prices.keys()];
  }

  /** A blended per-million price (input and output weighted 1:3, typical chat completions). */
  static blended(p: Pick<ModelPrice, 'inputPerM' | 'outputPerM'>): number {
    return (p.inputPerM + 3 * p.outputPerM) / 4;
  }

  /** Learns the usage of a model from one observed call, priced at `p` (the price in force then). */
  observe(model: string, costUsd: number, at?: ModelPrice): void {
    const p = at ?? this.prices.get(model);
    if (!p) return;
    const unit = CostModel.blended(p) * (p.costFactor ?? 1);
    if (unit <= 0) return;
    const u = this.usage.get(model) ?? { n: 0, mean: 0 };
    u.n += 1;
    u.mean += (costUsd / unit - u.mean) / u.n;
    this.usage.set(model, u);
  }

  /** Whether the model's usage was learnt from a call of it (a warm start's included), not assumed from the others'. */
  learnt(model: string): boolean {
    return (this.usage.get(model)?.n ?? 0) > 0;
  }

  /** Expected cost in USD of one call to `model`, at the current price. */
  expectedCost(model: string): number {
    const p = this.prices.get(model);
    if (!p) return 0;
    if (p.selfHosted) return 0;
    const usage = this.usage.get(model)?.mean ?? this.meanUsage();
    return CostModel.blended(p) * (p.costFactor ?? 1) * usage;
  }

  /** Expected cost of every model. */
  costs(models: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of models) out[m] = this.expectedCost(m);
    return out;
  }

  private meanUsage(): number {
    let s = 0;
    let n = 0;
    for (const u of this.usage.values()) {
      s += u.mean;
      n += 1;
    }
    return n > 0 ? s / n : this.defaultUsageM;
  }

  toState(): { prices: ModelPrice[]; usage: [string, { n: number; mean: number }][] } {
    return { prices: [...this.prices.values()], usage: [...this.usage.entries()] };
  }

  static fromState(s: ReturnType<CostModel['toState']>): CostModel {
    const m = new CostModel();
    for (const p of s.prices) m.setPrice(p);
    for (const [k, v] of s.usage) m.usage.set(k, { ...v });
    return m;
  }
}
