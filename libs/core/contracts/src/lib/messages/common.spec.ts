import { MAX_PG_INTEGER } from './common';
import { ModelEvent } from './model-event';
import { PriceEvent } from './price-event';

describe('counts stored in PostgreSQL integer columns', () => {
  const price = { model: 'm', inputPerM: 0, outputPerM: 0, effectiveFrom: '2026-12-05T00:00:00Z', source: 't' };

  it('refuses a concurrency a PostgreSQL integer cannot hold, in price and catalog events alike', () => {
    expect(PriceEvent.safeParse({ ...price, selfHosted: true, concurrency: MAX_PG_INTEGER }).success).toBe(true);
    const huge = PriceEvent.safeParse({ ...price, selfHosted: true, concurrency: MAX_PG_INTEGER + 1 });
    expect(huge.success).toBe(false);
    expect(huge.error!.issues[0]).toMatchObject({
      path: ['concurrency'],
      message: `must be at most ${MAX_PG_INTEGER}`,
    });
    const event = { model: 'm', action: 'added', ts: '2026-12-05T00:00:00Z' };
    expect(ModelEvent.safeParse({ ...event, concurrency: 3_484_935_178_933_216 }).success).toBe(false);
    expect(ModelEvent.safeParse({ ...event, concurrency: 8 }).success).toBe(true);
  });
});
