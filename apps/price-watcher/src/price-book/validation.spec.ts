import { MAX_PRICE_PER_M, PriceEvent } from '@llm-router/contracts';
import { checkPrice, jumpFactor, samePrice } from './validation';

const current: PriceEvent = {
  model: 'm',
  inputPerM: 1,
  outputPerM: 2,
  effectiveFrom: '2026-01-01T00:00:00.000Z',
  source: 'file',
  selfHosted: false,
  discountTiers: [],
};
const opts = { source: 'test', maxJump: 10 };

describe('checkPrice', () => {
  it('accepts a sane first price and fills the PriceEvent defaults', () => {
    const r = checkPrice({ model: 'm', inputPerM: 0.5, outputPerM: 1.5 }, undefined, {
      ...opts,
      now: new Date('2026-02-01T00:00:00Z'),
    });
    expect(r).toEqual({
      ok: true,
      price: {
        model: 'm',
        inputPerM: 0.5,
        outputPerM: 1.5,
        effectiveFrom: '2026-02-01T00:00:00.000Z',
        source: 'test',
        selfHosted: false,
        discountTiers: [],
      },
    });
  });

  it.each([
    ['a negative input price', { inputPerM: -0.1, outputPerM: 1 }, 'negative'],
    ['a negative output price', { inputPerM: 1, outputPerM: -5 }, 'negative'],
    ['a NaN price', { inputPerM: NaN, outputPerM: 1 }, 'not_finite'],
    ['an infinite price', { inputPerM: 1, outputPerM: Infinity }, 'not_finite'],
    ['an absurd price', { inputPerM: MAX_PRICE_PER_M + 1, outputPerM: 1 }, 'absurd'],
    ['a price given as a string', { inputPerM: '1' as unknown as number, outputPerM: 1 }, 'invalid'],
  ])('refuses %s', (_name, prices, reason) => {
    const r = checkPrice({ model: 'm', ...prices }, undefined, opts);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(reason);
      expect(r.message).toMatch(/inputPerM|outputPerM/);
    }
  });

  it('accepts the limit itself and zero (free models exist)', () => {
    expect(checkPrice({ model: 'm', inputPerM: MAX_PRICE_PER_M, outputPerM: 0 }, undefined, opts).ok).toBe(true);
  });

  it('refuses a field the PriceEvent contract refuses', () => {
    const r = checkPrice({ model: 'm', inputPerM: 1, outputPerM: 1, concurrency: 0 }, undefined, opts);
    expect(r).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('refuses a jump of more than maxJump x without confirmation, up or down, and names the fix', () => {
    const up = checkPrice({ model: 'm', inputPerM: 10.5, outputPerM: 2 }, current, opts);
    expect(up).toMatchObject({ ok: false, reason: 'jump' });
    if (!up.ok) expect(up.message).toContain('"confirm": true');
    const down = checkPrice({ model: 'm', inputPerM: 1, outputPerM: 0.19 }, current, opts);
    expect(down).toMatchObject({ ok: false, reason: 'jump' });
  });

  it('accepts the same jump when confirmed, and exactly maxJump x without', () => {
    expect(checkPrice({ model: 'm', inputPerM: 10.5, outputPerM: 2 }, current, { ...opts, confirm: true }).ok).toBe(
      true,
    );
    expect(checkPrice({ model: 'm', inputPerM: 10, outputPerM: 20 }, current, opts).ok).toBe(true);
  });

  it('does not confirm away validity: a confirmed negative price is still refused', () => {
    expect(checkPrice({ model: 'm', inputPerM: -1, outputPerM: 2 }, current, { ...opts, confirm: true })).toMatchObject(
      { ok: false, reason: 'negative' },
    );
  });
});

describe('jumpFactor', () => {
  it('is symmetric and floors near-free prices at one cent per million', () => {
    expect(jumpFactor(1, 20)).toBe(20);
    expect(jumpFactor(20, 1)).toBe(20);
    expect(jumpFactor(0, 0.005)).toBe(1);
    expect(jumpFactor(0, 0.05)).toBeCloseTo(5, 12);
    expect(jumpFactor(0, 1)).toBeCloseTo(100, 12);
  });
});

describe('samePrice', () => {
  it('ignores source and time, not the terms', () => {
    expect(samePrice(current, { ...current, source: 'admin', effectiveFrom: '2026-03-01T00:00:00Z' })).toBe(true);
    expect(samePrice(current, { ...current, outputPerM: 2.01 })).toBe(false);
    expect(samePrice(current, { ...current, selfHosted: true, concurrency: 4 })).toBe(false);
    expect(samePrice(current, { ...current, discountTiers: [{ fromCalls: 1000, factor: 0.9 }] })).toBe(false);
    // A price-cut scenario alone is a change, and a factor set or cleared is one too.
    expect(samePrice(current, { ...current, costFactor: 0.5 })).toBe(false);
    expect(samePrice({ ...current, costFactor: 0.5 }, { ...current, costFactor: 0.25 })).toBe(false);
    expect(samePrice({ ...current, costFactor: 0.5 }, current)).toBe(false);
    expect(samePrice({ ...current, costFactor: 0.5 }, { ...current, costFactor: 0.5, source: 'admin' })).toBe(true);
    expect(samePrice(undefined, current)).toBe(false);
  });
});
