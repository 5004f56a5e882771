import { ChatMessage } from '@llm-router/contracts';

/** Prompt and answer are cut to this many characters each: the judge's bill stays bounded. */
export const JUDGE_MAX_CHARS = 8000;

/** The judge's messages: the template (prompts/judge.md) with {{prompt}} and {{answer}} filled in. */
export function judgeMessages(template: string, prompt: string, answer: string): ChatMessage[] {
  const cut = (s: string) => (s.length > JUDGE_MAX_CHARS ? `${s.slice(0, JUDGE_MAX_CHARS)}\n[... cut]` : s);
  // One pass, so that a {{answer}} inside the prompt is not filled in a second time.
  const content = template.replace(/\{\{(prompt|answer)\}\}/g, (_, k: string) => cut(k === 'prompt' ? prompt : answer));
  return [{ role: 'user', content }];
}

/**
 * The score in a judge's reply, in [0, 1], or null when there is none. Models wrap JSON in
 * prose or code fences, quote numbers, or skip JSON: the first JSON object with a "score" is
 * used, else a `score: x` written out; a score outside [0, 1] is refused rather than clipped.
 */
export function parseJudgeScore(reply: string): number | null {
  for (const candidate of jsonObjects(reply)) {
    try {
      const v = JSON.parse(candidate) as unknown;
      if (v && typeof v === 'object' && 'score' in v) return inUnitRange(Number((v as { score: unknown }).score));
    } catch {
      // not JSON: try the next candidate
    }
  }
  const written = /["']?score["']?\s*[:=]\s*["']?(-?\d+(?:\.\d+)?)/i.exec(reply);
  return written ? inUnitRange(Number(written[1])) : null;
}

const inUnitRange = (x: number): number | null => (Number.isFinite(x) && x >= 0 && x <= 1 ? x : null);

/** Every balanced {...} substring, outermost first. */
function* jsonObjects(s: string): Generator<string> {
  for (let start = s.indexOf('{'); start >= 0; start = s.indexOf('{', start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < s.length; i++) {
      const c = s[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        yield s.slice(start, i + 1);
        break;
      }
    }
  }
}
