import { ContractError } from '@llm-router/contracts';
import { deadLetterReason } from './dead-letter';
import { isTransient, PoisonGuard } from './poison-guard';

const pgError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });
// TypeORM wraps the driver's error: the SQLSTATE sits on driverError.
const typeormError = (code: string) => Object.assign(new Error('query failed'), { driverError: { code } });

describe('isTransient', () => {
  it('waits for a database that is down, restarting, or in conflict', () => {
    for (const code of ['08006', '40001', '40P01', '53300', '57P01', '57P03', '58030'])
      expect(isTransient(pgError(code))).toBe(true);
    expect(isTransient(typeormError('57P01'))).toBe(true);
    expect(isTransient(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransient(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransient(Object.assign(new Error('stale'), { transient: true }))).toBe(true);
  });

  it('treats what the message itself causes as poison', () => {
    for (const code of ['22021', '23514', '23505', '42703']) expect(isTransient(typeormError(code))).toBe(false);
    expect(isTransient(new TypeError('x is undefined'))).toBe(false);
    expect(isTransient(new ContractError('t', []))).toBe(false);
  });
});

describe('deadLetterReason', () => {
  it('classes errors as schema, database or processing', () => {
    expect(deadLetterReason(new ContractError('t', []))).toBe('schema');
    expect(deadLetterReason(typeormError('22021'))).toBe('database');
    expect(deadLetterReason(new Error('bug'))).toBe('processing');
  });
});

describe('PoisonGuard.retrying', () => {
  const guard = new PoisonGuard(null as never, 'test', { retry: { retries: 2, backoffMs: 1 } });

  it('tries 1 + retries times, then throws the last error', async () => {
    let n = 0;
    await expect(
      guard.retrying(async () => {
        n++;
        throw new Error(`try ${n}`);
      }),
    ).rejects.toThrow('try 3');
    expect(n).toBe(3);
  });

  it('returns as soon as a try succeeds', async () => {
    let n = 0;
    const onRetry = jest.fn(async () => undefined);
    expect(
      await guard.retrying(
        async () => {
          if (++n < 2) throw new Error('once');
          return n;
        },
        { onRetry },
      ),
    ).toBe(2);
    expect(onRetry).toHaveBeenCalledTimes(1);
  });

  it('stops at once when retryIf says another try cannot help', async () => {
    let n = 0;
    await expect(
      guard.retrying(
        async () => {
          n++;
          throw new Error('refused');
        },
        { retryIf: (e) => (e as Error).message !== 'refused' },
      ),
    ).rejects.toThrow('refused');
    expect(n).toBe(1);
  });
});
