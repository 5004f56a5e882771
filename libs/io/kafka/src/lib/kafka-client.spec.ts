import { logLevel } from 'kafkajs';
import { kafkaLogCreator, STOPPING_REASON } from './kafka-client';

describe('kafkaLogCreator', () => {
  const lines = () => {
    const seen: { level: string; message: string }[] = [];
    const record = (level: string) => (_: object, message: string) => seen.push({ level, message });
    const log = kafkaLogCreator({ warn: record('warn'), error: record('error'), debug: record('debug') })();
    return { seen, log };
  };
  const entry = (level: logLevel, message: string, error?: string) => ({
    namespace: 'Runner',
    level,
    label: 'ERROR',
    log: { timestamp: new Date().toISOString(), message, ...(error ? { error } : {}) },
  });

  it('logs a batch a stopping service abandons at debug, not as an error', () => {
    const { seen, log } = lines();
    log(entry(logLevel.ERROR, 'Error when calling eachBatch', STOPPING_REASON));
    expect(seen).toEqual([{ level: 'debug', message: 'Error when calling eachBatch' }]);
  });

  it('keeps other handler failures at error and rebalances at debug', () => {
    const { seen, log } = lines();
    log(entry(logLevel.ERROR, 'Error when calling eachBatch', 'connect ECONNREFUSED 127.0.0.1:5432'));
    log(entry(logLevel.ERROR, 'Error when calling eachBatch', 'The group is rebalancing, so a rejoin is needed'));
    log(entry(logLevel.WARN, 'Connection timeout'));
    expect(seen.map((s) => s.level)).toEqual(['error', 'debug', 'warn']);
  });
});
