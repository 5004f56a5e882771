import {
  DEFAULT_KIND_COST_PRIORS,
  KIND_PROMPTS,
  KindLedger,
  PROBE_CALLS,
  PROBE_MAX_TARGETS,
  PROBE_MIN_ROWS,
  RESERVE_MIN_CALLS,
  type PromptKind,
  closingPhrase,
  kindCounts,
  kindKeys,
  MAX_CLOSING_CHARS,
  firstWindowLikeForecast,
  promptDigest,
  promptKey,
  TYPICAL_MIX_DISTANCE,
  promptKind,
  probeRound,
  shapeWords,
  probeTopUp,
  PROBE_TOP_UP_CALLS,
  recentCheapestBillUsd,
  singleProbeCalls,
} from './kind-costs';
import { WindowEstimates, emptyWindowEstimates } from './window-estimates';

const MCQ = (q: string) => `${q}\n(A) yes (B) no\nAnswer with the correct letter and explain why.`;
const CLOSE = (q: string) =>
  `Complete the sentence: ${q}\nWhich option correctly fills the blank? Explain your reasoning.`;
const MCQ_KIND = 'letter and explain why';
const CLOSE_KIND = 'blank explain your reasoning';
/** The prompts' kinds, as a caller hands them to `KindLedger.kindsOf`. */
const kindsOfTexts = (texts: readonly string[]) => texts.map(promptKind);
/** A prompt kind that ends in `closing` (and begins alike only with its own kind). */
const ending = (closing: string): PromptKind => ({ closing, opening: `${closing} start`, prompt: closing });
const SORT = (words: string) => `Sort the following words alphabetically: List: ${words}`;

/** n queries, every arm available at `costs[j]` (or per row, when a row of costs is given). */
function windowOf(n: number, costs: readonly number[] | ((i: number) => readonly number[])): WindowEstimates {
  const row = typeof costs === 'function' ? costs : () => costs;
  const k = row(0).length;
  const e = emptyWindowEstimates(n, k);
  for (let i = 0; i < n; i++)
    row(i).forEach((c, j) => {
      e.cost[i * k + j] = c;
      e.quality[i * k + j] = 0.5;
      e.available[i * k + j] = 1;
    });
  return e;
}

describe('closingPhrase', () => {
  it("is the prompt's last four words, lower-cased, without punctuation", () => {
    expect(closingPhrase(MCQ('Is water wet?'))).toBe(MCQ_KIND);
    expect(closingPhrase(CLOSE('The _ was dirtier.'))).toBe(CLOSE_KIND);
    expect(closingPhrase('What is 2 + 2?')).toBe('what is 2 2');
    expect(closingPhrase('')).toBe('');
  });

  it('keeps at most MAX_CLOSING_CHARS characters of a phrase, never splitting a character', () => {
    const long = 'x'.repeat(100_000);
    expect(closingPhrase(`Say ${long}`)).toBe(`say ${long}`.slice(0, MAX_CLOSING_CHARS));
    // Astral characters (two UTF-16 units each) are cut whole.
    const astral = '\u{1D400}'.repeat(300);
    const cut = closingPhrase(`Answer in ${astral}`);
    expect(Array.from(cut)).toHaveLength(MAX_CLOSING_CHARS);
    expect(cut.endsWith('\u{1D400}')).toBe(true);
  });

  it("reads a prompt's kind from its closing phrase and its first two words, kept under keys that never collide", () => {
    expect(promptKind(SORT('oblong bucolic whoosh'))).toEqual({
      closing: 'list oblong bucolic whoosh',
      opening: 'sort the',
      prompt: promptDigest(SORT('oblong bucolic whoosh')),
    });
    expect(promptKind('')).toMatchObject({ closing: '', opening: '' });
    const long = 'y'.repeat(100_000);
    expect(promptKind(`${long} ends`).opening).toBe(`${long} ends`.slice(0, MAX_CLOSING_CHARS));
    // A closing phrase is words and single spaces: the opening's mark cannot be one.
    const [closing, opening] = kindKeys(promptKind('sort the'));
    expect(closing).toBe('sort the');
    expect(opening).not.toBe(closing);
    expect(opening).toContain(':');
  });

  it('masks names and numbers, so that a template ending in a name or a date is one kind', () => {
    const lies = (name: string) =>
      `Question: Millicent lies. ${name} says Millicent tells the truth. Does ${name} tell the truth?`;
    expect(promptKind(lies('Vernell'))).toMatchObject({ closing: '@ tell the truth', opening: 'question millicent' });
    expect(promptKind(lies('Shenna')).closing).toBe('@ tell the truth');
    expect(shapeWords('Alice, Bob and Claire swap 3 balls in 2024.')).toEqual([
      'alice',
      '@',
      'and',
      '@',
      'swap',
      '#',
      'balls',
      'in',
      '#',
    ]);
    // Capitals that open a sentence or a line, or label an option, are words, not names.
    expect(shapeWords('Answer: Yes. No (B) Maybe\nSure')).toEqual(['answer', 'yes', 'no', 'b', 'maybe', 'sure']);
    expect(promptKind('How long from 10am to 2pm?').closing).toBe('from # to #');
  });

  it('takes a phrase as written when masking would leave fewer than two of its own words', () => {
    // Titles and dates: masked, "@ @ @ @" and "f # # #" would make one kind of unlike prompts.
    expect(promptKind('Find a movie like The Lord Of Rings').closing).toBe('the lord of rings');
    expect(promptKind('Which date? (E) 07/04/2003 (F) 07/05/2003').closing).toBe('f 07 05 2003');
    expect(promptKind('Is 12 + 30 = 42').opening).toBe('is 12');
    expect(promptKind('Does Mary Ann Smith tell').closing).toBe('mary ann smith tell');
  });

  it('takes two prompts to make a kind', () => {
    expect(KIND_PROMPTS).toBe(2);
  });

  it('counts prompts per kind key, each under its closing and its opening; a ledger given the counts knows what one given the prompts knows', () => {
    const texts = [MCQ('a?'), MCQ('b?'), CLOSE('c.'), 'free text here'];
    expect(kindCounts(texts)).toEqual(
      new Map([
        [MCQ_KIND, 2],
        ['opening: a a', 1],
        ['opening: b a', 1],
        [CLOSE_KIND, 1],
        ['opening: complete the', 1],
        ['free text here', 1],
        ['opening: free text', 1],
      ]),
    );
    const fromTexts = new KindLedger(1);
    fromTexts.countWarmStart(texts);
    const fromCounts = new KindLedger(1);
    fromCounts.addWarmCounts(kindCounts(texts));
    for (const c of [MCQ_KIND, CLOSE_KIND, 'free text here', 'opening: complete the', 'unseen'])
      expect([fromCounts.seen(c), fromCounts.fitted(c)]).toEqual([fromTexts.seen(c), fromTexts.fitted(c)]);
    expect(fromCounts.fitted(MCQ_KIND)).toBe(true);
    expect(fromCounts.fitted(CLOSE_KIND)).toBe(false);
  });
});

