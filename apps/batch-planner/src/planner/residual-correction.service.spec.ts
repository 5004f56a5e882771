import { PinoLogger } from 'nestjs-pino';
import { ReplicaService } from '@llm-router/replica';
import { PlannerConfig } from '../config';
import { OutcomeStore } from './outcome-store';
import { ResidualCorrection } from './residual-correction.service';
import { ResidualStore } from './residual-store';
import { WindowResiduals } from './window-residuals';

// Storing and reloading on PostgreSQL, across a restart: test/e2e/batch-planner-residuals.int-spec.ts.

function correction(
  setting: PlannerConfig['BATCH_RECENT_CORRECTION'],
  warmStart: string[],
  store: Partial<ResidualStore>,
) {
  const log = { warn: jest.fn() };
  const outcomes = { qualities: jest.fn().mockResolvedValue(new Map()) };
  const c = new ResidualCorrection(
    { BATCH_RECENT_CORRECTION: setting } as PlannerConfig,
    { warmStartPrompts: () => warmStart } as unknown as ReplicaService,
    outcomes as unknown as OutcomeStore,
    store as ResidualStore,
    log as unknown as PinoLogger,
  );
  return { c, log, outcomes };
}

describe('ResidualCorrection', () => {
  it('is on as the replay turns it on: `auto` with a warm start, or `on`', () => {
    expect(correction('auto', ['a prompt'], {}).c.on()).toBe(true);
    expect(correction('auto', [], {}).c.on()).toBe(false);
    expect(correction('on', [], {}).c.on()).toBe(true);
    expect(correction('off', ['a prompt'], {}).c.on()).toBe(false);
  });

  it('gives no correction when off, and reads nothing', async () => {
    const load = jest.fn();
    const t = correction('off', [], { load });
    expect(await t.c.forRound('s', 'window')).toBeUndefined();
    expect(load).not.toHaveBeenCalled();
    expect(t.outcomes.qualities).not.toHaveBeenCalled();
  });

  it('goes on from the stored correction, loaded once per scope', async () => {
    const stored = new WindowResiduals();
    stored.residuals.count(['stored prompt, answer with the letter', 'another prompt, answer with the letter']);
    const load = jest.fn().mockResolvedValue(stored.toJSON());
    const { c } = correction('on', [], { load });
    const first = await c.forRound('s', 'window');
    expect(first!.toJSON()).toEqual(WindowResiduals.restore(stored.toJSON()).toJSON());
    expect(await c.forRound('s', 'rest')).toBe(first);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("fades the older calls at a window's first round only; its probe's second stage and rest count within the window", async () => {
    const { c } = correction('on', [], { load: jest.fn().mockResolvedValue(undefined) });
    const next = jest.spyOn(WindowResiduals.prototype, 'nextWindow');
    const within = jest.spyOn(WindowResiduals.prototype, 'withinWindow');
    try {
      for (const round of ['window', 'exploration', 'probe', 'top-up', 'rest'] as const) await c.forRound('s', round);
      expect(next).toHaveBeenCalledTimes(3);
      expect(within).toHaveBeenCalledTimes(2);
    } finally {
      next.mockRestore();
      within.mockRestore();
    }
  });

  it('starts from the warm-start prompts when the stored state cannot be used, and says so', async () => {
    const t = correction('auto', ['warm prompt'], { load: jest.fn().mockResolvedValue({ not: 'a state' }) });
    const r = await t.c.forRound('s', 'window');
    const fresh = new WindowResiduals();
    fresh.residuals.count(['warm prompt']);
    expect(r!.toJSON()).toEqual(fresh.toJSON());
    expect(t.log.warn).toHaveBeenCalledWith(
      expect.objectContaining({ scope: 's' }),
      'stored residual correction not usable: starting without',
    );
  });

  it('logs a failed save instead of failing the round it follows', async () => {
    const t = correction('on', [], { save: jest.fn().mockRejectedValue(new Error('database down')) });
    await expect(t.c.save('s', new WindowResiduals())).resolves.toBeUndefined();
    expect(t.log.warn).toHaveBeenCalledWith(
      { scope: 's', err: 'database down' },
      'could not store the residual correction',
    );
  });
});
