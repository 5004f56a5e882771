import { promptKind } from '@llm-router/batch';
import { QueryRequest, Topic, validate } from '@llm-router/contracts';
import { RoutedMix } from './routed-mix';

const query = (id: string, content: string): QueryRequest => {
  const r = validate(Topic.Queries, { id, messages: [{ role: 'user', content }], constraints: { mode: 'batch' } });
  if (!r.ok) throw r.error;
  return r.value;
};

/** An engine whose features are the text's length, counting how often it featurises. */
function countingEngine() {
  const texts: string[] = [];
  return {
    texts,
    features: (text: string) => {
      texts.push(text);
      return Float64Array.of(text.length);
    },
  };
}

describe('RoutedMix', () => {
  it('featurises each query once, when it is dispatched, and keeps its context and kind of prompt beside it', () => {
    const engine = countingEngine();
    const mix = new RoutedMix('2026-12-05');
    const first = [query('a', 'Which is larger? Answer with the letter.'), query('b', 'Name a colour.')];
    mix.add(engine, first);
    mix.add(engine, [query('c', 'Which is smaller? Answer with the letter.')]);
    expect(engine.texts).toHaveLength(3);
    expect(mix.queries.map((q) => q.id)).toEqual(['a', 'b', 'c']);
    expect(mix.contexts.map((c) => c.features![0])).toEqual(mix.queries.map((q) => q.messages[0].content.length));
    expect(mix.promptKinds).toEqual(mix.queries.map((q) => promptKind(q.messages[0].content)));
    expect(mix.promptKinds[0].opening).toBe(mix.promptKinds[2].opening);
  });

  it('keeps the latest `max` queries, their contexts and kinds of prompt in step', () => {
    const engine = countingEngine();
    const mix = new RoutedMix('p', 3);
    mix.add(engine, [query('1', 'x'), query('2', 'xx')]);
    mix.add(engine, [query('3', 'xxx'), query('4', 'xxxx'), query('5', 'xxxxx')]);
    expect(mix.queries.map((q) => q.id)).toEqual(['3', '4', '5']);
    expect(mix.contexts.map((c) => c.features![0])).toEqual([3, 4, 5]);
    expect(mix.promptKinds).toEqual(['xxx', 'xxxx', 'xxxxx'].map(promptKind));
    expect(mix.period).toBe('p');
  });
});
