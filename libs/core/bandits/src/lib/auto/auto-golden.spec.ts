import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoPolicy } from './auto-policy';
import { ArmId, DecideConstraints, DecisionContext } from '../policy';
import { policyFromState } from '../registry';
import { Rng } from '../rng';
import { WarmRow } from '../warm-start';

/**
 * Pins what `auto` decides and learns, bit for bit, at the services' dimensions (k = 16,
 * d = 64 dense features, auto's text features): every decision (arm, propensity, scores,
 * probabilities, in key order), estimates, expected costs and the full state at checkpoints.
 * Speed work on the hot path must not change a single bit of it. Regenerate only for an
 * intended change of the model (and say so in the commit):
 *   GOLDEN_UPDATE=1 npx jest libs/core/bandits/src/lib/auto/auto-golden.spec.ts
 */

const FIXTURE = join(__dirname, 'fixtures', 'auto-golden.json');
const D = 64;
const OPENERS = [
  'Answer with the correct letter.',
  'Write a python function that',
  'Translate to French:',
  'Solve for x:',
];
const CLOSERS = ['Answer:', 'Return only the code.', 'Be concise.', 'Think step by step.'];

/** First 128 bits of sha256 of the JSON text (JSON numbers round-trip doubles exactly). */
function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

/** A prompt of one of 16 templates, and dense features with about a quarter of them zero. */
function query(rng: Rng): { text: string; features: Float64Array } {
  const words = Array.from({ length: 3 + rng.int(40) }, () => `w${rng.int(200)}`).join(' ');
  const text = `${OPENERS[rng.int(OPENERS.length)]} ${words} ${CLOSERS[rng.int(CLOSERS.length)]}`;
  const features = Float64Array.from({ length: D }, () => (rng.next() < 0.25 ? 0 : rng.normal() / 8));
  return { text, features };
}

/** Bandit play with the services' contexts, varying lambda, constraints, realised costs, a new arm and a removal. */
function play(p: AutoPolicy, arms: ArmId[], steps: number, seed: number): Record<string, string> {
  const rng = new Rng(seed);
  const truth = new Map(arms.map((a, i) => [a, { level: 0.4 + (0.5 * i) / arms.length, slope: rng.normal() }]));
  const costs: Record<ArmId, number> = Object.fromEntries(arms.map((a, i) => [a, 1e-4 * (i + 1)]));
  const offered = [...arms];
  const decisions: unknown[] = [];
  const pulls: Record<ArmId, number> = {};
  const checkpoints: Record<string, string> = {};
  for (let t = 0; t < steps; t++) {
    if (t === Math.floor(steps / 3)) {
      // A newcomer borrows an incumbent's shape until its first outcome.
      offered.push('newcomer');
      costs['newcomer'] = 2e-4;
      truth.set('newcomer', { level: 0.8, slope: 0.5 });
    }
    if (t === Math.floor(steps / 2)) p.removeArm(offered[1]);
    const { text, features } = query(rng);
    const ctx: DecisionContext =
      t % 5 === 0 ? { text, features } : { features, textFeatures: p.textFeatures(text), text };
    const c: DecideConstraints = { lambda: t % 7 === 0 ? 0 : 200 + (t % 300), costs };
    if (t % 11 === 0) c.maxCostUsd = 6e-4;
    if (t % 13 === 0) c.minQuality = 0.7;
    const d = p.decide(ctx, offered, c);
    decisions.push(d);
    pulls[d.arm] = (pulls[d.arm] ?? 0) + 1;
    const truthOf = truth.get(d.arm)!;
    const quality = Math.min(1, Math.max(0, truthOf.level + 0.05 * truthOf.slope * features[3] + 0.1 * rng.normal()));
    // Long prompts use more tokens than the price list expects.
    const costUsd = costs[d.arm] * (0.5 + text.length / 200);
    p.update(ctx, d.arm, { quality, costUsd, ...(t % 9 === 0 ? {} : { expectedCostUsd: costs[d.arm] }) });
    if ((t + 1) % (steps / 4) === 0) {
      const probe = query(new Rng(t));
      const reads = p.arms().map((a) => [a, p.estimate(probe, a), p.expectedCost(probe, a, 1e-3)]);
      checkpoints[`step ${t + 1}: decisions`] = digest(decisions.splice(0));
      checkpoints[`step ${t + 1}: estimates and costs`] = digest(reads);
      checkpoints[`step ${t + 1}: state`] = digest(p.toState());
    }
  }
  // Readable, so that the fixture shows the run exercised every arm, the newcomer included.
  checkpoints['pulls'] = JSON.stringify(pulls);
  return checkpoints;
}

function warmRows(arms: ArmId[], n: number, seed: number): WarmRow[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const { text } = query(rng);
    return {
      prompt: text,
      arms: Object.fromEntries(
        arms.map((a, i) => [a, { reward: 0.3 + 0.05 * i + 0.1 * rng.next(), cost: 1e-4 * (i + 1) }]),
      ),
    };
  });
}

function runs(): Record<string, Record<string, string>> {
  const arms = Array.from({ length: 16 }, (_, i) => `model-${i}`);
  const cold = new AutoPolicy({ arms: [], seed: 3, d: D });
  for (const a of arms) cold.addArm(a);
  const warmArms = arms.slice(0, 4);
  const warm = new AutoPolicy({ arms: warmArms, seed: 5, d: D });
  warm.warmStart(warmRows(warmArms, 150, 11), {
    context: (r) => ({ text: r.prompt, features: query(new Rng(r.prompt.length)).features }),
  });
  const replica = policyFromState(JSON.parse(JSON.stringify(warm.toState()))) as AutoPolicy;
  const base = warm.toState();
  const out = { cold: play(cold, arms, 2000, 1), warm: play(warm, warmArms, 600, 2) };
  play(replica, warmArms, 300, 3);
  warm.merge(replica.toState(), base);
  return { ...out, merged: { state: digest(warm.toState()) } };
}

const actual = runs();
if (process.env['GOLDEN_UPDATE'] === '1') writeFileSync(FIXTURE, JSON.stringify(actual, null, 2) + '\n');

describe('auto golden trajectory', () => {
  it('decides, estimates and learns bit for bit as recorded', () => {
    expect(existsSync(FIXTURE)).toBe(true);
    expect(actual).toEqual(JSON.parse(readFileSync(FIXTURE, 'utf8')));
  });
});
