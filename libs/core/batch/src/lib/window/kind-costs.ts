import { templateKeys } from '@llm-router/bandits';
import { murmur3 } from '@llm-router/features';
import { WindowEstimates } from './window-estimates';

/**
 * What a model costs per kind of prompt, learnt from the bills, for planning a window before its
 * calls are made (docs/decisions/0050).
 *
 * The cost a window is planned on is the policy's per-prompt guess (its usage model) times the
 * model's level: realised over guessed on its recent calls. On a source the usage model has not
 * seen, both can be far off, and a cold run meets every source that way: on val.jsonl by
 * source, mistral's expected cost on a source it had not been called on was 0.6 to 1.9 times its
 * true mean, and giving the planner each source's true mean cost alone lifted cold seed 3 from
 * +1.88% to +4.55% (docs/decisions/0042). So a kind of prompt (its closing phrase, shared by at
 * least two prompts) gets a cost factor of its own on each model:
 * - the model's own bills on the kind, realised over guessed, shrunk towards
 * - a guess shared across models: the model's level times how the kind compared with their
 *   levels on the other models billed on it (answers to a kind of prompt are long or short on
 *   every model: the per-source log costs of llama and mistral on val.jsonl correlate 0.74).
 * A factor multiplies the usage model's per-prompt guess, so a prompt it expects longer than the
 * kind's billed ones stays dearer (pricing a kind flat made the easy first rows of a by-difficulty
 * order price its hard ones). Kinds of the warm-start file keep the usage model's price: it was
 * fitted on them.
 *
 * A prompt's kind is its closing phrase where another prompt ends alike, else its opening phrase
 * where another begins alike (`PromptKind`): the two template keys auto learns quality on, with
 * names and numbers masked. Tasks whose prompts share an instruction but not an ending (sort these
 * words, which sentence is ordered right) are kinds by their opening (docs/decisions/0055); a
 * template that ends in a name (does Vernell tell the truth) is one kind (0064).
 */
export class KindLedger {
  /** Per kind key (`kindKeys`): per arm, its bills. */
  private readonly bills = new Map<string, (KindBills | undefined)[]>();
  /** Per kind key: prompts of the warm-start file that share it. */
  private readonly warm = new Map<string, number>();

  constructor(
    readonly k: number,
    readonly priors: KindCostPriors = DEFAULT_KIND_COST_PRIORS,
  ) {}

  /** The warm-start file's prompts: kinds the usage model was fitted on, and prompts seen. */
  countWarmStart(texts: Iterable<string>): void {
    this.addWarmCounts(kindCounts(texts));
  }

  /** The same from the file's prompts counted per kind key once (`kindCounts`): a caller pricing many windows. */
  addWarmCounts(counts: ReadonlyMap<string, number>): void {
    for (const [c, n] of counts) this.warm.set(c, (this.warm.get(c) ?? 0) + n);
  }

  /** One billed call of `arm` on a prompt of kind `kind`: what it cost, and its guess before any level. */
  observe(arm: number, kind: PromptKind, realisedUsd: number, baseUsd: number): void {
    const b = { realisedUsd, baseUsd, calls: 1 };
    this.addKind(arm, kind, b);
    this.addPrompt(arm, kind.prompt, b);
  }

  /** Bills of `arm` on prompts of kind `kind` added at once, under each of its keys (the batch-planner reads them per model and kind). */
  addKind(arm: number, kind: FiledKind, b: KindBills): void {
    for (const key of kindKeys(kind)) this.add(arm, key, b);
  }

  /** Bills of `arm` on one prompt (`PromptKind.prompt`, its digest) added at once: they price that prompt again (`kindsOf`). */
  addPrompt(arm: number, prompt: string, b: KindBills): void {
    this.add(arm, promptKey(prompt), b);
  }

  /** Bills of `arm` under one kind key (`kindKeys`) added at once. */
  add(arm: number, key: string, b: KindBills): void {
    const valid = Number.isFinite(b.realisedUsd) && b.realisedUsd >= 0 && Number.isFinite(b.baseUsd) && b.baseUsd > 0;
    if (!valid || !(b.calls > 0) || !Number.isFinite(b.calls)) return;
    let row = this.bills.get(key);
    if (!row) this.bills.set(key, (row = new Array(this.k).fill(undefined)));
    const x = row[arm];
    row[arm] = x
      ? { realisedUsd: x.realisedUsd + b.realisedUsd, baseUsd: x.baseUsd + b.baseUsd, calls: x.calls + b.calls }
      : { ...b };
  }

