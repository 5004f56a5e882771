/**
 * A seeded, varied set of prompts for the featurizer's golden test and its micro-benchmark.
 * The golden fixture pins the featurizer's exact output on these prompts, so this generator
 * must never change: a new case goes at the end of the list, after a fixture refresh that the
 * commit explains.
 */

/** mulberry32: tiny, seeded, the same sequence on every platform. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ENGLISH = (
  'the a an of to and in is it that for on with as was be by this are or from at which but have not ' +
  'how many much each total cost paid write function program list string array python rust sql ' +
  'summarise translate story poem imagine character which following true false plausible deduce ' +
  'premise conclusion explain reasoning step by step answer correct letter option choices ' +
  'calculate average ratio percent remainder probability twice half dozen three twelve hundred ' +
  'apple train hour minute meter kilogram city river tree machine learning model router'
).split(' ');
const CYRILLIC = 'привет мир как дела сколько стоит напиши функцию расскажи историю город река дерево'.split(' ');
const CJK = [
  '你好',
  '世界',
  '函数',
  '编写',
  '计算',
  '多少',
  '東京',
  'ひらがな',
  'カタカナ',
  '한국어',
  '안녕하세요',
  '数学',
];
const ARABIC = 'مرحبا بالعالم كيف حالك اكتب دالة احسب المجموع مدينة نهر شجرة'.split(' ');
const EMOJI = ['😀', '🚀', '👍🏽', '🇫🇷', '👨‍👩‍👧', '🎉', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '🧮'];
const UNITS = ['cm', 'km', 'kg', '%', 'm/s', ' hours', ' dollars', '€', 'ms', 'GB'];
const SPACES = [' ', ' ', ' ', '  ', '\t', '\n', '\n\n', ' \u00a0', '\u3000', '\r\n'];

const CODE_SNIPPETS = [
  '```python\ndef reverse(xs):\n    return xs[::-1]\n```',
  '```js\nfunction add(a, b) {\n  return a + b;\n}\nconsole.log(add(1, 2) === 3 && true);\n```',
  '```rust\nfn main() {\n    let v: Vec<i32> = vec![1, 2, 3];\n    println!("{:?}", v);\n}\n```',
  '#include <stdio.h>\npublic static void main(String[] args) { System.out.println("hi"); }',
  'Traceback (most recent call last):\n  File "x.py", line 3\nSyntaxError: syntax error',
  'import numpy as np\nx = np.array([1, 2, 3]);\nprint(x)',
  'SELECT name FROM users WHERE id = 42;',
];
const MATHS_SNIPPETS = [
  'Solve for x: 3x + 5 = 20.',
  'Compute $\\frac{1}{2} + \\sqrt{16}$ and $x^2 = 9$.',
  '\\int_0^\\infty e^{-x} dx = 1, \\sum_{k=1}^{n} k \\le n^2, \\alpha \\neq \\beta',
  'A train travels 120 km in 2 hours. How far does it go in 5 hours at the same speed?',
  'If y = 2x - 7 and x ≥ 3, what is 12 × 4 ÷ 6? What is 15% of $80?',
  'Tom is twice as old as Ann. In three years the sum of their ages is 36. How old is Ann?',
];
const CHOICES = [
  'Which of the following is true?\n(A) 2 (B) 3 (C) 4 (D) 5\nAnswer with the correct letter.',
  'Options: (A) plausible ( B ) implausible',
  'Choices:\n1) red\n2) green\n3) blue',
  'Question: Does Alice tell the truth? Option 1: yes Option 2: no. Explain your reasoning step by step.',
];
const PROSE = [
  'Write a short poem about the sea.',
  'Summarize the following text in three bullet points.',
  'Translate the above paragraph into French.',
  'Once upon a time, in a fantasy land, a character named Bo imagined a new verse.',
  'Hello! How are you today?',
  'Tell me a joke.',
  'Write me a python function that reverses a linked list.',
  'Classify the following review as positive or negative: "Great product!"',
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function words(r: () => number, vocab: readonly string[], n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    s += (i > 0 ? pick(r, SPACES) : '') + pick(r, vocab);
    if (r() < 0.08) s += pick(r, ['.', ',', '?', '!', ':', ';']);
    if (r() < 0.05) s += ' ' + Math.floor(r() * 10000) / (r() < 0.3 ? 100 : 1) + pick(r, UNITS);
    if (r() < 0.03) s += ' ' + String.fromCharCode(65 + Math.floor(r() * 26)) + pick(r, vocab).toUpperCase();
  }
  return s;
}

function snippets(r: () => number, n: number): string {
  const pools = [CODE_SNIPPETS, MATHS_SNIPPETS, CHOICES, PROSE];
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(pick(r, pick(r, pools)));
  return parts.join(pick(r, ['\n', '\n\n', ' ', '\t']));
}

/** Builds one prompt of the given kind; kinds cycle so every kind gets many prompts. */
const KINDS: ReadonlyArray<(r: () => number) => string> = [
  (r) => words(r, ENGLISH, 5 + Math.floor(r() * 80)),
  (r) => snippets(r, 1 + Math.floor(r() * 4)),
  (r) => words(r, ENGLISH, 10 + Math.floor(r() * 40)) + '\n' + snippets(r, 2),
  // Longer than the 4096 n-gram cut and the 2000-character script sample.
  (r) => snippets(r, 3) + '\n' + words(r, ENGLISH, 700 + Math.floor(r() * 600)) + '\n' + snippets(r, 2),
  (r) => words(r, ENGLISH, 330 + Math.floor(r() * 60)),
  (r) => words(r, CYRILLIC, 3 + Math.floor(r() * 60)) + (r() < 0.5 ? ' ' + snippets(r, 1) : ''),
  (r) => words(r, CJK, 3 + Math.floor(r() * 80)),
  (r) => words(r, ARABIC, 3 + Math.floor(r() * 60)),
  (r) => words(r, [...ENGLISH, ...EMOJI, ...CJK, ...CYRILLIC, ...ARABIC], 5 + Math.floor(r() * 100)),
  (r) => words(r, [...EMOJI, 'ok', '42'], 1 + Math.floor(r() * 30)),
  (r) => words(r, CYRILLIC, 400 + Math.floor(r() * 200)),
  (r) => words(r, ['İ', 'ẞ', 'ß', 'Σ', 'ΣΑΣ', 'Ǆ', 'ﬁ', 'K', 'Å', 'ŉ'], 1 + Math.floor(r() * 40)),
];

const FIXED: readonly string[] = [
  '',
  ' ',
  '\t\n  \r\n',
  '\u00a0\u2003\u3000\ufeff',
  'a',
  'ab',
  'abc',
  '42',
  '\ud83d', // a lone high surrogate
  'x\udc00y', // a lone low surrogate
  '😀',
  '  leading and trailing  ',
  'Write a python function to reverse a list.',
  'Solve for x: 3x + 5 = 20',
  'Привет',
  ...PROSE,
  ...CHOICES,
  ...MATHS_SNIPPETS,
  ...CODE_SNIPPETS,
];

/** The golden prompts: FIXED edge cases, then `count - FIXED.length` seeded prompts. */
export function goldenPrompts(count = 300, seed = 20240611): string[] {
  const r = rng(seed);
  const out = [...FIXED];
  for (let i = 0; out.length < count; i++) out.push(KINDS[i % KINDS.length](r));
  return out;
}
