import type { DatasetRow } from '@llm-router/contracts';
import { learningFigures, quarters } from './figures';

const row = (cheap: number, flagship: number): DatasetRow =>
  ({
    prompt: 'p',
    arms: { cheap: { reward: cheap, cost: 0.001 }, flagship: { reward: flagship, cost: 0.01 } },
  }) as unknown as DatasetRow;

describe('e2e figures', () => {
  const rows = [row(0.5, 1), row(0.5, 1), row(1, 1), row(0, 0.5)];
  const answered = [
    { row: 0, model: 'flagship', costUsd: 0.01 },
    { row: 1, model: 'cheap', costUsd: 0.001 },
    { row: 2, model: 'cheap', costUsd: 0.001 },
    { row: 3, model: 'cheap', costUsd: 0.001 },
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

  it('counts the calls each model answered, every model listed', () => {
    const q = quarters(answered, rows)!;
    expect(q.bestArm).toBe('flagship');
    expect(q.callsByModel).toEqual({ cheap: 3, flagship: 1 });
    expect(q.firstQuarter.bestArmShare).toBe(1);
    expect(q.lastQuarter.bestArmShare).toBe(0);
    const allCheap = answered.map((a) => ({ ...a, model: 'cheap' }));
    expect(quarters(allCheap, rows)?.callsByModel).toEqual({ cheap: 4, flagship: 0 });
  });
});
