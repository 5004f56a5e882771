import { plannerOrder } from './planner-order';

const event = (batchId: string, ids: number[], part?: { index: number; of: number }) => ({
  batchId,
  scope: 's-1',
  ...(part && { part }),
  assignments: ids.map((j) => ({ requestId: `s-1-${j}`, model: 'm', decisionId: `d-${j}` })),
});
const indexOf = (id: string) => Number(id.split('-').pop());

describe('plannerOrder', () => {
  it('orders windows, then each window’s probe before its rest, then parts, whatever order the events came in', () => {
    const events = [
      event('batch-s-1-mxa1-2', [5, 4], { index: 1, of: 2 }),
      event('batch-s-1-mxa0-1', [2, 1, 3]),
      event('batch-s-1-mxa1-2', [6, 7], { index: 0, of: 2 }),
      event('batch-s-1-mxa0-1-probe', [0]),
      event('batch-s-1-mxa2-3', [8]),
    ];
    expect(plannerOrder(events, 9, 4, indexOf)).toEqual({ order: [0, 2, 1, 3, 6, 7, 5, 4, 8] });
  });

  it('puts an exploration sub-round before the rest of its window', () => {
    const events = [event('batch-s-1-x-1', [2, 3]), event('batch-s-1-x-1-explore', [1, 0])];
    expect(plannerOrder(events, 4, 4, indexOf)).toEqual({ order: [1, 0, 2, 3] });
  });

  it('has no order to replay when a query was planned twice, one never was, or a window was not full', () => {
    expect(plannerOrder([event('batch-s-1-x-1', [0, 1]), event('batch-s-1-x-2', [1, 2])], 3, 2, indexOf)).toEqual({
      unavailable: 'query s-1-1 was planned twice',
    });
    expect(plannerOrder([event('batch-s-1-x-1', [0, 1])], 3, 2, indexOf)).toEqual({
      unavailable: '2 of 3 sent queries were planned',
    });
    expect(plannerOrder([event('batch-s-1-x-1', [0]), event('batch-s-1-x-2', [1, 2])], 3, 2, indexOf)).toEqual({
      unavailable: 'windows of 1, 2 queries, not of 2',
    });
    expect(plannerOrder([event('odd', [0])], 1, 1, indexOf)).toEqual({
      unavailable: 'batch id odd does not name its window',
    });
  });
});
