import { BadRequestException, Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ModelId } from '@llm-router/contracts';
import { APP_CONFIG } from '@llm-router/service';
import { PRICE_WATCHER_TIMEOUT_MS } from './dashboard.controller';
import { callUpstream, priceWatcherOf, relayUpstream, routerOf, Upstream, UpstreamConfig } from './upstream';

/** A pull waits for a model's whole answer. */
export const PULL_TIMEOUT_MS = 60_000;
/** Admin writes go through Kafka and Postgres on the price-watcher's side. */
export const ADMIN_TIMEOUT_MS = 10_000;

const PullBody = z.object({ model: ModelId, prompt: z.string().trim().min(1).max(4000) }).strict();
const RatingBody = z.object({ decisionId: z.string().min(1), quality: z.number().min(0).max(1) }).strict();
const EnableBody = z.object({ inputPerM: z.number().nonnegative(), outputPerM: z.number().nonnegative() }).strict();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success)
    throw new BadRequestException(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

const modelPath = (model: string) => encodeURIComponent(model);

/**
 * What the dashboard's operator does, relayed on the browser's behalf: a manual pull through a
 * router (and its rating, which is what turns it into a reward), the price history of a model,
 * and adding or removing models through the price-watcher's admin API. Behind the operator
 * guard like every dashboard route; the upstream credentials (ROUTER_API_KEY, ADMIN_TOKEN)
 * never reach the browser.
 */
@ApiTags('dashboard')
@Controller('dashboard')
export class OperatorActionsController {
  private readonly priceWatcher: Upstream;
  private readonly router: Upstream;

  constructor(@Inject(APP_CONFIG) config: UpstreamConfig) {
    this.priceWatcher = priceWatcherOf(config);
    this.router = routerOf(config);
  }

  @Post('pull')
  @HttpCode(200)
  @ApiOperation({
    summary: 'One query through the given model via the router (ROUTER_URL): its answer, decision and cost',
  })
  async pull(@Body() body: unknown) {
    const { model, prompt } = parse(PullBody, body);
    const answer = (await relayUpstream(this.router, '/v1/chat/completions', {
      method: 'POST',
      body: { model, messages: [{ role: 'user', content: prompt }] },
      timeoutMs: PULL_TIMEOUT_MS,
    })) as {
      model: string;
      choices?: { message?: { content?: unknown } }[];
      router: { decision_id: string; scope: string; cost_usd: number };
    };
    return {
      model: answer.model,
      decisionId: answer.router.decision_id,
      scope: answer.router.scope,
      costUsd: answer.router.cost_usd,
      answer: String(answer.choices?.[0]?.message?.content ?? ''),
    };
  }

  @Post('pull/rating')
  @HttpCode(202)
  @ApiOperation({
    summary:
      "The operator's quality (0..1) for a pull, sent as feedback through the router; its reward then streams in",
  })
  rate(@Body() body: unknown) {
    const { decisionId, quality } = parse(RatingBody, body);
    return relayUpstream(this.router, '/v1/feedback', {
      method: 'POST',
      body: { decisionId, quality, source: 'user' },
      timeoutMs: ADMIN_TIMEOUT_MS,
    });
  }

  @Get('prices')
  @ApiOperation({ summary: "The price-watcher's current prices (its GET /prices): the active models" })
  prices() {
    return relayUpstream(this.priceWatcher, '/prices', { timeoutMs: PRICE_WATCHER_TIMEOUT_MS });
  }

  @Get('prices/:model/history')
  @ApiOperation({
    summary: 'Accepted prices of a model, newest first (the price-watcher’s GET /prices/:model/history)',
  })
  history(@Param('model') model: string) {
    return relayUpstream(this.priceWatcher, `/prices/${modelPath(model)}/history`, {
      timeoutMs: PRICE_WATCHER_TIMEOUT_MS,
    });
  }

  @Post('models/:model')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Add a model back (POST /admin/models of the price-watcher); without a price in the body, at its last accepted price',
  })
  async enable(@Param('model') model: string, @Body() body: unknown) {
    const given = body && Object.keys(body).length > 0 ? parse(EnableBody, body) : undefined;
    const price = given ?? (await this.lastPrice(model));
    return relayUpstream(this.priceWatcher, '/admin/models', {
      method: 'POST',
      body: { model, inputPerM: price.inputPerM, outputPerM: price.outputPerM },
      timeoutMs: ADMIN_TIMEOUT_MS,
    });
  }

  @Delete('models/:model')
  @ApiOperation({ summary: 'Remove a model (DELETE /admin/models/:model of the price-watcher): no router picks it' })
  disable(@Param('model') model: string) {
    return relayUpstream(this.priceWatcher, `/admin/models/${modelPath(model)}`, {
      method: 'DELETE',
      timeoutMs: ADMIN_TIMEOUT_MS,
    });
  }

  private async lastPrice(model: string): Promise<{ inputPerM: number; outputPerM: number }> {
    const a = await callUpstream(this.priceWatcher, `/prices/${modelPath(model)}/history?limit=1`, {
      timeoutMs: PRICE_WATCHER_TIMEOUT_MS,
    });
    const last = a.ok ? (a.body as { history?: { inputPerM: number; outputPerM: number }[] }).history?.[0] : undefined;
    if (!last)
      throw new BadRequestException(`${model} has no accepted price to add it back at: give inputPerM and outputPerM`);
    return last;
  }
}