  /** Billed calls of `arm` on prompts of the kind key `key`. */
  calls(arm: number, key: string): number {
    return this.bills.get(key)?.[arm]?.calls ?? 0;
  }

  /** Prompts of the kind key `key` seen before the window: the warm-start file's and those billed. */
  seen(key: string): number {
    let n = this.warm.get(key) ?? 0;
    for (const b of this.bills.get(key) ?? []) n += b?.calls ?? 0;
    return n;
  }

  /** Whether the usage model was fitted on the kind (at least two warm-start prompts share its key). */
  fitted(key: string): boolean {
    return (this.warm.get(key) ?? 0) >= KIND_PROMPTS;
  }

  /**
   * The kind key of each prompt of a window for costs (`promptKind`, computed once by the caller):
   * the prompt itself where it has bills (a query already routed, as the routed mix re-estimates
   * them; a prompt sent again), else its closing phrase where at least two prompts, seen before or
   * in the window, end with it, else its opening key where at least two begin alike; null for the
   * others (free text).
   *
   * A routed query's own bill is what it cost, where its kind's is an average: the routed mix sets
   * the window's dual price, and a price set on each routed query's own cost holds the spread of
   * costs within a kind (a long answer on one model is long on the others: 0042). Before kinds were
   * read with names masked (0064) most free-text prompts had a closing phrase of their own, so their
   * bills priced them alone by accident; masking merged them, and the batch gain on the synthetic
   * sources of libs/core/simulation fell from +0.62% to +0.12% until the prompt's own key kept it.
   */
  kindsOf(kinds: readonly PromptKind[]): (string | null)[] {
    const here = new Map<string, number>();
    for (const p of kinds) for (const key of kindKeys(p)) here.set(key, (here.get(key) ?? 0) + 1);
    return kinds.map((p) => {
      const own = promptKey(p.prompt);
      if (this.bills.has(own)) return own;
      return kindKeys(p).find((key) => this.seen(key) + here.get(key)! >= KIND_PROMPTS) ?? null;
    });
  }

  /**
   * How far apart two sets of prompts are in their mix of kinds: the total variation distance
   * between their shares of each kind key (`kindsOf`, each set on its own; free text one kind),
   * 0 for the same mix, 1 for sets with no kind in common.
   */
  mixDistance(a: readonly PromptKind[], b: readonly PromptKind[]): number {
    const shares = (kinds: readonly PromptKind[]) => {
      const m = new Map<string | null, number>();
      for (const key of this.kindsOf(kinds)) m.set(key, (m.get(key) ?? 0) + 1 / kinds.length);
      return m;
    };
    const p = shares(a);
    const q = shares(b);
    let distance = 0;
    for (const key of new Set([...p.keys(), ...q.keys()])) distance += Math.abs((p.get(key) ?? 0) - (q.get(key) ?? 0));
    return distance / 2;
  }

  /**
   * Factor on `arm`'s guessed cost (before any level) of a prompt of `kind`; null when no model
   * has a bill on it. `levels[j]`: model j's realised over guessed cost on its recent calls, null
   * before its first bill (raw, as a kind's own ratio is: CostCalibration.ratio).
   */
  factor(arm: number, kind: string, levels: readonly (number | null)[]): number | null {
    const row = this.bills.get(kind);
    if (!row) return null;
    const own = row[arm];
    const level = levels[arm];
    let logSum = 0;
    let calls = 0;
    for (let j = 0; j < this.k; j++) {
      const b = row[j];
      const l = levels[j];
      if (j === arm || !b || l === null || !(l > 0)) continue;
      logSum += b.calls * Math.log(b.realisedUsd / b.baseUsd / l);
      calls += b.calls;
    }
    if (!own && calls === 0) return null;
    if (level === null) return own ? own.realisedUsd / own.baseUsd : null;
    const guess = calls > 0 ? level * Math.exp(logSum / (calls + this.priors.shared)) : level;
    if (!own) return guess;
    const p = this.priors.own;
    return (own.calls * (own.realisedUsd / own.baseUsd) + p * guess) / (own.calls + p);
  }

