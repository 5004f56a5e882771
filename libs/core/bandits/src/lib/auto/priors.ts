import { ArmId } from '../policy';
import { WarmRow } from '../warm-start';
import { TEMPLATE_KEY_COUNT, templateKeys } from './features';

/** Empirical-Bayes template groups smaller than this carry too little to separate signal from noise. */
const MIN_GROUP = 3;
/** Bounds on empirical-Bayes widths (noise units per key) and on the noise itself. */
const MIN_SCALE = 0.02;
const MAX_SCALE = 2;
export const MIN_NOISE = 0.03;

/** Prior width per template key, in noise units, of an effect whose sd over templates is `tau`. */
export function templateScale(tau: number, noise: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, tau / Math.sqrt(TEMPLATE_KEY_COUNT) / noise));
}

/** Between-group sd (method of moments) of per-row values grouped by key, and the pooled within-group variance. */
function betweenWithin(groups: Map<string, number[]>): { tau: number; within: number } {
  let n = 0;
  let sum = 0;
  let ssw = 0;
  let g = 0;
  let sumN2 = 0;
  const means: [number, number][] = [];
  for (const vs of groups.values()) {
    if (vs.length < MIN_GROUP) continue;
    const m = vs.reduce((a, b) => a + b, 0) / vs.length;
    for (const v of vs) ssw += (v - m) * (v - m);
    means.push([m, vs.length]);
    n += vs.length;
    sum += m * vs.length;
    sumN2 += vs.length * vs.length;
    g++;
  }
  if (g < 2 || n <= g) return { tau: 0, within: 0 };
  const grand = sum / n;
  let ssb = 0;
  for (const [m, k] of means) ssb += k * (m - grand) * (m - grand);
  const within = ssw / (n - g);
  const tau2 = (ssb - (g - 1) * within) / (n - sumN2 / n);
  return { tau: Math.sqrt(Math.max(0, tau2)), within };
}

export interface EmpiricalPriors {
  /** Per arm: sd over templates of its deviation from the all-arm mean. */
  armTau: Record<ArmId, number>;
  /** sd over templates of the shared difficulty. */
  sharedTau: number;
  /** Judge noise within a template. */
  noise: number;
}

/**
 * Empirical Bayes on an offline file: how much each arm's deviation from the all-arm mean
 * really varies between prompt templates (opening + closing words), how much the shared
 * difficulty does, and the judge noise within a template.
 */
export function empiricalBayes(
  rows: readonly WarmRow[],
  arms: ArmId[],
  meanQuality: Record<ArmId, number>,
  exclude: Set<ArmId>,
): EmpiricalPriors | null {
  const deviation = new Map<ArmId, Map<string, number[]>>(arms.map((a) => [a, new Map()]));
  const centred = new Map<ArmId, Map<string, number[]>>(arms.map((a) => [a, new Map()]));
  const shared = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, v: number) => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  for (const r of rows) {
    const present = arms.filter((a) => r.arms[a] && !exclude.has(a));
    if (present.length < arms.length) continue;
    const keys = templateKeys(r.prompt);
    const key = `${keys[0]}|${keys[1]}`;
    const e = present.map((a) => r.arms[a].reward - meanQuality[a]);
    const mean = e.reduce((x, y) => x + y, 0) / e.length;
    push(shared, key, mean);
    present.forEach((a, i) => {
      push(deviation.get(a)!, key, e[i] - mean);
      push(centred.get(a)!, key, e[i]);
    });
  }
  const s = betweenWithin(shared);
  if (s.within === 0) return null;
  const armTau: Record<ArmId, number> = {};
  let noise2 = 0;
  for (const a of arms) {
    armTau[a] = betweenWithin(deviation.get(a)!).tau;
    noise2 += betweenWithin(centred.get(a)!).within / arms.length;
  }
  return { armTau, sharedTau: s.tau, noise: Math.sqrt(noise2) };
}
