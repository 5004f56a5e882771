import type { DatasetRow } from '@llm-router/contracts';
import { addedModelFigures, feedbackDelayOf, learningFigures, liveBySource, quarters } from './figures';

const row = (cheap: number, flagship: number): DatasetRow =>
  ({
    prompt: 'p',
    arms: { cheap: { reward: cheap, cost: 0.001 }, flagship: { reward: flagship, cost: 0.01 } },
  }) as unknown as DatasetRow;

describe('e2e figures', () => {
  const rows = [row(0.5, 1), row(0.5, 1), row(1, 1), row(0, 0.5)];
  const answered = [
    { index: 0, row: 0, model: 'flagship', costUsd: 0.01 },
    { index: 1, row: 1, model: 'cheap', costUsd: 0.001 },
    { index: 2, row: 2, model: 'cheap', costUsd: 0.001 },
    { index: 3, row: 3, model: 'cheap', costUsd: 0.001 },
  ];

  it('scores what answered against the best arm of every sent row, at realised cost', () => {
    expect(learningFigures([0, 1, 2, 3], answered, rows, 0.002)).toEqual({
      meanQuality: 0.625,
      oracleQuality: 0.875,
      pctOfOracle: 0.7143,
      meanCostUsd: 0.00325,
      budgetRatio: 1.625,
    });
  });

  it("turns the live learning delay into the replay's --feedback-delay: decisions made while a reward travels back", () => {
    expect(feedbackDelayOf(425, 98)).toBe(42);
    expect(feedbackDelayOf(1500, 400)).toBe(600);
    // Never 0 (the undelayed replay is already beside it), and nothing without a measured delay or rate.
    expect(feedbackDelayOf(2, 100)).toBe(1);
    expect(feedbackDelayOf(null, 100)).toBeNull();
    expect(feedbackDelayOf(NaN, 100)).toBeNull();
    expect(feedbackDelayOf(425, 0)).toBeNull();
    expect(feedbackDelayOf(425, Infinity)).toBeNull();
  });

  it('counts the calls each model answered, every model listed', () => {
    const q = quarters(answered, rows)!;
    expect(q.bestArm).toBe('flagship');
    expect(q.callsByModel).toEqual({ cheap: 3, flagship: 1 });
    expect(q.firstQuarter.bestArmShare).toBe(1);
    expect(q.lastQuarter.bestArmShare).toBe(0);
    const allCheap = answered.map((a) => ({ ...a, model: 'cheap' }));
    expect(quarters(allCheap, rows)?.callsByModel).toEqual({ cheap: 4, flagship: 0 });
  });

  it('counts a hot-added model in the oracle from its arrival, and measures its uptake as the replay does', () => {
    // flagship arrives at query 1: row 0's oracle is the cheap arm's 0.5.
    expect(learningFigures([0, 1, 2, 3], answered, rows, null, { arm: 'flagship', at: 1 }).oracleQuality).toBe(0.75);
    const uptake = [0, 1, 2, 3, 4, 5].map((index) => ({
      index,
      row: 0,
      model: index >= 2 ? 'flagship' : 'cheap',
      costUsd: 0,
    }));
    // Half of the last 100 decisions: 50 needed, so never within six queries.
    expect(addedModelFigures(uptake, 6, { arm: 'flagship', at: 2 })).toEqual({
      model: 'flagship',
      at: 2,
      adaptSteps: null,
      calls: 4,
    });
    const long = Array.from({ length: 200 }, (_, index) => ({
      index,
      row: 0,
      model: index >= 100 ? 'flagship' : 'cheap',
      costUsd: 0,
    }));
    expect(addedModelFigures(long, 200, { arm: 'flagship', at: 100 }).adaptSteps).toBe(50);
    // An unanswered query holds no model: every other one, so half of a window at query 198.
    expect(
      addedModelFigures(
        long.filter((a) => a.index % 2 === 0),
        200,
        { arm: 'flagship', at: 100 },
      ).adaptSteps,
    ).toBe(99);
  });

  it('splits a live batch run by source beside the replay, the parts summing to the gain', () => {
    const sourced = rows.map((r, i) => ({ ...r, source: i < 2 ? 'a' : 'b' }));
    const replay = [
      { source: 'a', rows: 2, perQuery: { meanQuality: 0.5 }, batch: { meanQuality: 0.75 } },
      { source: 'b', rows: 2, perQuery: { meanQuality: 0.75 }, batch: { meanQuality: 0.5 } },
    ];
    // Row 3 unanswered: it scores 0. Live: a 1 + 0.5, b 1; replayed per-query total 1 + 1.5 = 2.5.
    const [a, b] = liveBySource(answered.slice(0, 3), sourced, 0.01, 4, replay);
    expect(a).toEqual({
      source: 'a',
      rows: 2,
      meanQuality: 0.75,
      budgetShare: 0.275,
      replayMeanQuality: 0.75,
      replayPerQueryMeanQuality: 0.5,
      gainPct: 20,
      replayGainPct: 20,
    });
    expect(b).toMatchObject({ meanQuality: 0.5, budgetShare: 0.025, gainPct: -20, replayGainPct: -20 });
    const live = learningFigures([0, 1, 2, 3], answered.slice(0, 3), sourced, 0.01).meanQuality;
    expect(a.gainPct + b.gainPct).toBeCloseTo(100 * (live / (2.5 / 4) - 1), 9);
    expect(liveBySource(answered, sourced, null, 4, replay)[0].budgetShare).toBeNull();
  });
});