  /**
   * Prices the window per kind, in place: each available entry of a query of a kind (`kinds`,
   * from `kindsOf`) the usage model was not fitted on, with a factor, costs `base` times it.
   * `base[x]`: the entry's guessed cost before any level. Returns, per entry, whether its model
   * has bills on its kind from before the window (DispatchOptions.kindBilled).
   */
  price(
    e: WindowEstimates,
    base: ArrayLike<number>,
    kinds: readonly (string | null)[],
    levels: readonly (number | null)[],
  ): Uint8Array {
    const billed = new Uint8Array(e.n * e.k);
    const factors = new Map<string, (number | null)[]>();
    for (let i = 0; i < e.n; i++) {
      const kind = kinds[i];
      if (kind === null) continue;
      let f = factors.get(kind);
      if (!f)
        factors.set(
          kind,
          (f = Array.from({ length: e.k }, (_, j) => (this.fitted(kind) ? null : this.factor(j, kind, levels)))),
        );
      for (let j = 0; j < e.k; j++) {
        const x = i * e.k + j;
        if (this.calls(j, kind) > 0) billed[x] = 1;
        if (e.available[x] && f[j] !== null) e.cost[x] = base[x] * f[j]!;
      }
    }
    return billed;
  }
}

/** Calls' worth of the priors a kind's cost factor is shrunk towards. */
export interface KindCostPriors {
  /** A model's own bills on a kind are shrunk towards the guess shared across models. */
  own: number;
  /** The kind's usage shared across models is shrunk towards "as the model's average". */
  shared: number;
}

export const DEFAULT_KIND_COST_PRIORS: KindCostPriors = { own: 1, shared: 1 };

/** Bills of one model on one kind of prompt. */
export interface KindBills {
  realisedUsd: number;
  /** What the same calls were guessed to cost before any level. */
  baseUsd: number;
  calls: number;
}

/**
 * A prompt's closing phrase as auto's template key of its last words (libs/core/bandits
 * `templateKeys`), at most MAX_CLOSING_CHARS characters: the kind of the residual correction
 * (recent-residuals.ts, docs/decisions/0044), which costs do not use (`promptKind`).
 */
export function closingPhrase(text: string): string {
  return cut(templateKeys(text)[1]);
}

/** What a prompt's kind is read from: its closing phrase and its opening one, and the prompt itself (`promptKind`). */
export interface PromptKind {
  closing: string;
  opening: string;
  /** The whole prompt's digest (`promptDigest`): its own bills, once it has some, price it (`KindLedger.kindsOf`). */
  prompt: string;
}

/**
 * A prompt's kind for costs: its last four words and its first two (`shapeWords`: names and
 * numbers masked), each at most MAX_CLOSING_CHARS characters. A phrase that keeps fewer than two
 * words of its own once masked ("@ @ @ @": a title; "f # # #": a date) is taken as written, as
 * auto's template key is: masked, it would make one kind of unlike prompts of many sources.
 *
 * Masking is what makes a template whose item names someone a kind: web_of_lies' 31 prompts end
 * in "does Shenna tell the truth", "does Amberly tell the truth", ..., 20 closing phrases as
 * written, and each of its windows met them as new kinds with no bill (docs/decisions/0064).
 * A prompt may end in one word of any length (a hostile one: 100,000 random letters); the
 * phrases are stored and indexed with each batch bill (batch_bills.closing, .opening), where
 * PostgreSQL refuses an index row above a few kilobytes: the window's bills, and so the window,
 * failed. Hence the cut.
 */
export function promptKind(text: string): PromptKind {
  const words = shapeWords(text);
  // The prompt is read a second time only where a phrase is taken as written.
  return {
    closing: cut(ownWords(words.slice(-CLOSING_WORDS)) ?? templateKeys(text)[1]),
    opening: cut(ownWords(words.slice(0, OPENING_WORDS)) ?? templateKeys(text)[0]),
    prompt: promptDigest(text),
  };
}

