import fc from 'fast-check';
import {
  NOT_A_LETTER,
  isSpaceUnit,
  padAndCollapseWhitespace,
  scriptIndexOf,
  scriptIndexOfUnit,
  wordCharWidth,
  wordEnd,
} from './code-units';

// Strings that stress the tables: every kind of whitespace, letters and digits of several
// scripts, astral letters and emoji, and lone surrogates of both kinds.
const unit = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.constantFrom(' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u2003', '\u2028', '\u3000', '\ufeff', '\u0085'),
  fc.constantFrom('a', 'Z', '7', 'é', 'Я', '中', 'ع', '٣', '𝔘', '😀', '\ud83d', '\ude00', '_', '-'),
);
const text = fc.string({ unit, maxLength: 60 });

describe('code unit classes', () => {
  it('classify every code unit like the regexes they stand for', () => {
    // One expect per unit would take seconds; collect the disagreements instead.
    const disagreements: string[] = [];
    for (let code = 0; code < 0x10000; code++) {
      const ch = String.fromCharCode(code);
      // trim() and /\s/ must agree for the normalisation to equal replace(/\s+/g, ' ').trim().
      const space = /\s/.test(ch);
      if (isSpaceUnit(code) !== space || (ch.trim() === '') !== space) disagreements.push(`space ${code}`);
      if (scriptIndexOfUnit(code) !== scriptIndexOf(ch)) disagreements.push(`script ${code}`);
      if (wordCharWidth(ch, 0) !== (/[\p{L}\p{N}]/u.test(ch) ? 1 : 0)) disagreements.push(`word ${code}`);
    }
    expect(disagreements).toEqual([]);
    expect(scriptIndexOf('a')).toBe(0);
    expect(scriptIndexOf('中')).toBe(2);
    expect(scriptIndexOf('7')).toBe(NOT_A_LETTER);
  });

  it('scan the same tokens as /[\\p{L}\\p{N}]+/gu', () => {
    fc.assert(
      fc.property(text, (s) => {
        const expected = [...s.matchAll(/[\p{L}\p{N}]+/gu)].map((m) => [m.index, m.index + m[0].length]);
        const tokens: number[][] = [];
        for (let start = 0; start < s.length; ) {
          const end = wordEnd(s, start);
          if (end > start) tokens.push([start, end]);
          start = Math.max(end, start + 1);
        }
        expect(tokens).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('normalise whitespace like replace(/\\s+/g, " ").trim() padded with spaces', () => {
    fc.assert(
      fc.property(text, (s) => {
        const out = new Uint16Array(s.length + 2);
        const len = padAndCollapseWhitespace(s, out);
        expect(String.fromCharCode(...out.subarray(0, len))).toBe(' ' + s.replace(/\s+/g, ' ').trim() + ' ');
      }),
      { numRuns: 2000 },
    );
  });
});