describe('KindLedger', () => {
  describe('kindsOf', () => {
    it('names a closing phrase a kind once two prompts of the window end with it; free text is null', () => {
      const ledger = new KindLedger(2);
      expect(ledger.kindsOf(kindsOfTexts([MCQ('Is water wet?'), 'What is 2 + 2?', MCQ('Is fire cold?')]))).toEqual([
        MCQ_KIND,
        null,
        MCQ_KIND,
      ]);
      // One prompt of a closing phrase nobody has seen is free text.
      expect(ledger.kindsOf(kindsOfTexts([MCQ('Is ice hot?'), CLOSE('The _ was dirtier.')]))).toEqual([null, null]);
    });

    it('names a kind by its opening where prompts begin alike but end apart, and prefers the closing where both are shared', () => {
      const ledger = new KindLedger(2);
      const open = kindKeys(promptKind(SORT('a')))[1];
      expect(ledger.kindsOf(kindsOfTexts([SORT('oblong bucolic'), 'What is 2 + 2?', SORT('lunge siren')]))).toEqual([
        open,
        null,
        open,
      ]);
      // Two multiple-choice questions that also begin alike: their shared ending is the kind.
      expect(ledger.kindsOf(kindsOfTexts([MCQ('Is water wet?'), MCQ('Is water cold?')]))).toEqual([MCQ_KIND, MCQ_KIND]);
      // An opening seen before makes a lone prompt of the window a kind.
      ledger.observe(0, promptKind(SORT('whoosh chess')), 0.1, 0.1);
      expect(ledger.kindsOf(kindsOfTexts([SORT('nitric petition')]))).toEqual([open]);
    });

    it('names a prompt by itself once it has bills, before its kind: a routed query is priced on what it cost', () => {
      const ledger = new KindLedger(2);
      const [routed, next] = [MCQ('Is water wet?'), MCQ('Is fire cold?')];
      ledger.observe(1, promptKind(routed), 0.5, 0.1);
      expect(ledger.kindsOf(kindsOfTexts([routed, next]))).toEqual([promptKey(promptDigest(routed)), MCQ_KIND]);
      // Its bill counts under its kind as well, and under its own key on its model only.
      expect(ledger.calls(1, MCQ_KIND)).toBe(1);
      expect(ledger.calls(1, promptKey(promptDigest(routed)))).toBe(1);
      expect(ledger.calls(0, promptKey(promptDigest(routed)))).toBe(0);
      // Bills read per prompt (the batch-planner's batch_bills.prompt) name it the same way.
      const read = new KindLedger(2);
      read.addPrompt(0, promptDigest(next), { realisedUsd: 1, baseUsd: 1, calls: 2 });
      expect(read.kindsOf(kindsOfTexts([next]))).toEqual([promptKey(promptDigest(next))]);
      expect(read.seen(MCQ_KIND)).toBe(0);
      // Alone in the window with no bill of its own, it is free text as before.
      expect(read.kindsOf(kindsOfTexts([routed]))).toEqual([null]);
    });

    it('keeps a digest of the whole prompt: 16 hex digits, the same for the same text, apart for another', () => {
      expect(promptDigest('Is water wet?')).toMatch(/^[0-9a-f]{16}$/);
      expect(promptDigest('Is water wet?')).toBe(promptDigest('Is water wet?'));
      expect(promptDigest('Is water wet?')).not.toBe(promptDigest('Is water wet!'));
      expect(promptKey('x')).not.toBe(kindKeys({ closing: 'x', opening: 'x' })[1]);
    });

    it('does not remember the prompts it was asked about: only the warm-start file and bills count as seen', () => {
      const ledger = new KindLedger(2);
      expect(ledger.kindsOf(kindsOfTexts([MCQ('a'), MCQ('b')]))).toEqual([MCQ_KIND, MCQ_KIND]);
      expect(ledger.seen(MCQ_KIND)).toBe(0);
      expect(ledger.kindsOf(kindsOfTexts([MCQ('c')]))).toEqual([null]);
    });

    it('names a lone prompt of the window a kind when one prompt seen before ended alike', () => {
      const warm = new KindLedger(2);
      warm.countWarmStart([CLOSE('x')]);
      expect(warm.kindsOf(kindsOfTexts([CLOSE('y'), MCQ('z')]))).toEqual([CLOSE_KIND, null]);

      const billed = new KindLedger(2);
      billed.observe(1, ending(MCQ_KIND), 0.2, 0.1);
      expect(billed.kindsOf(kindsOfTexts([CLOSE('y'), MCQ('z')]))).toEqual([null, MCQ_KIND]);
    });
  });

  describe('seen, fitted and countWarmStart', () => {
    it('counts the warm-start prompts and the billed calls of every model as seen', () => {
      const ledger = new KindLedger(3);
      expect(ledger.seen(MCQ_KIND)).toBe(0);
      ledger.countWarmStart([MCQ('a'), CLOSE('b'), MCQ('c'), 'free text here']);
      expect(ledger.seen(MCQ_KIND)).toBe(2);
      expect(ledger.seen(CLOSE_KIND)).toBe(1);
      expect(ledger.seen('free text here')).toBe(1);
      ledger.add(0, MCQ_KIND, { realisedUsd: 1, baseUsd: 1, calls: 3 });
      // A call billed on a prompt counts under both of its keys.
      ledger.observe(1, promptKind(SORT('a b')), 0.1, 0.1);
      ledger.addKind(2, promptKind(SORT('c d')), { realisedUsd: 1, baseUsd: 1, calls: 2 });
      expect(ledger.seen(kindKeys(promptKind(SORT('x')))[1])).toBe(3);
      expect(ledger.seen(closingPhrase(SORT('a b')))).toBe(1);
      expect(ledger.calls(2, closingPhrase(SORT('c d')))).toBe(2);
      // A bill filed without an opening counts under its closing only.
      ledger.addKind(
        2,
        { closing: closingPhrase(SORT('e f')), opening: null },
        { realisedUsd: 1, baseUsd: 1, calls: 1 },
      );
      expect(ledger.seen(kindKeys(promptKind(SORT('x')))[1])).toBe(3);
      expect(ledger.seen(closingPhrase(SORT('e f')))).toBe(1);
      ledger.add(2, MCQ_KIND, { realisedUsd: 1, baseUsd: 1, calls: 4 });
      ledger.observe(1, ending(CLOSE_KIND), 0.5, 0.25);
      expect(ledger.seen(MCQ_KIND)).toBe(2 + 3 + 4);
      expect(ledger.seen(CLOSE_KIND)).toBe(2);
      expect(ledger.seen('never seen')).toBe(0);
    });

    it('calls a kind fitted only when two warm-start prompts end with it, whatever its bills', () => {
      const ledger = new KindLedger(2);
      ledger.countWarmStart([CLOSE('a')]);
      expect(ledger.fitted(CLOSE_KIND)).toBe(false);
      ledger.countWarmStart([CLOSE('b')]);
      expect(ledger.fitted(CLOSE_KIND)).toBe(true);
      ledger.add(0, MCQ_KIND, { realisedUsd: 5, baseUsd: 1, calls: 50 });
      expect(ledger.fitted(MCQ_KIND)).toBe(false);
    });
  });

  describe('observe and add', () => {
    it('accumulates the bills of a model on a kind, apart from other models and kinds', () => {
      const ledger = new KindLedger(2);
      ledger.observe(0, ending('k'), 3, 1);
      ledger.observe(0, ending('k'), 1, 1);
      ledger.add(0, 'k', { realisedUsd: 2, baseUsd: 2, calls: 2 });
      ledger.observe(1, ending('k'), 10, 1);
      ledger.observe(0, ending('m'), 10, 1);
      expect(ledger.calls(0, 'k')).toBe(4);
      expect(ledger.calls(1, 'k')).toBe(1);
      expect(ledger.calls(0, 'm')).toBe(1);
      expect(ledger.calls(1, 'm')).toBe(0);
      // Its own ratio, without a level: (3 + 1 + 2) / (1 + 1 + 2).
      expect(ledger.factor(0, 'k', [null, null])).toBeCloseTo(6 / 4, 12);
    });

    it('does not let a caller change the bills it added', () => {
      const ledger = new KindLedger(1);
      const b = { realisedUsd: 2, baseUsd: 1, calls: 1 };
      ledger.add(0, 'k', b);
      b.realisedUsd = 100;
      ledger.add(0, 'k', { realisedUsd: 2, baseUsd: 1, calls: 1 });
      expect(b.realisedUsd).toBe(100);
      expect(ledger.factor(0, 'k', [null])).toBe(2);
    });

    it.each([
      ['a base of 0', { realisedUsd: 1, baseUsd: 0, calls: 1 }],
      ['a negative base', { realisedUsd: 1, baseUsd: -1, calls: 1 }],
      ['a NaN base', { realisedUsd: 1, baseUsd: NaN, calls: 1 }],
      ['a negative bill', { realisedUsd: -1, baseUsd: 1, calls: 1 }],
      ['a NaN bill', { realisedUsd: NaN, baseUsd: 1, calls: 1 }],
      ['no calls', { realisedUsd: 1, baseUsd: 1, calls: 0 }],
      ['NaN calls', { realisedUsd: 1, baseUsd: 1, calls: NaN }],
      ['an infinite bill', { realisedUsd: Infinity, baseUsd: 1, calls: 1 }],
      ['an infinite base', { realisedUsd: 1, baseUsd: Infinity, calls: 1 }],
      ['infinite calls', { realisedUsd: 1, baseUsd: 1, calls: Infinity }],
    ])('ignores bills with %s', (_, b) => {
      const ledger = new KindLedger(2);
      ledger.add(0, 'k', b);
      // observe is one call: the bills its amounts make invalid are ignored too.
      if (Number.isFinite(b.calls) && b.calls > 0) ledger.observe(0, ending('k'), b.realisedUsd, b.baseUsd);
      expect(ledger.calls(0, 'k')).toBe(0);
      expect(ledger.seen('k')).toBe(0);
      expect(ledger.factor(0, 'k', [null, null])).toBeNull();
      expect(ledger.factor(0, 'k', [1, 1])).toBeNull();
      // A valid bill after them is counted from nothing.
      ledger.observe(0, ending('k'), 3, 2);
      expect(ledger.calls(0, 'k')).toBe(1);
      expect(ledger.factor(0, 'k', [null, null])).toBe(1.5);
    });

    it("takes the model's level as the guess when no other model has a bill on the kind, whatever the shared prior", () => {
      // With a shared prior of 0 the pooled log usage over no calls was 0 / 0 (NaN).
      const ledger = new KindLedger(2, { own: 1, shared: 0 });
      ledger.observe(0, ending('k'), 2, 1);
      expect(ledger.factor(0, 'k', [1, null])).toBe(1.5);
    });

    it('keeps a valid bill of 0 (a free call)', () => {
      const ledger = new KindLedger(1);
      ledger.observe(0, ending('k'), 0, 2);
      expect(ledger.calls(0, 'k')).toBe(1);
      expect(ledger.factor(0, 'k', [null])).toBe(0);
    });
  });

  describe('factor', () => {
    it('is null while no model has a bill on the kind', () => {
      const ledger = new KindLedger(2);
      expect(ledger.factor(0, 'k', [1, 1])).toBeNull();
      ledger.observe(1, ending('m'), 2, 1);
      expect(ledger.factor(0, 'k', [1, 1])).toBeNull();
      expect(ledger.factor(1, 'k', [1, 1])).toBeNull();
    });

    it("is the model's own realised over guessed on the kind, unshrunk, when it has no level", () => {
      const ledger = new KindLedger(2);
      ledger.add(0, 'k', { realisedUsd: 6, baseUsd: 2, calls: 2 });
      ledger.add(1, 'k', { realisedUsd: 1, baseUsd: 4, calls: 10 });
      // The other model's bills and level play no part.
      expect(ledger.factor(0, 'k', [null, 1])).toBe(3);
      expect(ledger.factor(0, 'k', [null, 0.5])).toBe(3);
    });

    it('is null for a model with neither a level nor bills on the kind', () => {
      const ledger = new KindLedger(2);
      ledger.add(1, 'k', { realisedUsd: 8, baseUsd: 2, calls: 3 });
      expect(ledger.factor(0, 'k', [null, 2])).toBeNull();
    });

    it('is null for a model without bills on the kind when no other billed model has a level', () => {
      const ledger = new KindLedger(3);
      ledger.add(1, 'k', { realisedUsd: 8, baseUsd: 2, calls: 3 });
      ledger.add(2, 'k', { realisedUsd: 8, baseUsd: 2, calls: 3 });
      expect(ledger.factor(0, 'k', [1.5, null, null])).toBeNull();
      // A level of 0 or below is none.
      expect(ledger.factor(0, 'k', [1.5, 0, -1])).toBeNull();
    });

    it("guesses from the other models: the level times the kind's ratio against their levels, shrunk by the shared prior", () => {
      const ledger = new KindLedger(3);
      // Model 1: 4x its guess on the kind at a level of 2 (twice its level); model 2: 0.5x at a
      // level of 1 (half its level). Log mean weighted by calls: (3 ln 2 - ln 2) / (3 + 1 + 1 prior).
      ledger.add(1, 'k', { realisedUsd: 8, baseUsd: 2, calls: 3 });
      ledger.add(2, 'k', { realisedUsd: 1, baseUsd: 2, calls: 1 });
      const levels = [1.5, 2, 1];
      expect(ledger.factor(0, 'k', levels)).toBeCloseTo(1.5 * Math.pow(2, 2 / 5), 12);
      // Without the prior: the calls-weighted geometric mean, 2^(2/4).
      const unshrunk = new KindLedger(3, { own: 1, shared: 0 });
      unshrunk.add(1, 'k', { realisedUsd: 8, baseUsd: 2, calls: 3 });
      unshrunk.add(2, 'k', { realisedUsd: 1, baseUsd: 2, calls: 1 });
      expect(unshrunk.factor(0, 'k', levels)).toBeCloseTo(1.5 * Math.SQRT2, 12);
      // A heavier prior pulls the guess towards the model's level.
      const heavy = new KindLedger(3, { own: 1, shared: 96 });
      heavy.add(1, 'k', { realisedUsd: 8, baseUsd: 2, calls: 3 });
      heavy.add(2, 'k', { realisedUsd: 1, baseUsd: 2, calls: 1 });
      expect(heavy.factor(0, 'k', levels)).toBeCloseTo(1.5 * Math.pow(2, 2 / 100), 12);
    });

    it('leaves out of the shared guess the models without a level', () => {
      const ledger = new KindLedger(3);
      ledger.add(1, 'k', { realisedUsd: 8, baseUsd: 2, calls: 3 });
      ledger.add(2, 'k', { realisedUsd: 100, baseUsd: 1, calls: 50 });
      // Only model 1 counts: exp(3 ln 2 / (3 + 1)) = 2^(3/4).
      expect(ledger.factor(0, 'k', [1, 2, null])).toBeCloseTo(Math.pow(2, 3 / 4), 12);
    });

    it("is the model's level when only its own bills are on the kind, its own ratio shrunk towards it", () => {
      const ledger = new KindLedger(2);
      ledger.add(0, 'k', { realisedUsd: 6, baseUsd: 2, calls: 2 });
      // Guess = the level 1.5 (no other model to compare with); (2 * 3 + 1 * 1.5) / (2 + 1).
      expect(ledger.factor(0, 'k', [1.5, 1])).toBeCloseTo(2.5, 12);
      expect(ledger.factor(1, 'k', [1.5, null])).toBeNull();
      // Model 1 without bills guesses from model 0: 1 * exp(2 ln 2 / (2 + 1)).
      expect(ledger.factor(1, 'k', [1.5, 1])).toBeCloseTo(Math.pow(2, 2 / 3), 12);
    });

    it("shrinks the model's own bills towards the shared guess by the own prior", () => {
      const make = (priors = DEFAULT_KIND_COST_PRIORS) => {
        const ledger = new KindLedger(3, priors);
        ledger.add(0, 'k', { realisedUsd: 3, baseUsd: 1, calls: 1 });
        ledger.add(1, 'k', { realisedUsd: 8, baseUsd: 2, calls: 3 });
        ledger.add(2, 'k', { realisedUsd: 1, baseUsd: 2, calls: 1 });
        return ledger;
      };
      const levels = [1.5, 2, 1];
      // Its own bills are not part of its guess: 1.5 * 2^(2/5), as without them.
      const guess = 1.5 * Math.pow(2, 2 / 5);
      expect(make().factor(0, 'k', levels)).toBeCloseTo((1 * 3 + 1 * guess) / (1 + 1), 12);
      expect(make({ own: 3, shared: 1 }).factor(0, 'k', levels)).toBeCloseTo((1 * 3 + 3 * guess) / (1 + 3), 12);
      expect(make({ own: 0, shared: 1 }).factor(0, 'k', levels)).toBe(3);
    });

    it('weighs the own bills by their calls: many bills outweigh the prior', () => {
      const ledger = new KindLedger(2);
      ledger.add(0, 'k', { realisedUsd: 99 * 4, baseUsd: 99, calls: 99 });
      // No other model: the guess is the level 1; (99 * 4 + 1) / 100.
      expect(ledger.factor(0, 'k', [1, null])).toBeCloseTo(3.97, 12);
    });
  });

  describe('price', () => {
    it('prices available entries of kinds not fitted and with a factor at base times it, and flags those with bills', () => {
      const ledger = new KindLedger(2, { own: 0, shared: 1 });
      ledger.countWarmStart([CLOSE('a'), CLOSE('b')]);
      // Kind A: model 0 billed at twice its guess at a level of 1 (own prior 0: a factor of 2); model
      // 1 has no bills, its guess from model 0 is its level 2 times exp(ln 2 / (1 + 1)) = 2 sqrt 2.
      ledger.add(0, 'A', { realisedUsd: 4, baseUsd: 2, calls: 1 });
      // The fitted kind has bills of model 0, and keeps the usage model's price.
      ledger.add(0, CLOSE_KIND, { realisedUsd: 50, baseUsd: 1, calls: 5 });
      const e = windowOf(5, [10, 10]);
      e.available[1 * 2 + 1] = 0;
      const base = [1, 1, 0.5, 0.5, 2, 2, 3, 3, 4, 4];
      const billed = ledger.price(e, base, ['A', 'A', null, CLOSE_KIND, 'B'], [1, 2]);
      expect(Array.from(e.cost)).toEqual([
        // Kind A: base times 2 and 2 sqrt 2.
        2,
        expect.closeTo(2 * Math.SQRT2, 12),
        // Kind A, model 1 not offered: left as it was.
        1,
        10,
        // Free text: left.
        10,
        10,
        // A fitted kind: left.
        10,
        10,
        // A kind without bills: left.
        10,
        10,
      ]);
      expect(Array.from(billed)).toEqual([1, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    });

    it('leaves an entry whose model has no factor on the kind, and prices the others of its query', () => {
      const ledger = new KindLedger(3);
      ledger.add(1, 'A', { realisedUsd: 6, baseUsd: 2, calls: 2 });
      const e = windowOf(2, [7, 7, 7]);
      // Model 0 has a level but no other model with a level has bills; model 1 has no level;
      // model 2 has no level either and no bills.
      const billed = ledger.price(e, [1, 1, 1, 2, 2, 2], ['A', 'A'], [1, null, null]);
      // Model 0's guess rests on model 1, which has no level: none. Model 1: its own ratio, 3.
      expect(Array.from(e.cost)).toEqual([7, 3, 7, 7, 6, 7]);
      expect(Array.from(billed)).toEqual([0, 1, 0, 0, 1, 0]);
    });

    it('returns all zeros and changes nothing on a window of free text', () => {
      const ledger = new KindLedger(2);
      ledger.add(0, 'A', { realisedUsd: 6, baseUsd: 2, calls: 2 });
      const e = windowOf(2, [1, 2]);
      const billed = ledger.price(e, [5, 5, 5, 5], [null, null], [1, 1]);
      expect(Array.from(e.cost)).toEqual([1, 2, 1, 2]);
      expect(Array.from(billed)).toEqual([0, 0, 0, 0]);
    });
  });
});

describe('mixDistance and firstWindowLikeForecast', () => {
  const mix = (n: number, make: (i: number) => string) => kindsOfTexts(Array.from({ length: n }, (_, i) => make(i)));
  const mcqs = mix(10, (i) => MCQ(`Is ${i} even?`));
  const closes = mix(10, (i) => CLOSE(`The ${i} _ fits.`));
  const asks = mix(10, (i) => `tell me about w${i} now`);
  const free = mix(10, (i) => `${'x'.repeat(i + 1)} alone`);

  it('is the total variation distance between the shares of each kind, free text one kind', () => {
    const ledger = new KindLedger(2);
    expect(ledger.mixDistance([...mcqs, ...closes], [...closes, ...mcqs])).toBeCloseTo(0, 12);
    expect(ledger.mixDistance(mcqs, closes)).toBeCloseTo(1, 12);
    // Half of one and half of the other against a third of each of three.
    expect(ledger.mixDistance([...mcqs.slice(0, 5), ...closes.slice(0, 5)], [...mcqs, ...closes, ...asks])).toBeCloseTo(
      1 / 3,
      12,
    );
    expect(ledger.mixDistance(asks, [...asks, ...mcqs])).toBeCloseTo(0.5, 12);
    // Prompts of no kind count as one: ten of them against five and five of a kind.
    expect(ledger.kindsOf(free)).toEqual(Array(10).fill(null));
    expect(ledger.mixDistance(free, [...free.slice(0, 5), ...mcqs.slice(0, 5)])).toBeCloseTo(0.5, 12);
  });

  it('calls a first window like its forecast below TYPICAL_MIX_DISTANCE, and never without a forecast or a window', () => {
    const ledger = new KindLedger(2);
    const forecast = [...mcqs, ...closes, ...asks];
    // A window drawn across the forecast's kinds, and one of a single kind of three (2/3 away).
    expect(
      firstWindowLikeForecast(ledger, [...mcqs.slice(0, 3), ...closes.slice(0, 3), ...asks.slice(0, 4)], forecast),
    ).toBe(true);
    expect(ledger.mixDistance(mcqs, forecast)).toBeGreaterThan(TYPICAL_MIX_DISTANCE);
    expect(firstWindowLikeForecast(ledger, mcqs, forecast)).toBe(false);
    expect(firstWindowLikeForecast(ledger, mcqs, [])).toBe(false);
    expect(firstWindowLikeForecast(ledger, [], forecast)).toBe(false);
  });
});

describe('probeRound', () => {
  const always = () => true;

  it('has the defaults it documents', () => {
    expect([PROBE_CALLS, PROBE_MAX_TARGETS, PROBE_MIN_ROWS]).toEqual([3, 6, 8]);
  });

  it('sends up to `calls` rows of a new kind to each model, each row once, skipping a model dearer than maxTargets targets', () => {
    const ledger = new KindLedger(3);
    const e = windowOf(10, [0.1, 0.5, 10]);
    const p = probeRound(ledger, e, new Array(10).fill('N'), 1, always);
    expect(p).toEqual({ rows: [0, 1, 2, 3, 4, 5], arms: [0, 0, 0, 1, 1, 1] });
  });

  it('measures a model against maxTargets by its mean expected cost over the rows of the kind', () => {
    const ledger = new KindLedger(2);
    // Model 1: half the rows at $2, half at $10: a mean of $6, exactly six targets of $1.
    const at = (dear: number) => windowOf(8, (i) => [0.1, i % 2 ? dear : 2]);
    expect(probeRound(ledger, at(10), new Array(8).fill('N'), 1, always).arms).toEqual([0, 0, 0, 1, 1, 1]);
    expect(probeRound(ledger, at(10.02), new Array(8).fill('N'), 1, always).arms).toEqual([0, 0, 0]);
    // A looser limit, or a larger target, lets it in.
    expect(probeRound(ledger, at(10.02), new Array(8).fill('N'), 1, always, { maxTargets: 7 }).arms).toEqual([
      0, 0, 0, 1, 1, 1,
    ]);
    expect(probeRound(ledger, at(10.02), new Array(8).fill('N'), 2, always).arms).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('probes only a kind with at least minRows rows in the window', () => {
    const ledger = new KindLedger(2);
    const e = windowOf(7, [1, 1]);
    const kinds = new Array(7).fill('N');
    expect(probeRound(ledger, e, kinds, 1, always)).toEqual({ rows: [], arms: [] });
    expect(probeRound(ledger, e, kinds, 1, always, { minRows: 7 })).toEqual({
      rows: [0, 1, 2, 3, 4, 5],
      arms: [0, 0, 0, 1, 1, 1],
    });
  });

  it('probes no kind seen before: in the warm-start file or billed on any model', () => {
    const e = windowOf(8, [1, 1]);
    const kinds = new Array(8).fill(MCQ_KIND);
    const warm = new KindLedger(2);
    warm.countWarmStart([MCQ('a')]);
    expect(probeRound(warm, e, kinds, 1, always)).toEqual({ rows: [], arms: [] });
    // A model with its bills on the kind: the kind is not new, for it or any other model.
    const billed = new KindLedger(2);
    billed.add(0, MCQ_KIND, { realisedUsd: 3, baseUsd: 3, calls: PROBE_CALLS });
    expect(probeRound(billed, e, kinds, 1, always)).toEqual({ rows: [], arms: [] });
    const once = new KindLedger(2);
    once.observe(1, ending(MCQ_KIND), 1, 1);
    expect(probeRound(once, e, kinds, 1, always)).toEqual({ rows: [], arms: [] });
  });

  it('takes the rows of each kind in order, past the free text and other kinds', () => {
    const ledger = new KindLedger(2);
    const kinds = ['N', null, 'N', 'M', 'N', 'M', 'N'];
    const e = windowOf(kinds.length, [1, 1]);
    const p = probeRound(ledger, e, kinds, 1, always, { minRows: 2, calls: 2 });
    expect(p).toEqual({ rows: [0, 2, 4, 6, 3, 5], arms: [0, 0, 1, 1, 0, 0] });
  });

  it('gives each model `calls` rows, until the rows of the kind run out', () => {
    const ledger = new KindLedger(3);
    const e = windowOf(8, [1, 1, 1]);
    const kinds = new Array(8).fill('N');
    expect(probeRound(ledger, e, kinds, 1, always, { calls: 2 })).toEqual({
      rows: [0, 1, 2, 3, 4, 5],
      arms: [0, 0, 1, 1, 2, 2],
    });
    expect(probeRound(ledger, e, kinds, 1, always, { calls: 5 })).toEqual({
      rows: [0, 1, 2, 3, 4, 5, 6, 7],
      arms: [0, 0, 0, 0, 0, 1, 1, 1],
    });
    expect(probeRound(ledger, e, kinds, 1, always, { calls: 0 })).toEqual({ rows: [], arms: [] });
  });

  it('skips a model that does not offer every row of the kind', () => {
    const ledger = new KindLedger(3);
    const e = windowOf(8, [1, 1, 1]);
    e.available[7 * 3 + 1] = 0;
    expect(probeRound(ledger, e, new Array(8).fill('N'), 1, always)).toEqual({
      rows: [0, 1, 2, 3, 4, 5],
      arms: [0, 0, 0, 2, 2, 2],
    });
  });

  it('gives a model never billed one call in the window, on the first new kind it may take', () => {
    const ledger = new KindLedger(2);
    const kinds = [...new Array(8).fill('N'), ...new Array(8).fill('M')];
    const e = windowOf(16, [1, 1]);
    const p = probeRound(ledger, e, kinds, 1, (j) => j !== 1);
    expect(p).toEqual({ rows: [0, 1, 2, 3, 8, 9, 10], arms: [0, 0, 0, 1, 0, 0, 0] });
    // Too dear on the first kind, it takes its call on the second.
    const dearOnN = windowOf(16, (i) => [1, i < 8 ? 100 : 1]);
    expect(probeRound(ledger, dearOnN, kinds, 1, (j) => j !== 1)).toEqual({
      rows: [0, 1, 2, 8, 9, 10, 11],
      arms: [0, 0, 0, 0, 0, 0, 1],
    });
  });
});

describe('singleProbeCalls', () => {
  it('names, per kind, each model the probe called once because it had no bill', () => {
    const ledger = new KindLedger(3);
    const kinds = [...new Array(8).fill('N'), ...new Array(8).fill('M')];
    const priced = (j: number) => j === 0;
    const p = probeRound(ledger, windowOf(16, [1, 1, 1]), kinds, 1, priced);
    // Model 0, billed before, takes three calls on each kind; 1 and 2 one call each, on the first kind.
    expect(p.arms).toEqual([0, 0, 0, 1, 2, 0, 0, 0]);
    expect(singleProbeCalls(p, kinds, priced)).toEqual([
      { kind: 'N', arm: 1 },
      { kind: 'N', arm: 2 },
    ]);
    expect(singleProbeCalls(p, kinds, () => true)).toEqual([]);
  });
});

describe('probeTopUp', () => {
  it('has the default it documents', () => {
    expect(PROBE_TOP_UP_CALLS).toBe(1);
  });

  it("gives each model called once `calls` more rows of that kind from the rest, in the rows' order", () => {
    const kinds = ['M', 'N', null, 'N', 'N', 'M', 'N'];
    const e = windowOf(kinds.length, [1, 1, 1]);
    const single = [
      { kind: 'N', arm: 2 },
      { kind: 'N', arm: 0 },
      { kind: 'M', arm: 1 },
    ];
    expect(probeTopUp(single, e, kinds, 1)).toEqual({ rows: [1, 3, 0], arms: [0, 2, 1] });
    expect(probeTopUp(single, e, kinds, 1, { calls: 2 })).toEqual({
      rows: [1, 3, 4, 6, 0, 5],
      arms: [0, 0, 2, 2, 1, 1],
    });
    expect(probeTopUp([], e, kinds, 1)).toEqual({ rows: [], arms: [] });
  });

  it('skips a model whose bill now prices it above maxTargets targets, or that a row of the kind does not offer', () => {
    const kinds = new Array(6).fill('N');
    // Model 1's first bill showed it at seven targets of $1 a call.
    const e = windowOf(6, [1, 7, 1]);
    e.available[5 * 3 + 2] = 0;
    const single = [0, 1, 2].map((arm) => ({ kind: 'N', arm }));
    expect(probeTopUp(single, e, kinds, 1)).toEqual({ rows: [0], arms: [0] });
    expect(probeTopUp(single, e, kinds, 1, { maxTargets: 7 })).toEqual({ rows: [0, 1], arms: [0, 1] });
    expect(probeTopUp(single, e, kinds, 2)).toEqual({ rows: [0, 1], arms: [0, 1] });
  });

  it('gives no second call to a model whose bill has not come in', () => {
    const kinds = new Array(4).fill('N');
    const single = [0, 1].map((arm) => ({ kind: 'N', arm }));
    expect(probeTopUp(single, windowOf(4, [1, 1]), kinds, 1, { priced: (j) => j === 1 })).toEqual({
      rows: [0],
      arms: [1],
    });
  });

  it('takes nothing for a kind the rest of the window no longer holds', () => {
    const e = windowOf(3, [1, 1]);
    expect(probeTopUp([{ kind: 'gone', arm: 1 }], e, ['N', 'N', null], 1)).toEqual({ rows: [], arms: [] });
  });
});

describe('recentCheapestBillUsd', () => {
  it("is the cheapest model's mean bill once it rests on RESERVE_MIN_CALLS calls", () => {
    expect(RESERVE_MIN_CALLS).toBe(20);
    const bills = [
      { realisedUsd: 10, calls: 20 },
      { realisedUsd: 4, calls: 20 },
      { realisedUsd: 1, calls: 25 },
    ];
    expect(recentCheapestBillUsd(bills)).toBeCloseTo(0.04, 12);
    expect(recentCheapestBillUsd(bills, 25)).toBeCloseTo(0.04, 12);
    expect(recentCheapestBillUsd(bills, 26)).toBeNull();
  });

  it("never takes a dearer model's bill for the cheapest model's: too few of its calls is no figure", () => {
    // A cold first window sent 96 queries to the better model and 4 to the cheap one.
    const bills = [
      { realisedUsd: 4 * 1.5e-5, calls: 4 },
      { realisedUsd: 96 * 3.1e-4, calls: 96 },
    ];
    expect(recentCheapestBillUsd(bills)).toBeNull();
    expect(recentCheapestBillUsd(bills, 4)).toBeCloseTo(1.5e-5, 15);
  });

  it('is null without bills, and never divides by no calls', () => {
    expect(recentCheapestBillUsd([])).toBeNull();
    expect(recentCheapestBillUsd([{ realisedUsd: 0, calls: 0 }], 0)).toBeNull();
    expect(
      recentCheapestBillUsd(
        [
          { realisedUsd: 0, calls: 0 },
          { realisedUsd: 3, calls: 2 },
        ],
        0,
      ),
    ).toBe(1.5);
  });
});
