/**
 * Cheap, network-free guesses about a prompt: its writing system and what kind of task it is.
 * They are heuristics on purpose: a router only needs signals that correlate with which model
 * does well (code and maths split models far more than topic does), and they must cost
 * microseconds per query because they run inside the decision path.
 */

import { NOT_A_LETTER, scriptIndexOf, scriptIndexOfUnit } from './code-units';

// The order is part of the feature layout and of scriptIndexOf's results.
export const SCRIPTS = ['latin', 'cyrillic', 'cjk', 'arabic', 'other'] as const;
export type Script = (typeof SCRIPTS)[number];

export const INTENTS = ['code', 'math', 'reasoning', 'creative', 'extraction', 'chat'] as const;
export type Intent = (typeof INTENTS)[number];

/** Looks at no more than this many characters: the script of a prompt shows in its start. */
const SCRIPT_SAMPLE = 2000;

/**
 * The dominant writing system among the letters of `text` ('other' for Greek, Hebrew,
 * Devanagari, ... and for text without letters). CJK counts Han, kana and Hangul together
 * because the models that handle one usually handle the others.
 */
export function detectScript(text: string): Script {
  const counts = [0, 0, 0, 0, 0]; // indexed like SCRIPTS
  let letters = 0;
  const end = Math.min(text.length, SCRIPT_SAMPLE);
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    // ASCII fast path: most prompts are overwhelmingly ASCII.
    if (code < 128) {
      if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) {
        counts[0]++;
        letters++;
      }
      continue;
    }
    let script: number;
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < end) {
      // The pair is classified as a string even when its second unit is no low surrogate, and
      // that unit is skipped: features pinned by trained models depend on this quirk.
      script = scriptIndexOf(text.slice(i, i + 2));
      i++;
    } else {
      script = scriptIndexOfUnit(code);
    }
    if (script === NOT_A_LETTER) continue;
    letters++;
    counts[script]++;
  }
  if (letters === 0) return 'other';
  let best = 0;
  for (let s = 1; s < SCRIPTS.length; s++) if (counts[s] > counts[best]) best = s;
  return SCRIPTS[best];
}

/**
 * min(number of matches of the global regex `re`, cap), as text.match(re) would count them,
 * but stopping at the cap and without building the array of matches: most markers are capped
 * at 1-4 while a long prompt holds hundreds of number or keyword matches.
 */
function count(re: RegExp, text: string, cap = Infinity): number {
  // The regexes are shared module constants: start from 0 and leave them clean for the next call.
  re.lastIndex = 0;
  let n = 0;
  while (n < cap) {
    const m = re.exec(text);
    if (m === null) break;
    n++;
    // An empty match would be found again at the same index; text.match steps over it too.
    if (m[0].length === 0) re.lastIndex++;
  }
  re.lastIndex = 0;
  return n;
}

/** One kind of evidence: a pattern, what each match is worth, and after how many matches counting stops. */
interface Marker {
  re: RegExp;
  weight: number;
  cap: number;
}

/** Weighted, capped match counts of `markers` in `text`. */
function markerScore(markers: readonly Marker[], text: string): number {
  let s = 0;
  for (const { re, weight, cap } of markers) s += weight * count(re, text, cap);
  return s;
}

// The patterns are module constants so that a call allocates no RegExp (count resets lastIndex).

