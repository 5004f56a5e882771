import { checkAnswer } from './heuristics';

const long = (s: string) => `${'This answer explains the matter at some length, step by step. '.repeat(5)}${s}`;

describe('checkAnswer', () => {
  it('scores an empty answer 0, unless the model called a tool', () => {
    expect(checkAnswer({ output: '  \n', finishReason: 'stop' })).toEqual({ quality: 0, reason: 'empty' });
    expect(checkAnswer({ output: '', finishReason: 'tool_calls' })).toBeNull();
  });

  it('scores a refusal 0', () => {
    for (const output of [
      "I'm sorry, but I can't help with that.",
      'I cannot assist with this request.',
      'As an AI language model, I cannot browse the web.',
      "I'm unable to provide that information.",
    ])
      expect(checkAnswer({ output, finishReason: 'stop' })).toEqual({ quality: 0, reason: 'refusal' });
    // Saying "can't" about something else is not a refusal.
    expect(
      checkAnswer({ output: "You can't divide by zero: the result is undefined.", finishReason: 'stop' }),
    ).toBeNull();
  });

  it('scores a truncated answer 0.3: finish_reason length, or cut mid-sentence without a reason', () => {
    expect(checkAnswer({ output: 'The first three steps are', finishReason: 'length' })).toEqual({
      quality: 0.3,
      reason: 'truncated',
    });
    expect(checkAnswer({ output: long('and then the next step is to') })).toEqual({
      quality: 0.3,
      reason: 'truncated',
    });
    // A model that stopped on purpose, or a short answer, is believed.
    expect(checkAnswer({ output: long('and then the next step is to'), finishReason: 'stop' })).toBeNull();
    expect(checkAnswer({ output: 'Paris' })).toBeNull();
    expect(checkAnswer({ output: long('That is all.') })).toBeNull();
    expect(checkAnswer({ output: long('```\nconsole.log(1)\n```') })).toBeNull();
  });

  it('gives no score to an ordinary answer', () => {
    expect(checkAnswer({ output: 'The capital of France is Paris.', finishReason: 'stop' })).toBeNull();
  });
});
