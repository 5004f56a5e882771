import type { BatchRound } from '@llm-router/contracts';
import { plannerOrder } from './planner-order';

const event = (seq: number, round: BatchRound, ids: number[], part?: { index: number; of: number }) => ({
  batchId: `batch-s-1-x-${seq}-${round}`,
  scope: 's-1',
  window: { seq, round },
  ...(part && { part }),
  assignments: ids.map((j) => ({ requestId: `s-1-${j}`, model: 'm', decisionId: `d-${j}` })),
});
const indexOf = (id: string) => Number(id.split('-').pop());

describe('plannerOrder', () => {
  it('orders windows, then each window’s probe before its rest, then parts, whatever order the events came in', () => {
    const events = [
      event(2, 'window', [5, 4], { index: 1, of: 2 }),
      event(1, 'rest', [2, 1, 3]),
      event(2, 'window', [6, 7], { index: 0, of: 2 }),
      event(1, 'probe', [0]),
      event(3, 'window', [8]),
    ];
    expect(plannerOrder(events, 9, 4, indexOf)).toEqual({ order: [0, 2, 1, 3, 6, 7, 5, 4, 8] });
  });

  it("puts a probe's second stage after the probe and before the rest", () => {
    const events = [event(1, 'rest', [4, 5]), event(1, 'top-up', [2, 3]), event(1, 'probe', [0, 1])];
    expect(plannerOrder(events, 6, 6, indexOf)).toEqual({ order: [0, 1, 2, 3, 4, 5] });
  });

  it('puts an exploration sub-round before the rest of its window', () => {
    const events = [event(1, 'rest', [2, 3]), event(1, 'exploration', [1, 0])];
    expect(plannerOrder(events, 4, 4, indexOf)).toEqual({ order: [1, 0, 2, 3] });
  });

  it('has no order to replay when a query was planned twice, one never was, or a window was not full', () => {
    expect(plannerOrder([event(1, 'window', [0, 1]), event(2, 'window', [1, 2])], 3, 2, indexOf)).toEqual({
      unavailable: 'query s-1-1 was planned twice',
    });
    expect(plannerOrder([event(1, 'window', [0, 1])], 3, 2, indexOf)).toEqual({
      unavailable: '2 of 3 sent queries were planned',
    });
    expect(plannerOrder([event(1, 'window', [0]), event(2, 'window', [1, 2])], 3, 2, indexOf)).toEqual({
      unavailable: 'windows of 1, 2 queries, not of 2',
    });
    const { window: _, ...unnamed } = event(1, 'window', [0]);
    expect(plannerOrder([unnamed], 1, 1, indexOf)).toEqual({
      unavailable: 'batch batch-s-1-x-1-window does not name its window',
    });
  });
});
