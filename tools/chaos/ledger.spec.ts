import { doubleCounted, recoverySeconds } from './ledger';

describe('doubleCounted', () => {
  const rows = new Map([
    ['a', 3],
    ['b', 2],
  ]);

  it('is 0 when the counters match the ledger rows', () => {
    expect(doubleCounted(5, 5, rows, new Map(rows))).toBe(0);
  });

  it("counts the policy counter's excess over the rows", () => {
    expect(doubleCounted(5, 7, rows, new Map(rows))).toBe(2);
  });

  it("counts an arm's pulls above its reward rows, even when the totals hide it", () => {
    expect(
      doubleCounted(
        5,
        5,
        rows,
        new Map([
          ['a', 4],
          ['b', 2],
        ]),
      ),
    ).toBe(1);
  });

  it('does not count a counter that lags (a pending flush) as double counting', () => {
    expect(
      doubleCounted(
        5,
        4,
        rows,
        new Map([
          ['a', 2],
          ['b', 2],
        ]),
      ),
    ).toBe(0);
    expect(doubleCounted(5, null, rows, new Map())).toBe(0);
  });
});

describe('recoverySeconds', () => {
  const fault = 10_000;

  it('is the first moment a query sent after the fault was answered and rewarded', () => {
    const samples = [
      { sentAt: 9_000, answeredAt: 10_500, decisionId: 'before' },
      { sentAt: 11_000, answeredAt: 20_000, decisionId: 'd1' },
      { sentAt: 12_000, answeredAt: 14_000, decisionId: 'd2' },
    ];
    const rewards = new Map([
      ['before', 10_600],
      ['d1', 20_100],
      ['d2', 16_000],
    ]);
    expect(recoverySeconds(fault, samples, rewards)).toBe(6);
  });

  it('is null while no query sent after the fault has its reward', () => {
    expect(recoverySeconds(fault, [{ sentAt: 11_000, answeredAt: 12_000, decisionId: 'd' }], new Map())).toBeNull();
    expect(
      recoverySeconds(fault, [{ sentAt: 9_000, answeredAt: 12_000, decisionId: 'd' }], new Map([['d', 12_500]])),
    ).toBeNull();
  });
});
