import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ChatMessage, DEFAULT_SCOPE, Scope, Topic, validate } from '@llm-router/contracts';
import { MessageProducer } from '@llm-router/kafka';
import { ReplicaService } from '@llm-router/replica';
import { APP_CONFIG, OwnAccessControl } from '@llm-router/service';
import { RoutingRejected, RoutingService } from '../routing/routing.service';
import type { RouterConfig } from '../config';
import { Admission } from '../auth/admission';
import { ApiKeyGuard, callerOf } from '../auth/api-key.guard';
import { OpenAiError } from '../auth/openai-errors';
import { estimatedTokens, TokenPrices, worstCaseCostUsd } from '../auth/worst-case-cost';

const ChatCompletionBody = z.object({
  /** "auto" routes in the default scope; any other value names a scope, or a model to bypass routing. */
  model: z.string().min(1).default('auto'),
  messages: z.array(ChatMessage).min(1),
  max_cost_usd: z.number().nonnegative().optional(),
  min_quality: z.number().min(0).max(1).optional(),
  /** Output tokens at most: what the budget caps reserve (DEFAULT_MAX_TOKENS when absent). */
  max_tokens: z.number().int().positive().optional(),
  /** Replay provider only: the dataset row that answers. */
  dataset_row: z.number().int().nonnegative().optional(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success)
    throw new BadRequestException(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** OpenAI-compatible HTTP front door: existing clients point their base URL here and send model "auto". */
@ApiTags('openai')
@ApiBearerAuth()
@OwnAccessControl()
@UseGuards(ApiKeyGuard)
@Controller('v1')
export class OpenAiController {
  constructor(
    private readonly routing: RoutingService,
    private readonly replica: ReplicaService,
    private readonly producer: MessageProducer,
    private readonly admission: Admission,
    @Inject(APP_CONFIG)
    private readonly config: Pick<RouterConfig, 'MAX_PROMPT_CHARS' | 'DEFAULT_MAX_TOKENS'>,
  ) {}

  @Post('chat/completions')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Route a chat completion; headers x-router-model, x-router-decision-id, x-router-cost-usd name the choice',
  })
  @ApiBody({
    schema: {
      example: {
        model: 'auto',
        messages: [{ role: 'user', content: 'Write a haiku about routers' }],
        max_cost_usd: 0.001,
      },
    },
  })
  async chat(@Body() body: unknown, @Req() http: Request, @Res({ passthrough: true }) res: Response) {
    const req = parse(ChatCompletionBody, body);
    const promptChars = req.messages.reduce((n, m) => n + m.content.length, 0);
    if (promptChars > this.config.MAX_PROMPT_CHARS)
      throw new OpenAiError(
        400,
        `the prompt has ${promptChars} characters; this router accepts at most ${this.config.MAX_PROMPT_CHARS}`,
        'invalid_request_error',
        'prompt_too_long',
      );
    const caller = callerOf(http);
    // The worst case of a call is priced on the models the replica knows.
    await this.replica.waitForModels();
    const models = this.replica.engines.models();
    const explicit = models.includes(req.model) ? req.model : undefined;
    const scope = req.model === 'auto' || explicit ? this.admission.defaultScope(caller, DEFAULT_SCOPE) : req.model;
    if (!Scope.safeParse(scope).success)
      throw new BadRequestException(`model: "${req.model}" is neither "auto", a known model, nor a valid scope name`);
    const promptBytes = req.messages.reduce((n, m) => n + bytes(m.content), 0);
    const prices = (explicit ? [explicit] : models)
      .map((m) => this.replica.engines.price(m))
      .filter((p): p is TokenPrices & NonNullable<typeof p> => p !== undefined);
    const admitted = await this.admission.admit(
      caller,
      scope,
      worstCaseCostUsd(prices, promptBytes, req.max_tokens ?? this.config.DEFAULT_MAX_TOKENS),
    );
    const id = `http-${randomUUID()}`;
    const outcome: Parameters<Admission['complete']>[2] = { costUsd: 0, tokens: 0, requestId: id };
    try {
      return await this.answer(req, scope, explicit, id, res, outcome, promptBytes);
    } finally {
      await this.admission.complete(caller, admitted, outcome);
    }
  }

  /** Routes the admitted request; fills outcome with what the call cost and used. */
  private async answer(
    req: z.infer<typeof ChatCompletionBody>,
    scope: string,
    explicit: string | undefined,
    id: string,
    res: Response,
    outcome: Parameters<Admission['complete']>[2],
    promptBytes: number,
  ) {
    const q = validate(Topic.Queries, {
      id,
      scope,
      messages: req.messages,
      datasetRow: req.dataset_row,
      constraints: { mode: 'query', maxCostUsd: req.max_cost_usd, minQuality: req.min_quality, model: explicit },
    });
    if (!q.ok) throw new BadRequestException(q.error.message);
    let r;
    try {
      r = await this.routing.route(q.value);
    } catch (e) {
      if (e instanceof RoutingRejected) throw new BadRequestException(e.message);
      throw e;
    }
    outcome.costUsd = r.costUsd;
    outcome.tokens = r.usage
      ? r.usage.promptTokens + r.usage.completionTokens
      : estimatedTokens(promptBytes + bytes(r.output));
    if (!r.error || r.output) outcome.decisionId = r.decisionId;
    res.setHeader('x-router-model', r.model);
    res.setHeader('x-router-decision-id', r.decisionId);
    res.setHeader('x-router-cost-usd', String(r.costUsd));
    return {
      id,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: r.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: r.output },
          finish_reason: r.error && !r.output ? 'error' : 'stop',
        },
      ],
      usage: r.usage
        ? {
            prompt_tokens: r.usage.promptTokens,
            completion_tokens: r.usage.completionTokens,
            total_tokens: r.usage.promptTokens + r.usage.completionTokens,
          }
        : undefined,
      router: { decision_id: r.decisionId, scope, cost_usd: r.costUsd, error: r.error },
    };
  }

  @Get('models')
  @ApiOkResponse({ description: 'OpenAI-style model list: "auto" plus every routable model' })
  models() {
    const data = ['auto', ...this.replica.engines.models()].map((id) => ({
      id,
      object: 'model',
      owned_by: id === 'auto' ? 'llm-router' : id.split('/')[0],
    }));
    return { object: 'list', data };
  }

  @Post('feedback')
  @HttpCode(202)
  @ApiOperation({ summary: 'Report the quality (0..1) of an answer, by decision id or request id' })
  @ApiBody({ schema: { example: { decisionId: 'dec_0123456789abcdef', quality: 0.9, source: 'user' } } })
  async feedback(@Body() body: Record<string, unknown>, @Req() http: Request) {
    const r = validate(Topic.Feedback, { source: 'user', ts: new Date().toISOString(), ...body });
    if (!r.ok) throw new BadRequestException(r.error.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    await this.admission.checkFeedback(callerOf(http), r.value);
    await this.producer.send(Topic.Feedback, r.value);
    return { accepted: true };
  }
}
