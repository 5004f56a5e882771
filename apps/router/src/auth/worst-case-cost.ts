/** List prices in USD per million tokens. */
export interface TokenPrices {
  inputPerM: number;
  outputPerM: number;
}

/**
 * The most a call can cost: the prompt's input plus max output tokens, at the list price of
 * the most expensive eligible model (discount tiers only lower it). A prompt has at most as
 * many tokens as UTF-8 bytes (byte-level tokenizers merge bytes, never split them).
 */
export function worstCaseCostUsd(prices: TokenPrices[], promptBytes: number, maxOutputTokens: number): number {
  let worst = 0;
  for (const p of prices) worst = Math.max(worst, (promptBytes * p.inputPerM + maxOutputTokens * p.outputPerM) / 1e6);
  return worst;
}

/** Tokens of a call when the provider reports no usage: about four bytes of text per token. */
export const estimatedTokens = (textBytes: number) => Math.ceil(textBytes / 4);
