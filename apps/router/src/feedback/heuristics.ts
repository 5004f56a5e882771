/**
 * Cheap checks of an answer, run on every answer: what they catch is bad whatever the prompt
 * was. Anything else gets no heuristic score (null): a judge or the client says more.
 */

/** Openings of a refusal, matched on the answer's first 200 characters (case-insensitive). */
const REFUSALS = [
  /\bI(?:'m| am) (?:sorry|afraid),? (?:but )?I (?:can(?:'|no)t|cannot|won't|am unable to|'m unable to)\b/i,
  /\bI (?:can(?:'|no)t|cannot|won't) (?:help|assist|comply|provide|do that|answer)\b/i,
  /\bI(?:'m| am) (?:not able|unable) to (?:help|assist|comply|provide)\b/i,
  /\bAs an AI(?: language model)?,? I (?:can(?:'|no)t|cannot|don't|do not)\b/i,
];

/** An answer at least this long that ends without closing punctuation was cut off. */
const MID_SENTENCE_MIN_CHARS = 200;
/** Closing punctuation, brackets, quotes, code fences, emoji and the like. */
const ENDS_CLOSED = /[.!?…:;)\]}"'`*>|\u3002\uFF01\uFF1F\p{Extended_Pictographic}]\s*$/u;

export type HeuristicVerdict = { quality: number; reason: 'empty' | 'refusal' | 'truncated' };

export const HEURISTIC_QUALITY = { empty: 0, refusal: 0, truncated: 0.3 } as const;

export interface AnswerToCheck {
  output: string;
  /** The model's finish reason when it gave one ('stop', 'length', 'tool_calls'...). */
  finishReason?: string;
  /** The assistant message, when it carries more than text (tool calls). */
  message?: Record<string, unknown>;
}

export function checkAnswer(a: AnswerToCheck): HeuristicVerdict | null {
  const text = a.output.trim();
  const toolCalls = a.finishReason === 'tool_calls' || Array.isArray(a.message?.['tool_calls']);
  if (text.length === 0) return toolCalls ? null : verdict('empty');
  if (REFUSALS.some((r) => r.test(text.slice(0, 200)))) return verdict('refusal');
  if (a.finishReason === 'length') return verdict('truncated');
  // A model that says it stopped on purpose is believed; without a reason, a long answer
  // that stops mid-sentence was most likely cut (a stream that broke, a proxy's limit).
  if (a.finishReason === undefined && text.length >= MID_SENTENCE_MIN_CHARS && !ENDS_CLOSED.test(text))
    return verdict('truncated');
  return null;
}

const verdict = (reason: HeuristicVerdict['reason']): HeuristicVerdict => ({
  quality: HEURISTIC_QUALITY[reason],
  reason,
});
