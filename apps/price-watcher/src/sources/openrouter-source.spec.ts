import { parseOpenRouterModels, perTokenToPerM } from './openrouter-source';
import { SourceFormatError } from './source-feed';
import { FEED } from './testing/feeds';

// Polling a feed into the price book runs on Kafka and Postgres: test/e2e/price-watcher-sources.int-spec.ts.

describe('perTokenToPerM', () => {
  it('turns a per-token decimal string into USD per million, without float noise', () => {
    expect(perTokenToPerM('0.0000025')).toBe(2.5);
    expect(perTokenToPerM('0.00000015')).toBe(0.15);
    expect(perTokenToPerM('0.0000006')).toBe(0.6);
    expect(perTokenToPerM(0.000003)).toBe(3);
    expect(perTokenToPerM('0')).toBe(0);
  });

  it('passes NaN and infinities through (to be refused as such) and reports other text as invalid', () => {
    expect(perTokenToPerM('NaN')).toBeNaN();
    expect(perTokenToPerM('Infinity')).toBe(Infinity);
    expect(perTokenToPerM('')).toEqual({ invalid: 'empty string' });
    expect(perTokenToPerM('cheap')).toEqual({ invalid: '"cheap" is not a number' });
    expect(perTokenToPerM(undefined)).toHaveProperty('invalid');
  });
});

describe('parseOpenRouterModels', () => {
  it('reads the OpenRouter /models format', () => {
    const r = parseOpenRouterModels(FEED);
    expect(r.proposals).toEqual([
      { model: 'openai/gpt-4o-mini', inputPerM: 0.15, outputPerM: 0.6 },
      { model: 'google/gemini-2.5-pro', inputPerM: 1.25, outputPerM: 10 },
      { model: 'meta-llama/llama-3.1-8b-instruct:free', inputPerM: 0, outputPerM: 0 },
      { model: 'openrouter/auto', inputPerM: -1e6, outputPerM: -1e6 },
    ]);
    expect(r.skipped).toEqual([]);
  });

  it('takes only the allowed models when a list is given', () => {
    expect(parseOpenRouterModels(FEED, ['google/gemini-2.5-pro', 'not/there']).proposals.map((p) => p.model)).toEqual([
      'google/gemini-2.5-pro',
    ]);
  });

  it('skips entries without pricing or with unreadable prices, naming the field', () => {
    const r = parseOpenRouterModels({
      data: [
        { id: 'x' },
        { id: 'y', pricing: { prompt: 'abc', completion: '0' } },
        { id: 'z', pricing: { prompt: '0', completion: null } },
        { name: 'no id' },
      ],
    });
    expect(r.proposals).toEqual([]);
    expect(r.skipped.map((s) => [s.model, s.reason])).toEqual([
      ['x', 'invalid'],
      ['y', 'invalid'],
      ['z', 'invalid'],
      ['(entry 4)', 'invalid'],
    ]);
    expect(r.skipped[1].message).toContain('pricing.prompt');
    expect(r.skipped[2].message).toContain('pricing.completion');
  });

  it('refuses a document of another format', () => {
    expect(() => parseOpenRouterModels({ models: [] })).toThrow(SourceFormatError);
    expect(() => parseOpenRouterModels(null)).toThrow(/OpenRouter/);
  });
});