/**
 * A prompt's digest: 64 bits of two MurmurHash3 seeds in hex, the same in the replay and in every
 * batch-planner (batch_bills.prompt). Two prompts with one digest would share their bills; at a
 * period's thousands of prompts the chance is about 1e-12.
 */
export function promptDigest(text: string): string {
  return hex8(murmur3(text, 0)) + hex8(murmur3(text, PROMPT_DIGEST_SEED));
}

const hex8 = (h: number) => (h >>> 0).toString(16).padStart(8, '0');
const PROMPT_DIGEST_SEED = 0x9e3779b9;

/**
 * A prompt's words, lower-cased, with what varies between prompts of one template masked: a
 * word holding a digit is `#`, a capitalised word inside a sentence (after a letter, a digit or
 * a comma on the same line: "does Vernell tell", "than Dawn", "Alice, Bob") is `@`. A capitalised
 * word after a full stop, a colon, a bracket, a line break or at the start is kept: it opens a
 * sentence or a line, or labels an option.
 */
export function shapeWords(text: string): string[] {
  const words: string[] = [];
  for (const m of text.matchAll(WORD)) {
    const w = m[0];
    let p = m.index - 1;
    while (p >= 0 && SPACE.test(text[p]!)) p--;
    if (DIGIT.test(w)) words.push(NUMBER_MASK);
    else if (CAPITAL.test(w) && p >= 0 && INSIDE_SENTENCE.test(text[p]!)) words.push(NAME_MASK);
    else words.push(w.toLowerCase());
  }
  return words;
}

/** The words as one phrase, or null when fewer than two of them are the prompt's own (not masks). */
function ownWords(words: readonly string[]): string | null {
  const own = words.filter((w) => w !== NAME_MASK && w !== NUMBER_MASK).length;
  return own >= 2 ? words.join(' ') : null;
}

const WORD = /[\p{L}\p{N}]+/gu;
const SPACE = /[ \t]/u;
const DIGIT = /\p{N}/u;
const CAPITAL = /^\p{Lu}/u;
const INSIDE_SENTENCE = /[\p{L}\p{N},]/u;
const NAME_MASK = '@';
const NUMBER_MASK = '#';
const CLOSING_WORDS = 4;
const OPENING_WORDS = 2;

/** A kind as a bill was filed with it: bills filed before openings were kept have none (batch_bills.opening NULL). */
export type FiledKind = Pick<PromptKind, 'closing'> & { opening: string | null };

/**
 * The keys a prompt's bills are kept under, in the order `kindsOf` tries them: its closing phrase,
 * then its opening one marked so that it never equals a closing phrase (a phrase is words, masks
 * and single spaces: never a colon).
 */
export function kindKeys(kind: FiledKind): string[] {
  return kind.opening === null ? [kind.closing] : [kind.closing, OPENING_MARK + kind.opening];
}

/** The key a prompt's own bills are kept under (`KindLedger.addPrompt`), marked as the opening's is. */
export function promptKey(digest: string): string {
  return PROMPT_MARK + digest;
}

const OPENING_MARK = 'opening: ';
const PROMPT_MARK = 'prompt: ';

function cut(phrase: string): string {
  return phrase.length <= MAX_CLOSING_CHARS ? phrase : Array.from(phrase).slice(0, MAX_CLOSING_CHARS).join('');
}

/** Characters of a closing (or opening) phrase kept (at most 4 bytes each in UTF-8: well within an index row). */
export const MAX_CLOSING_CHARS = 200;

/** Prompts that must end (or begin) alike before their phrase is a kind of its own. */
export const KIND_PROMPTS = 2;

/** How many of the prompts share each kind key (`kindKeys`: every prompt counts under both of its keys). */
export function kindCounts(texts: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of texts) for (const key of kindKeys(promptKind(t))) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** What a window's probe of its new kinds of prompt may call. */
export interface ProbeOptions {
  /** Calls of each model on a new kind before the rest of its window is planned (PROBE_CALLS). */
  calls?: number;
  /** A model is probed only if its mean expected cost on the kind is at most this many per-query targets. */
  maxTargets?: number;
  /** A kind is probed only if the window holds at least this many of its prompts. */
  minRows?: number;
}

