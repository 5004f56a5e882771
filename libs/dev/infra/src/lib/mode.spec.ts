import { infraFromEnv, selectMode } from './mode';

const docker = (answers: boolean) => jest.fn(async () => answers);

describe('infraFromEnv', () => {
  it('needs both variables and splits the broker list', () => {
    expect(
      infraFromEnv({
        KAFKA_BROKERS: ' a:1, b:2 ,',
        DATABASE_URL: 'postgres://x',
      }),
    ).toEqual({
      kafkaBrokers: ['a:1', 'b:2'],
      databaseUrl: 'postgres://x',
    });
    expect(infraFromEnv({ KAFKA_BROKERS: 'a:1' })).toBeUndefined();
    expect(infraFromEnv({ DATABASE_URL: 'postgres://x' })).toBeUndefined();
    expect(infraFromEnv({ KAFKA_BROKERS: ' , ', DATABASE_URL: 'postgres://x' })).toBeUndefined();
  });
});

describe('selectMode', () => {
  it('uses the environment when both variables are set, without asking Docker', async () => {
    const probe = docker(true);
    const choice = await selectMode({ KAFKA_BROKERS: 'k:9092', DATABASE_URL: 'postgres://db' }, probe);
    expect(choice.mode).toBe('env');
    expect(probe).not.toHaveBeenCalled();
  });

  it('prefers Docker to local processes', async () => {
    expect((await selectMode({}, docker(true))).mode).toBe('docker');
    expect((await selectMode({}, docker(false))).mode).toBe('local');
  });

  it('does not treat one variable alone as env, and says why', async () => {
    const choice = await selectMode({ KAFKA_BROKERS: 'k:9092' }, docker(false));
    expect(choice.mode).toBe('local');
    expect(choice.reason).toContain('only KAFKA_BROKERS');
    const other = await selectMode({ DATABASE_URL: 'postgres://db' }, docker(true));
    expect(other.mode).toBe('docker');
    expect(other.reason).toContain('only DATABASE_URL');
  });

  it('honours INFRA_MODE and the caller over the search', async () => {
    const probe = docker(true);
    expect((await selectMode({ INFRA_MODE: 'local' }, probe)).mode).toBe('local');
    expect((await selectMode({ KAFKA_BROKERS: 'k:1', DATABASE_URL: 'p://' }, probe, 'local')).mode).toBe('local');
    expect(probe).not.toHaveBeenCalled();
  });

  it('rejects an unknown mode and env mode without the variables', async () => {
    await expect(selectMode({ INFRA_MODE: 'kubernetes' }, docker(false))).rejects.toThrow(/INFRA_MODE/);
    await expect(selectMode({ KAFKA_BROKERS: 'k:1' }, docker(false), 'env')).rejects.toThrow(/DATABASE_URL/);
  });
});
