import { BadRequestException, Body, Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { z } from 'zod';
import { ChatMessage, DEFAULT_SCOPE, Scope, Topic, validate } from '@llm-router/contracts';
import { MessageProducer } from '@llm-router/kafka';
import { ReplicaService } from '@llm-router/replica';
import { RoutingRejected, RoutingService } from '../routing/routing.service';

const ChatCompletionBody = z.object({
  /** "auto" routes in the default scope; any other value names a scope, or a model to bypass routing. */
  model: z.string().min(1).default('auto'),
  messages: z.array(ChatMessage).min(1),
  max_cost_usd: z.number().nonnegative().optional(),
  min_quality: z.number().min(0).max(1).optional(),
  /** Replay provider only: the dataset row that answers. */
  dataset_row: z.number().int().nonnegative().optional(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success)
    throw new BadRequestException(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

/** OpenAI-compatible HTTP front door: existing clients point their base URL here and send model "auto". */
@ApiTags('openai')
@Controller('v1')
export class OpenAiController {
  constructor(
    private readonly routing: RoutingService,
    private readonly replica: ReplicaService,
    private readonly producer: MessageProducer,
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
  async chat(@Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const req = parse(ChatCompletionBody, body);
    const models = this.replica.engines.models();
    const explicit = models.includes(req.model) ? req.model : undefined;
    const scope = req.model === 'auto' || explicit ? DEFAULT_SCOPE : req.model;
    if (!Scope.safeParse(scope).success)
      throw new BadRequestException(`model: "${req.model}" is neither "auto", a known model, nor a valid scope name`);
    const id = `http-${randomUUID()}`;
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
  async feedback(@Body() body: Record<string, unknown>) {
    const r = validate(Topic.Feedback, { source: 'user', ts: new Date().toISOString(), ...body });
    if (!r.ok) throw new BadRequestException(r.error.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    await this.producer.send(Topic.Feedback, r.value);
    return { accepted: true };
  }
}
