import { createHash } from 'node:crypto';
import { countTokens } from 'gpt-tokenizer';
import { Usage } from '@llm-router/contracts';
import { CostModel } from '@llm-router/pricing';
import { LruCache } from './lru-cache';

/**
 * Token counts before (or without) a provider's usage: gpt-tokenizer's o200k_base encoding,
 * close enough for other vendors' tokenizers to price a call. Prompts are counted once and
 * cached by their hash (a retried or fallback call does not tokenize again).
 */
export class TokenEstimator {
  private readonly cache: LruCache<number>;

  constructor(capacity = 10_000) {
    this.cache = new LruCache(capacity);
  }

  count(text: string): number {
    if (text === '') return 0;
    const key = createHash('sha256').update(text).digest('base64');
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const n = countTokens(text);
    this.cache.set(key, n);
    return n;
  }

  /** Usage of a call the provider did not report: prompt and answer counted here. */
  usage(promptText: string, output: string): Usage {
    return { promptTokens: this.count(promptText), completionTokens: this.count(output) };
  }

  get cached(): number {
    return this.cache.size;
  }
}

/** The prices a call is billed with. */
export interface CallPrice {
  inputPerM: number;
  outputPerM: number;
  /** Self-hosted: the constant cost of one call, whatever its tokens. */
  perCallUsd?: number;
}

/**
 * A cost billed at one list price (`billedAt`), at the price in force instead: scaled by the two
 * prices' blend of input and output (the cost model's, `CostModel.blended`), so a price event
 * moves the bill as it moves the expected cost. A self-hosted price, an unknown one or a free
 * reference leaves it as it was.
 */
export function rebilledCostUsd(
  costUsd: number,
  billedAt: CallPrice | undefined,
  price: CallPrice | undefined,
): number {
  if (!billedAt || !price || price.perCallUsd !== undefined || billedAt.perCallUsd !== undefined) return costUsd;
  const reference = CostModel.blended(billedAt);
  if (!(reference > 0)) return costUsd;
  const current = CostModel.blended(price);
  return current === reference ? costUsd : (costUsd * current) / reference;
}

/** Realised cost of one call: usage x the price in force when it was made; a self-hosted model's constant price per call. */
export function callCostUsd(price: CallPrice, usage: Usage): number {
  if (price.perCallUsd !== undefined) return price.perCallUsd;
  return (usage.promptTokens * price.inputPerM + usage.completionTokens * price.outputPerM) / 1e6;
}