export const PROBE_CALLS = 3;
export const PROBE_MAX_TARGETS = 6;
export const PROBE_MIN_ROWS = 8;

/**
 * The probe of a window (rows of the window, and the arm each is sent to): for each kind of
 * prompt no earlier prompt has shown (`seen` 0, the warm-start file's count too) with at least
 * `minRows` prompts in the window, `calls` of them on each model that offers all of them and
 * whose mean expected cost on them is at most `maxTargets` per-query targets; a model never billed (`priced` false) gets one probe call per
 * window, as planWindow gives an unpriced arm one call. The probe is sent and learnt from before
 * the rest of the window is planned: a source's first window, planned on the guess alone, is
 * where its money goes (docs/decisions/0042, 0050).
 */
export function probeRound(
  ledger: KindLedger,
  e: WindowEstimates,
  kinds: readonly (string | null)[],
  perQueryUsd: number,
  priced: (arm: number) => boolean,
  opts: ProbeOptions = {},
): { rows: number[]; arms: number[] } {
  const calls = opts.calls ?? PROBE_CALLS;
  const maxTargets = opts.maxTargets ?? PROBE_MAX_TARGETS;
  const minRows = opts.minRows ?? PROBE_MIN_ROWS;
  const groups = new Map<string, number[]>();
  kinds.forEach((kind, i) => {
    if (kind === null || ledger.seen(kind) > 0) return;
    let g = groups.get(kind);
    if (!g) groups.set(kind, (g = []));
    g.push(i);
  });
  const rows: number[] = [];
  const arms: number[] = [];
  const unpricedProbed = new Set<number>();
  for (const [kind, g] of groups) {
    if (g.length < minRows) continue;
    let next = 0;
    for (let j = 0; j < e.k; j++) {
      // An unseen kind has no bills: every model starts its probe from none.
      if (!worthProbing(e, g, j, maxTargets * perQueryUsd)) continue;
      if (!priced(j) && unpricedProbed.has(j)) continue;
      const want = priced(j) ? calls : 1;
      if (!priced(j)) unpricedProbed.add(j);
      for (let c = 0; c < want && next < g.length; c++) {
        rows.push(g[next++]);
        arms.push(j);
      }
    }
  }
  return { rows, arms };
}

/**
 * Whether model `j` may probe the rows `g` of one kind: every one of them offers it, and their
 * mean expected cost is at most `limitUsd`.
 */
function worthProbing(e: WindowEstimates, g: readonly number[], j: number, limitUsd: number): boolean {
  if (g.length === 0 || g.some((i) => !e.available[i * e.k + j])) return false;
  return g.reduce((s, i) => s + e.cost[i * e.k + j], 0) / g.length <= limitUsd;
}

/** A model the first stage of a window's probe gave a single call on a kind, its price unknown until then. */
export interface SingleProbeCall {
  kind: string;
  arm: number;
}

/**
 * The probe's single calls (`probeRound` on `kinds`, with the same `priced`): per kind, each model
 * that had no bill yet and so got one call.
 */
export function singleProbeCalls(
  probe: { rows: readonly number[]; arms: readonly number[] },
  kinds: readonly (string | null)[],
  priced: (arm: number) => boolean,
): SingleProbeCall[] {
  const out: SingleProbeCall[] = [];
  probe.rows.forEach((i, c) => {
    const kind = kinds[i];
    if (kind !== null && !priced(probe.arms[c])) out.push({ kind, arm: probe.arms[c] });
  });
  return out;
}

/**
 * The second stage of a window's probe: each model the first stage gave a single call on a kind
 * because none of its calls had been billed (`single`) gets `calls` more prompts of that kind from
 * the rest of the window (`e`, priced on the first stage's bills; `kinds` its kind keys), if its
 * bill has come in (`priced`: a late bill leaves its price the list's guess, and the model is not
 * called again on it), every one of those prompts offers it, and their mean expected cost, now that
 * the bill shows its price, is within `maxTargets` per-query targets.
 *
 * The single call keeps a model whose price list understates it (a reasoning flagship) from
 * spending before one bill is seen; it also left the period's first window planned on one outcome
 * per model, a lottery: on val.jsonl by source one pair of calls read openbookqa's upgrade at
 * 0.138 on one seed and 0.006 on another, and sent 98 rows one way or the other
 * (docs/decisions/0056).
 */
