import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JUDGE_MAX_CHARS, judgeMessages, parseJudgeScore } from './judge-prompt';

describe('parseJudgeScore', () => {
  it('reads the score from JSON, fenced JSON, JSON in prose, quoted numbers and written-out scores', () => {
    expect(parseJudgeScore('{"score": 0.8, "reason": "good"}')).toBe(0.8);
    expect(parseJudgeScore('```json\n{"score": 1}\n```')).toBe(1);
    expect(parseJudgeScore('Here is my grade: {"reason": "uses {braces} well", "score": "0.25"} Thanks.')).toBe(0.25);
    expect(parseJudgeScore('Score: 0.6')).toBe(0.6);
    expect(parseJudgeScore('{"score": 0}')).toBe(0);
  });

  it('refuses a reply without a score in [0, 1] rather than guessing', () => {
    expect(parseJudgeScore('The answer is good.')).toBeNull();
    expect(parseJudgeScore('{"score": 7}')).toBeNull();
    expect(parseJudgeScore('{"score": -0.1}')).toBeNull();
    expect(parseJudgeScore('{"score": "high"}')).toBeNull();
    expect(parseJudgeScore('{"score": 0.9')).toBe(0.9); // cut JSON: the written-out form still reads
  });
});

describe('judgeMessages', () => {
  const template = readFileSync(join(__dirname, '../../../../prompts/judge.md'), 'utf8');

  it("fills the repository's prompt with the prompt and the answer, once each", () => {
    const [m] = judgeMessages(template, 'What is {{answer}}?', 'Forty-two.');
    expect(m.role).toBe('user');
    expect(m.content).toContain('What is {{answer}}?');
    expect(m.content).toContain('Forty-two.');
    expect(m.content).toMatch(/"score"/);
    expect(m.content).not.toContain('{{prompt}}');
  });

  it('cuts a long answer, so the judge call stays bounded', () => {
    const [m] = judgeMessages(template, 'q', 'x'.repeat(JUDGE_MAX_CHARS * 3));
    expect(m.content.length).toBeLessThan(template.length + JUDGE_MAX_CHARS + 100);
  });
});
