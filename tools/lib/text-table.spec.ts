import { signed, textTable } from './text-table';

describe('textTable', () => {
  it('left-aligns the names, right-aligns the figures, and rules the header', () => {
    expect(
      textTable(
        ['source', 'rows'],
        [
          ['mmlu', '397'],
          ['bbh/snarks', '25'],
        ],
      ).split('\n'),
    ).toEqual(['source      rows', '----------  ----', 'mmlu         397', 'bbh/snarks    25']);
  });

  it('writes a figure with its sign', () => {
    expect([signed(0.123), signed(-0.4), signed(0), signed(1.25, 1)]).toEqual(['+0.12', '-0.40', '+0.00', '+1.3']);
  });
});
