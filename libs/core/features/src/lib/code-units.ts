/**
 * Per-code-unit classes (whitespace, word character, writing system) for the featurizer's
 * scanning loops. Each class is computed once per UTF-16 code unit with the very regexes the
 * features are defined by, then read from a table: the loops run over every character of
 * every prompt, and a Unicode-property regex per character was most of their cost.
 */

/** Index into SCRIPTS ('latin', 'cyrillic', 'cjk', 'arabic', 'other'), or NOT_A_LETTER. */
export const NOT_A_LETTER = -1;

const RE_LATIN = /\p{Script=Latin}/u;
const RE_CYRILLIC = /\p{Script=Cyrillic}/u;
const RE_CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const RE_ARABIC = /\p{Script=Arabic}/u;
const RE_LETTER = /\p{L}/u;
const RE_WORD_CHAR = /^[\p{L}\p{N}]$/u;
const RE_SPACE = /^\s$/;

/**
 * The script index of `ch` (one code unit, or a surrogate pair): whether it holds a letter,
 * then the first script test it passes. Like the tests it applies, it looks for a match
 * anywhere in `ch`.
 */
export function scriptIndexOf(ch: string): number {
  if (!RE_LETTER.test(ch)) return NOT_A_LETTER;
  if (RE_LATIN.test(ch)) return 0;
  if (RE_CYRILLIC.test(ch)) return 1;
  if (RE_CJK.test(ch)) return 2;
  if (RE_ARABIC.test(ch)) return 3;
  return 4;
}

const KNOWN = 1;
const SPACE = 2;
const WORD = 4;
const SCRIPT_SHIFT = 3;
/** Lazily filled: 0 = not classified yet, else KNOWN | flags | (script index + 1) << SCRIPT_SHIFT. */
const classes = new Uint8Array(0x10000);

function classOf(code: number): number {
  let c = classes[code];
  if (c === 0) {
    const ch = String.fromCharCode(code);
    c = KNOWN | (RE_SPACE.test(ch) ? SPACE : 0) | (RE_WORD_CHAR.test(ch) ? WORD : 0);
    c |= (scriptIndexOf(ch) + 1) << SCRIPT_SHIFT;
    classes[code] = c;
  }
  return c;
}

/** scriptIndexOf(String.fromCharCode(code)), from the table. */
export function scriptIndexOfUnit(code: number): number {
  return (classOf(code) >> SCRIPT_SHIFT) - 1;
}

/** Whether /\s/ matches the code unit (the same set String.prototype.trim removes). */
export function isSpaceUnit(code: number): boolean {
  return (classOf(code) & SPACE) !== 0;
}

/**
 * How many code units the character at s[i] spans if /[\p{L}\p{N}]/u matches it there, else 0.
 * As in a /u regex, a high surrogate followed by a low one is one code point, and a lone
 * surrogate is no letter.
 */
export function wordCharWidth(s: string, i: number): number {
  const code = s.charCodeAt(i);
  if (code < 128)
    return (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || (code >= 65 && code <= 90) ? 1 : 0;
  if (code >= 0xd800 && code <= 0xdbff && i + 1 < s.length) {
    const next = s.charCodeAt(i + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return RE_WORD_CHAR.test(s.slice(i, i + 2)) ? 2 : 0;
  }
  return (classOf(code) & WORD) !== 0 ? 1 : 0;
}

/** The end of the run of /[\p{L}\p{N}]/u characters starting at s[i] (i if there is none). */
export function wordEnd(s: string, i: number): number {
  let width: number;
  while (i < s.length && (width = wordCharWidth(s, i)) > 0) i += width;
  return i;
}

/**
 * Writes ' ' + s.replace(/\s+/g, ' ').trim() + ' ' into out as code units and returns its
 * length (at most s.length + 2).
 */
export function padAndCollapseWhitespace(s: string, out: Uint16Array): number {
  let len = 0;
  out[len++] = 32;
  let pendingSpace = false;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code === 32 || ((code > 127 || (code >= 9 && code <= 13)) && isSpaceUnit(code))) {
      // Leading whitespace is trimmed; inner runs become one space, written before the next unit.
      pendingSpace = len > 1;
      continue;
    }
    if (pendingSpace) {
      out[len++] = 32;
      pendingSpace = false;
    }
    out[len++] = code;
  }
  out[len++] = 32;
  return len;
}
