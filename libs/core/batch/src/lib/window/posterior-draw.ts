import { Rng, normalQuantile } from '@llm-router/numerics';
import { WindowEstimates } from './window-estimates';

/**
 * Policies whose `decide` draws from the posterior (Thompson sampling) rather than ranking by a
 * mean or a bound: a window plans them on a draw (`drawQualities`), as they decide per query.
 */
const POSTERIOR_SAMPLING = new Set(['thompson', 'lints']);

/** Whether a window plans `algorithm` on posterior draws (`drawQualities`) instead of its means. */
export function plansOnDraws(algorithm: string): boolean {
  return POSTERIOR_SAMPLING.has(algorithm);
}

/**
 * Replaces each quality estimate of `e` (in place) by one draw from a normal with its mean and
 * the standard deviation its half-width implies (at `halfWidthLevel`), clipped to [0, 1]: batch
 * Thompson sampling. Planned on its means, a sampling policy is greedy: thompson, whose first
 * pull of mistral in a live window came out below llama's, sent every later window to llama and
 * spent 16% of the budget (docs/decisions/0045, 0047). A model with no bounds keeps its estimate (the
 * exploration sub-round tries it), and so does an unavailable one.
 */
export function drawQualities(e: WindowEstimates, rng: Rng, halfWidthLevel = 0.95): void {
  const z = normalQuantile(0.5 + halfWidthLevel / 2);
  for (let x = 0; x < e.quality.length; x++) {
    const h = e.halfWidth[x];
    if (!e.available[x] || !Number.isFinite(h) || h <= 0) continue;
    const q = e.quality[x] + (rng.normal() * h) / z;
    e.quality[x] = q < 0 ? 0 : q > 1 ? 1 : q;
  }
}
