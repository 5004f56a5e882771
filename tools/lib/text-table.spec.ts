import { textTable } from './text-table';

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
});