export function probeTopUp(
  single: readonly SingleProbeCall[],
  e: WindowEstimates,
  kinds: readonly (string | null)[],
  perQueryUsd: number,
  opts: { calls?: number; maxTargets?: number; priced?: (arm: number) => boolean } = {},
): { rows: number[]; arms: number[] } {
  const calls = opts.calls ?? PROBE_TOP_UP_CALLS;
  const priced = opts.priced ?? (() => true);
  const maxTargets = opts.maxTargets ?? PROBE_MAX_TARGETS;
  const byKind = new Map<string, Set<number>>();
  for (const { kind, arm } of single) {
    let arms = byKind.get(kind);
    if (!arms) byKind.set(kind, (arms = new Set()));
    arms.add(arm);
  }
  const rows: number[] = [];
  const arms: number[] = [];
  for (const [kind, probed] of byKind) {
    const g = kinds.flatMap((kd, i) => (kd === kind ? [i] : []));
    let next = 0;
    for (const j of [...probed].sort((a, b) => a - b)) {
      if (!priced(j) || !worthProbing(e, g, j, maxTargets * perQueryUsd)) continue;
      for (let c = 0; c < calls && next < g.length; c++) {
        rows.push(g[next++]);
        arms.push(j);
      }
    }
  }
  return { rows, arms };
}

/** Calls the probe's second stage adds for a model its first stage called once (`probeTopUp`). */
export const PROBE_TOP_UP_CALLS = 1;

/**
 * What a later query's cheapest model is expected to cost when the window is priced per kind: the
 * later queries' kinds are not known, so the reserve for them takes at least the recent mean bill
 * of the model whose mean bill is lowest, once it rests on `minCalls` calls (null: no bill yet, or
 * too few of the cheapest model's). A dearer model's bill never stands for it: a cold period's
 * first window that sent nearly every query to the better model left that model the only one with
 * `minCalls` bills, and its mean, above the per-query target, reserved more than the whole budget
 * left for the later queries, so the next window could buy nothing (docs/decisions/0058).
 */
export function recentCheapestBillUsd(
  bills: readonly { realisedUsd: number; calls: number }[],
  minCalls = RESERVE_MIN_CALLS,
): number | null {
  let cheapest: { realisedUsd: number; calls: number } | null = null;
  for (const b of bills)
    if (b.calls > 0 && (cheapest === null || b.realisedUsd / b.calls < cheapest.realisedUsd / cheapest.calls))
      cheapest = b;
  return cheapest !== null && cheapest.calls >= minCalls ? cheapest.realisedUsd / cheapest.calls : null;
}

/** Calls the cheapest model's recent mean bill must rest on to price the later queries' reserve. */
export const RESERVE_MIN_CALLS = 20;

/**
 * Whether a warm-started period's first window is a mix of prompts like the warm-start file's (its
 * forecast): then a model whose usage the warm start taught is planned on it, not held to one call
 * until its first bill (docs/decisions/0057, 0065). The hold pays where the first window is unlike the
 * rest (by source: one source; by difficulty: the easiest rows, where the priors overstate what an
 * upgrade buys) and costs a stream whose first window is like any other: on val.jsonl's shuffled
 * halves it spent 0.13 of its share and left the run 0.23 points under per-query routing.
 */
export function firstWindowLikeForecast(
  ledger: KindLedger,
  window: readonly PromptKind[],
  forecast: readonly PromptKind[],
): boolean {
  return window.length > 0 && forecast.length > 0 && ledger.mixDistance(window, forecast) < TYPICAL_MIX_DISTANCE;
}

/**
 * The mix distance (`KindLedger.mixDistance`) below which a first window counts as like its
 * forecast. On val.jsonl's halves (the window of 100 against the other half's prompts): shuffled
 * 0.50-0.54, by-source 0.77-0.90, by-difficulty 0.75-0.81; random windows of the forecast itself
 * 0.43 at the median, 0.48 at most (docs/decisions/0065). A window above it keeps the hold, today's behaviour.
 */
export const TYPICAL_MIX_DISTANCE = 0.65;
