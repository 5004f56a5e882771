import { KeyLimits } from './api-keys';

describe('KeyLimits', () => {
  it('refuses a per-minute limit a PostgreSQL integer cannot hold, naming the bound', () => {
    const base = { scopes: ['default'] };
    expect(KeyLimits.safeParse({ ...base, rpm: 2_147_483_647, tpm: 1 }).success).toBe(true);
    for (const field of ['rpm', 'tpm']) {
      const r = KeyLimits.safeParse({ ...base, [field]: 3_484_935_178_933_216 });
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]).toMatchObject({ path: [field], message: 'must be at most 2147483647' });
    }
  });
});
