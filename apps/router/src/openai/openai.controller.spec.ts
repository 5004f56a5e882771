import type { Request, Response } from 'express';
import { ReplicaService } from '@llm-router/replica';
import { OpenAiError } from '../auth/openai-errors';
import type { Admission } from '../auth/admission';
import type { RoutingService } from '../routing/routing.service';
import { OpenAiController } from './openai.controller';

const body = { model: 'auto', messages: [{ role: 'user', content: 'hello' }] };
const http = {} as Request;
const res = {} as Response;

/** A controller whose replica has read `models` so far (the real wait, on a stand-in registry). */
function controller(models: string[] = []) {
  const replica = {
    engines: { models: () => models, price: () => undefined },
    waitForModels: ReplicaService.prototype.waitForModels,
    waitForModelsOrStop: ReplicaService.prototype.waitForModelsOrStop,
  } as unknown as ReplicaService;
  const admission = {
    defaultScope: (_caller: unknown, fallback: string) => fallback,
    admit: jest.fn().mockRejectedValue(new Error('admission reached')),
  };
  const route = jest.fn();
  const c = new OpenAiController(
    { route } as unknown as RoutingService,
    replica,
    {} as never,
    admission as unknown as Admission,
    { MAX_PROMPT_CHARS: 10000, DEFAULT_MAX_TOKENS: 256 },
  );
  return { c, admission, route };
}

/** The error chat() ends with, and how long after `from` it came. */
async function failure(p: Promise<unknown>, from: number): Promise<{ e: unknown; ms: number }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  return { e, ms: Date.now() - from };
}

const expectStopping = (e: unknown) => {
  expect(e).toBeInstanceOf(OpenAiError);
  const err = e as OpenAiError;
  expect([err.getStatus(), err.type, err.code]).toEqual([503, 'server_error', 'router_stopping']);
  expect(err.headers).toEqual({ 'Retry-After': '1' });
};

describe('OpenAiController while the router stops', () => {
  it('answers 503 at once to a request that arrives after the stop began, before any model is known', async () => {
    const { c, admission, route } = controller();
    c.onModuleDestroy();
    const { e, ms } = await failure(c.chat(body, http, res), Date.now());
    expectStopping(e);
    expect(ms).toBeLessThan(1000);
    expect(admission.admit).not.toHaveBeenCalled();
    expect(route).not.toHaveBeenCalled();
  });

  it('ends a request waiting for the first prices with 503 as soon as the stop begins', async () => {
    const { c, admission } = controller();
    const answer = c.chat(body, http, res);
    await new Promise((r) => setTimeout(r, 250));
    const stoppedAt = Date.now();
    c.onModuleDestroy();
    const { e, ms } = await failure(answer, stoppedAt);
    expectStopping(e);
    expect(ms).toBeLessThan(1000);
    expect(admission.admit).not.toHaveBeenCalled();
  });

  it('still takes a request when the models are known: only the wait for them ends with the stop', async () => {
    const { c, admission } = controller(['m1']);
    c.onModuleDestroy();
    const { e } = await failure(c.chat(body, http, res), Date.now());
    expect((e as Error).message).toBe('admission reached');
    expect(admission.admit).toHaveBeenCalledTimes(1);
  });
});
