import { loadPlannerConfig } from './config';

const base = { KAFKA_BROKERS: 'localhost:9092', DATABASE_URL: 'postgres://u@h:5/db', ALLOW_NO_AUTH: 'true' };

describe('loadPlannerConfig', () => {
  it("runs the exploration sub-round while a model is unknown to the policy by default, the batch replay's with `auto`, or one of the size given", () => {
    expect(loadPlannerConfig(base).BATCH_EXPLORE).toBe('unknown');
    expect(loadPlannerConfig({ ...base, BATCH_EXPLORE: '0' }).BATCH_EXPLORE).toBe(0);
    expect(loadPlannerConfig({ ...base, BATCH_EXPLORE: 'auto' }).BATCH_EXPLORE).toBe('auto');
    expect(loadPlannerConfig({ ...base, BATCH_EXPLORE: '6' }).BATCH_EXPLORE).toBe(6);
  });

  it.each(['many', '-1', '2.5', 'Auto'])('stops at start on BATCH_EXPLORE=%s, naming the variable', (v) => {
    expect(() => loadPlannerConfig({ ...base, BATCH_EXPLORE: v })).toThrow(/BATCH_EXPLORE/);
    expect(() => loadPlannerConfig({ ...base, BATCH_EXPLORE: v })).toThrow(
      `explore must be 'auto', 'unknown' or an integer >= 0`,
    );
  });
});