const CODE_MARKERS: readonly Marker[] = [
  { weight: 3, cap: 2, re: /```/g },
  { weight: 3, cap: 2, re: /\b(?:def|fn|func)\s+\w+\s*\(/g },
  { weight: 2, cap: 2, re: /\bfunction\s*\w*\s*\([^)]*\)\s*\{/g },
  {
    weight: 3,
    cap: 1,
    re: /\b(?:write|implement|create|code|fix|debug|refactor)\s+(?:a|an|the|me a)?\s*(?:python|java(?:script)?|typescript|c\+\+|c#|rust|go|sql|bash|shell)?\s*(?:function|program|script|class|method|query|regex|snippet)\b/gi,
  },
  {
    weight: 1.5,
    cap: 2,
    re: /\b(?:python|javascript|typescript|java|c\+\+|golang|rust|sql|bash|regex|html|css|json|api)\b/gi,
  },
  {
    weight: 2,
    cap: 3,
    re: /\b(?:import\s+[\w.]+|#include\s*<|public\s+static|console\.log|System\.out|print\(|return\s+[\w(])/g,
  },
  { weight: 1, cap: 4, re: /[{};]\s*$/gm },
  { weight: 1, cap: 3, re: /=>|!==|===|\+\+|&&|\|\||::/g },
  {
    weight: 0.5,
    cap: 3,
    re: /\b(?:array|list|tuple|dictionary|string|substring|linked list|binary tree|integer|recursion|algorithm)s?\b/gi,
  },
  { weight: 1.5, cap: 1, re: /\b(?:traceback|stack trace|exception|compile error|segfault|syntax error)\b/gi },
];

/**
 * Strength of code markers (0 = none; grows with evidence, unbounded). Counts fences,
 * definitions, statement punctuation and requests to write a function or program.
 */
export function codeScore(text: string): number {
  return markerScore(CODE_MARKERS, text);
}

const MATH_MARKERS: readonly Marker[] = [
  {
    weight: 3,
    cap: 3,
    re: /\\(?:frac|sqrt|sum|int|cdot|times|pi|alpha|beta|theta|lambda|infty|le|ge|neq|binom|log)\b/g,
  },
  { weight: 1.5, cap: 2, re: /\$[^$\n]{1,80}\$/g },
  { weight: 2, cap: 3, re: /\d+(?:\.\d+)?\s*[-+*/×÷^=<>]\s*\(?-?\d/g },
  { weight: 1.5, cap: 2, re: /\b[a-z]\s*\^\s*\d|\b[a-z]\s*[=<>]\s*-?\d|\d\s*[a-z]\s*[+\-=]/gi },
  {
    weight: 1,
    cap: 3,
    re: /\b(?:how many|how much|how old|how long|how far|calculate|compute|solve|equation|percent(?:age)?|average|remainder|probability|derivative|integral|ratio|fraction|sum of|product of|square root|per (?:hour|day|week|month|year)|each|every|total|combined|altogether|twice|half|times as|more than|less than|years old|cost|costs|paid|earns?|spent)\b/gi,
  },
  {
    weight: 0.5,
    cap: 2,
    re: /\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|thousand|dozen|third|fourth|quarter)\b/gi,
  },
];
// Word problems state quantities as numbers glued to units ("80cm", "5%"), so the count
// does not insist on a word boundary after the digits.
const NUMBER = /(?<![\w.])\d+(?:[.,]\d+)?/g;
const MONEY_OR_PERCENT = /[$€£]\s?\d|\d\s?%/g;

/**
 * Strength of maths markers: LaTeX, equations, numbers joined by operators and the words of
 * arithmetic word problems.
 */
export function mathScore(text: string): number {
  let s = markerScore(MATH_MARKERS, text);
  // Counting stops at the last threshold.
  const numbers = count(NUMBER, text, 8);
  if (numbers >= 2) s += 1;
  if (numbers >= 4) s += 1;
  if (numbers >= 8) s += 1;
  return s + 0.5 * count(MONEY_OR_PERCENT, text, 2);
}

const LETTERED_OPTION = /\(\s*[A-H]\s*\)/g;
const NUMBERED_OPTION = /^\s*\(?\d\)\s+\S/gm;
const REASONING_MARKERS: readonly Marker[] = [
  { weight: 3, cap: 1, re: /^\s*(?:options|choices|answer choices)\s*:/gim },
  { weight: 3, cap: 1, re: /\boption\s+\d\s*:/gi },
  {
    weight: 2,
    cap: 2,
    re: /\b(?:which of the following|true or false|plausible|tells? the truth|lies\b|deduce|logically|step by step|explain your reasoning|answer with the correct|correct option|correct letter|fill(?:s)? the blank|sort the following|alphabetical(?:ly)?|valid argument|premises?|conclusion)/gi,
  },
];

/** Multiple-choice and logic-puzzle markers. */
function reasoningScore(text: string): number {
  let s = 0;
  // Only "at least two" matters, so the counts stop there.
  if (count(LETTERED_OPTION, text, 2) >= 2) s += 4;
  if (count(NUMBERED_OPTION, text, 2) >= 2) s += 2;
  return s + markerScore(REASONING_MARKERS, text);
}

const CREATIVE_MARKERS: readonly Marker[] = [
  {
    weight: 4,
    cap: 1,
    re: /\b(?:write|compose|create|draft|tell)\s+(?:me\s+)?(?:a|an|some|the)?\s*(?:\w+\s+){0,2}(?:poem|story|song|haiku|limerick|essay|lyrics|screenplay|sonnet|tale|novel|joke|blog post|speech|letter|dialogue|slogan|toast)s?\b/gi,
  },
  {
    weight: 1.5,
    cap: 2,
    re: /\b(?:imagine|once upon a time|fiction(?:al)?|fantasy|creative|rhym\w*|verse|narrative|character)\b/gi,
  },
];

function creativeScore(text: string): number {
  return markerScore(CREATIVE_MARKERS, text);
}

const EXTRACTION_MARKERS: readonly Marker[] = [
  {
    weight: 3,
    cap: 2,
    re: /\b(?:summari[sz]e|summary|tl;?dr|extract|key points|bullet points|main points|list (?:all|every)|identify all|classify|categori[sz]e|translate|paraphrase|rewrite|proofread)\b/gi,
  },
  {
    weight: 2,
    cap: 1,
    re: /\bthe (?:following|above|below) (?:text|passage|article|document|email|paragraph|transcript|review|report)\b/gi,
  },
];
/** Prompts longer than this lean towards extraction (documents pasted in). */
const LONG_PROMPT = 2000;

function extractionScore(text: string): number {
  return markerScore(EXTRACTION_MARKERS, text) + (text.length > LONG_PROMPT ? 1 : 0);
}

/** Below this much evidence a prompt is treated as plain chat. */
const INTENT_THRESHOLD = 1.5;

/** Evidence for each intent (unnormalised, >= 0). */
export function intentScores(text: string): Record<Intent, number> {
  return {
    code: codeScore(text),
    math: mathScore(text),
    reasoning: reasoningScore(text),
    creative: creativeScore(text),
    extraction: extractionScore(text),
    chat: INTENT_THRESHOLD,
  };
}

/**
 * The most likely task kind. Ties go to the earlier intent in INTENTS, so the result is a
 * pure function of the text.
 */
export function detectIntent(text: string): Intent {
  return bestIntent(intentScores(text));
}

/** The intent with the most evidence in `scores`, ties to the earlier one in INTENTS. */
export function bestIntent(scores: Record<Intent, number>): Intent {
  let best: Intent = 'chat';
  for (const i of INTENTS) if (scores[i] > scores[best]) best = i;
  return best;
}
