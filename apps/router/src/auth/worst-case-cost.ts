/** List prices in USD per million tokens; a self-hosted model's constant price per call. */
export interface TokenPrices {
  inputPerM: number;
  outputPerM: number;
  perCallUsd?: number;
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

/** The worst case including self-hosted models, which cost their price per call whatever the tokens. */
export function worstCaseCallUsd(prices: TokenPrices[], promptBytes: number, maxOutputTokens: number): number {
  return Math.max(worstCaseCostUsd(prices, promptBytes, maxOutputTokens), ...prices.map((p) => p.perCallUsd ?? 0));
}

/** Tokens of a call when the provider reports no usage: about four bytes of text per token. */
export const estimatedTokens = (textBytes: number) => Math.ceil(textBytes / 4);
