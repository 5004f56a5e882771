import { IncrementalAssignment } from './assignment-state';
import { prepare, preparedCost } from './problem';
import { randomBatchProblem } from './random-instance';

describe('IncrementalAssignment', () => {
  it('prices every single move exactly as recomputing the all-units tiered bill does', () => {
    const n = 12;
    const k = 3;
    const p = randomBatchProblem({
      n,
      k,
      seed: 5,
      tiers: {
        0: [{ fromCalls: 4, factor: 0.7 }],
        2: [
          { fromCalls: 3, factor: 0.9 },
          { fromCalls: 6, factor: 0.4 },
        ],
      },
    });
    const prepared = prepare(p);
    // Start with counts right at the thresholds so that moves cross them both ways.
    const start = Int32Array.from({ length: n }, (_, i) => (i < 4 ? 0 : i < 9 ? 2 : 1));
    const state = new IncrementalAssignment(prepared, prepared.score, start);
    for (let i = 0; i < n; i++) {
      for (let to = 0; to < k; to++) {
        const moved = Int32Array.from(state.x);
        moved[i] = to;
        const expected = preparedCost(prepared, moved) - preparedCost(prepared, state.x);
        expect(state.costDelta(i, to)).toBeCloseTo(expected, 15);
      }
    }
    // And the running total follows a sequence of moves.
    for (const [i, to] of [
      [0, 2],
      [1, 2],
      [9, 0],
      [4, 1],
      [5, 1],
    ]) {
      state.move(i, to);
      expect(state.total).toBeCloseTo(preparedCost(prepared, state.x), 15);
    }
  });
});
