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

/**
 * Strength of code markers (0 = none; grows with evidence, unbounded). Counts fences,
 * definitions, statement punctuation and requests to write a function or program.
 */
export function codeScore(text: string): number {
  let s = 0;
  s += 3 * count(/```/g, text, 2);
  s += 3 * count(/\b(?:def|fn|func)\s+\w+\s*\(/g, text, 2);
  s += 2 * count(/\bfunction\s*\w*\s*\([^)]*\)\s*\{/g, text, 2);
  s +=
    3 *
    count(
      /\b(?:write|implement|create|code|fix|debug|refactor)\s+(?:a|an|the|me a)?\s*(?:python|java(?:script)?|typescript|c\+\+|c#|rust|go|sql|bash|shell)?\s*(?:function|program|script|class|method|query|regex|snippet)\b/gi,
      text,
      1,
    );
  s +=
    1.5 *
    count(/\b(?:python|javascript|typescript|java|c\+\+|golang|rust|sql|bash|regex|html|css|json|api)\b/gi, text, 2);
  s +=
    2 *
    count(
      /\b(?:import\s+[\w.]+|#include\s*<|public\s+static|console\.log|System\.out|print\(|return\s+[\w(])/g,
      text,
      3,
    );
  s += 1 * count(/[{};]\s*$/gm, text, 4);
  s += 1 * count(/=>|!==|===|\+\+|&&|\|\||::/g, text, 3);
  s +=
    0.5 *
    count(
      /\b(?:array|list|tuple|dictionary|string|substring|linked list|binary tree|integer|recursion|algorithm)s?\b/gi,
      text,
      3,
    );
  s += 1.5 * count(/\b(?:traceback|stack trace|exception|compile error|segfault|syntax error)\b/gi, text, 1);
  return s;
}

/**
 * Strength of maths markers: LaTeX, equations, numbers joined by operators and the words of
 * arithmetic word problems.
 */
export function mathScore(text: string): number {
  let s = 0;
  s += 3 * count(/\\(?:frac|sqrt|sum|int|cdot|times|pi|alpha|beta|theta|lambda|infty|le|ge|neq|binom|log)\b/g, text, 3);
  s += 1.5 * count(/\$[^$\n]{1,80}\$/g, text, 2);
  s += 2 * count(/\d+(?:\.\d+)?\s*[-+*/×÷^=<>]\s*\(?-?\d/g, text, 3);
  s += 1.5 * count(/\b[a-z]\s*\^\s*\d|\b[a-z]\s*[=<>]\s*-?\d|\d\s*[a-z]\s*[+\-=]/gi, text, 2);
  s +=
    1 *
    count(
      /\b(?:how many|how much|how old|how long|how far|calculate|compute|solve|equation|percent(?:age)?|average|remainder|probability|derivative|integral|ratio|fraction|sum of|product of|square root|per (?:hour|day|week|month|year)|each|every|total|combined|altogether|twice|half|times as|more than|less than|years old|cost|costs|paid|earns?|spent)\b/gi,
      text,
      3,
    );
  s +=
    0.5 *
    count(
      /\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|thousand|dozen|third|fourth|quarter)\b/gi,
      text,
      2,
    );
  // Word problems state quantities as numbers glued to units ("80cm", "5%"), so the count
  // does not insist on a word boundary after the digits. Counting stops at the last threshold.
  const numbers = count(/(?<![\w.])\d+(?:[.,]\d+)?/g, text, 8);
  if (numbers >= 2) s += 1;
  if (numbers >= 4) s += 1;
  if (numbers >= 8) s += 1;
  s += 0.5 * count(/[$€£]\s?\d|\d\s?%/g, text, 2);
  return s;
}

/** Multiple-choice and logic-puzzle markers. */
function reasoningScore(text: string): number {
  let s = 0;
  // Only "at least two" matters, so the counts stop there.
  const lettered = count(/\(\s*[A-H]\s*\)/g, text, 2);
  if (lettered >= 2) s += 4;
  const numbered = count(/^\s*\(?\d\)\s+\S/gm, text, 2);
  if (numbered >= 2) s += 2;
  s += 3 * count(/^\s*(?:options|choices|answer choices)\s*:/gim, text, 1);
  s += 3 * count(/\boption\s+\d\s*:/gi, text, 1);
  s +=
    2 *
    count(
      /\b(?:which of the following|true or false|plausible|tells? the truth|lies\b|deduce|logically|step by step|explain your reasoning|answer with the correct|correct option|correct letter|fill(?:s)? the blank|sort the following|alphabetical(?:ly)?|valid argument|premises?|conclusion)/gi,
      text,
      2,
    );
  return s;
}

function creativeScore(text: string): number {
  let s = 0;
  s +=
    4 *
    count(
      /\b(?:write|compose|create|draft|tell)\s+(?:me\s+)?(?:a|an|some|the)?\s*(?:\w+\s+){0,2}(?:poem|story|song|haiku|limerick|essay|lyrics|screenplay|sonnet|tale|novel|joke|blog post|speech|letter|dialogue|slogan|toast)s?\b/gi,
      text,
      1,
    );
  s +=
    1.5 *
    count(
      /\b(?:imagine|once upon a time|fiction(?:al)?|fantasy|creative|rhym\w*|verse|narrative|character)\b/gi,
      text,
      2,
    );
  return s;
}

function extractionScore(text: string): number {
  let s = 0;
  s +=
    3 *
    count(
      /\b(?:summari[sz]e|summary|tl;?dr|extract|key points|bullet points|main points|list (?:all|every)|identify all|classify|categori[sz]e|translate|paraphrase|rewrite|proofread)\b/gi,
      text,
      2,
    );
  s +=
    2 *
    count(
      /\bthe (?:following|above|below) (?:text|passage|article|document|email|paragraph|transcript|review|report)\b/gi,
      text,
      1,
    );
  if (text.length > 2000) s += 1;
  return s;
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
