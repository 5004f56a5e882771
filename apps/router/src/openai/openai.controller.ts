import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  OnModuleDestroy,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import {
  ChatMessage,
  DEFAULT_SCOPE,
  FeedbackSource,
  Id,
  IsoTime,
  isPairwise,
  Quality,
  Scope,
  Topic,
  Usd,
  validate,
} from '@llm-router/contracts';
import { MessageProducer } from '@llm-router/kafka';
import { OpenAiChatBody } from '@llm-router/providers';
import { ReplicaService } from '@llm-router/replica';
import { APP_CONFIG, OwnAccessControl } from '@llm-router/service';
import { Answer, RoutingRejected, RoutingService, StreamSink } from '../routing/routing.service';
import type { RouterConfig } from '../config';
import { Admission } from '../auth/admission';
import { ApiKeyGuard, callerOf } from '../auth/api-key.guard';
import { OpenAiError, routerStopping } from '../auth/openai-errors';
import { estimatedTokens, worstCaseCallUsd } from '../auth/worst-case-cost';

/** A message as OpenAI clients send it: content as text, as parts (text, images...) or null with tool calls. */
const ChatCompletionMessage = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: z.union([z.string(), z.array(z.object({ type: z.string() }).passthrough()), z.null()]).optional(),
  })
  .passthrough();

/** Router extensions of the body: they steer routing and are not sent to the model. */
const ROUTER_FIELDS = [
  'max_cost_usd',
  'min_quality',
  'latency_slo_ms',
  'dataset_row',
  'features',
  'extra_body',
] as const;

const ChatCompletionBody = z
  .object({
    /** "auto" (the key's default scope), "auto:<scope>", or a model id of the catalog (routing bypassed). */
    model: z.string().min(1).default('auto'),
    messages: z.array(ChatCompletionMessage).min(1),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullish(),
    /** Output tokens at most: what the budget caps reserve (DEFAULT_MAX_TOKENS when absent). */
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    max_cost_usd: z.number().nonnegative().optional(),
    min_quality: z.number().min(0).max(1).optional(),
    latency_slo_ms: z.number().int().positive().optional(),
    /** Replay provider only: the dataset row that answers. */
    dataset_row: z.number().int().nonnegative().optional(),
    /** The caller's embedding of the prompt (EMBEDDING_DIM numbers), as QueryRequest.features. */
    features: z.array(z.number().finite()).optional(),
    /** Python clients' extra_body, when a client sends it as a field rather than merging it: merged into the body. */
    extra_body: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();
type ChatCompletionBody = z.infer<typeof ChatCompletionBody>;

/**
 * POST /v1/feedback: a score in [0,1] or thumbs, ids in snake_case or camelCase. Unknown
 * fields are refused, so a client cannot pose as the aggregator's release of held feedback.
 */
const ClientFeedbackBody = z
  .object({
    decision_id: Id.optional(),
    decisionId: Id.optional(),
    request_id: Id.optional(),
    requestId: Id.optional(),
    scope: Scope.optional(),
    quality: Quality.optional(),
    thumbs: z.enum(['up', 'down']).optional(),
    costUsd: Usd.optional(),
    source: FeedbackSource.optional(),
    feedbackId: Id.optional(),
    ts: IsoTime.optional(),
  })
  .strict()
  .refine((b) => (b.quality === undefined) !== (b.thumbs === undefined), {
    message: 'give either quality (0..1) or thumbs ("up" or "down")',
    path: ['quality'],
  });

const THUMBS = { up: 1, down: 0 } as const;

/** POST /v1/feedback/pairwise: the winner's answer was better than the loser's. */
const PairwiseFeedbackBody = z
  .object({ winner_decision_id: Id, loser_decision_id: Id, scope: Scope.optional() })
  .strict();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success)
    throw new BadRequestException(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** The text of a message (text parts joined; images and tool calls carry no text): what routing features and the replay see. */
function textOf(content: ChatCompletionBody['messages'][number]['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((p) => (p.type === 'text' && typeof p['text'] === 'string' ? p['text'] : '')).join('');
}

const ROLE: Record<string, ChatMessage['role']> = { developer: 'system', function: 'tool' };

const modelNotFound = (model: string) =>
  new OpenAiError(
    404,
    `The model "${model}" does not exist: use "auto", "auto:<scope>" or a model of GET /v1/models`,
    'invalid_request_error',
    'model_not_found',
  );

/** What the client asked for, resolved: where it is routed and what goes to the model. */
interface Resolved {
  req: ChatCompletionBody;
  scope: string;
  explicit?: string;
  messages: ChatMessage[];
  promptText: string;
  /** The client's body minus the router's own fields, extra_body merged: sent to the model as it is. */
  forward: OpenAiChatBody;
}

/**
 * One streamed answer as Server-Sent Events: the headers go with the first chunk (the model
 * that answers is known then), each chunk is written as it arrives, the cost follows as a
 * trailer, and `data: [DONE]` ends it.
 */
class SseAnswer {
  started = false;
  private sentUsage = false;

  constructor(
    private readonly res: Response,
    private readonly scope: string,
    private readonly includeUsage: boolean,
  ) {}

  readonly send: StreamSink = (chunk, meta) => {
    if (!this.started) {
      this.started = true;
      this.res.status(200);
      this.res.setHeader('content-type', 'text/event-stream; charset=utf-8');
      this.res.setHeader('cache-control', 'no-cache');
      this.res.setHeader('x-router-model', meta.model);
      this.res.setHeader('x-router-decision-id', meta.decisionId);
      this.res.setHeader('x-router-scope', this.scope);
      this.res.setHeader('trailer', 'x-router-cost-usd');
      this.res.flushHeaders();
    }
    if (chunk.usage) this.sentUsage = true;
    this.res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  };

  /** After the last chunk: the usage chunk the client asked for if the model sent none (estimated), the cost, [DONE]. */
  end(headers: Record<string, string>, usage?: Record<string, number>): void {
    if (this.includeUsage && !this.sentUsage && usage)
      this.res.write(`data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
    this.res.addTrailers({ 'x-router-cost-usd': headers['x-router-cost-usd'] });
    this.res.end('data: [DONE]\n\n');
  }

  /** The model failed after its first chunk: OpenAI clients raise an error event. */
  fail(message: string): void {
    this.res.end(`data: ${JSON.stringify({ error: { message, type: 'server_error', code: 'upstream_error' } })}\n\n`);
  }
}

/**
 * The answer written on the node response as it is: Express's res.json would also compute an
 * ETag (a SHA-1 of the body) and go through its send machinery, a few % of the router's CPU
 * per request for an answer no client revalidates (docs/decisions/0029).
 */
function writeJson(res: Response, headers: Record<string, string>, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text, 'utf8'),
  });
  res.end(text);
}

/** OpenAI-compatible HTTP front door: existing clients point their base URL here and send model "auto". */
@ApiTags('openai')
@ApiBearerAuth()
@OwnAccessControl()
@UseGuards(ApiKeyGuard)
@Controller('v1')
export class OpenAiController implements OnModuleDestroy {
  /**
   * Aborted as the router begins to stop: a request waiting for the first prices would
   * otherwise hold the HTTP server's close (it waits for requests in flight) for the whole wait.
   */
  private readonly stopping = new AbortController();

  constructor(
    private readonly routing: RoutingService,
    private readonly replica: ReplicaService,
    private readonly producer: MessageProducer,
    private readonly admission: Admission,
    @Inject(APP_CONFIG)
    private readonly config: Pick<RouterConfig, 'MAX_PROMPT_CHARS' | 'DEFAULT_MAX_TOKENS'>,
  ) {}

  onModuleDestroy(): void {
    this.stopping.abort();
  }

  @Post('chat/completions')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Route a chat completion (stream: true for SSE); headers x-router-model, x-router-decision-id, x-router-cost-usd, x-router-scope name the choice',
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
  async chat(@Body() body: unknown, @Req() http: Request, @Res() res: Response): Promise<void> {
    const caller = callerOf(http);
    // The worst case of a call is priced on the models the replica knows.
    if (!(await this.replica.waitForModelsOrStop(this.stopping.signal))) throw routerStopping();
    const r = this.resolve(parse(ChatCompletionBody, body), caller);
    const { req, scope, explicit, promptText } = r;
    const promptBytes = bytes(promptText);
    const prices = (explicit ? [explicit] : this.replica.engines.models())
      .map((m) => this.replica.engines.price(m))
      .filter((p): p is NonNullable<typeof p> => p !== undefined);
    const maxTokens = req.max_tokens ?? req.max_completion_tokens ?? this.config.DEFAULT_MAX_TOKENS;
    // Bytes bound tokens from above, so the reservation is a true worst case; a self-hosted model costs its price per call.
    const worstUsd = worstCaseCallUsd(prices, promptBytes, maxTokens);
    const admitted = await this.admission.admit(caller, scope, worstUsd);
    const id = `http-${randomUUID()}`;
    const outcome: Parameters<Admission['complete']>[2] = { costUsd: 0, tokens: 0, requestId: id };
    // Cost, tokens and decision owner are committed before the client has the answer, so that
    // its next request (or its feedback, on any router) sees them; once, whatever the path.
    let completed: Promise<void> | undefined;
    const complete = () => (completed ??= this.admission.complete(caller, admitted, outcome));
    try {
      await this.answer(r, id, res, outcome, complete);
    } finally {
      await complete();
    }
  }

  /** model -> scope or explicit model (404 for anything else), messages as text, and the body to forward. */
  private resolve(req: ChatCompletionBody, caller: ReturnType<typeof callerOf>): Resolved {
    const messages: ChatMessage[] = req.messages.map(
      (m) => ({ role: ROLE[m.role] ?? m.role, content: textOf(m.content) }) as ChatMessage,
    );
    const promptText = messages.map((m) => m.content).join('\n');
    if (promptText.length > this.config.MAX_PROMPT_CHARS)
      throw new OpenAiError(
        400,
        `the prompt has ${promptText.length} characters; this router accepts at most ${this.config.MAX_PROMPT_CHARS}`,
        'invalid_request_error',
        'prompt_too_long',
      );
    let scope = this.admission.defaultScope(caller, DEFAULT_SCOPE);
    let explicit: string | undefined;
    if (req.model.startsWith('auto:')) {
      scope = req.model.slice('auto:'.length);
      if (!Scope.safeParse(scope).success) throw modelNotFound(req.model);
    } else if (req.model !== 'auto') {
      if (!this.replica.engines.models().includes(req.model)) throw modelNotFound(req.model);
      explicit = req.model;
    }
    const forward: Record<string, unknown> = { ...req, ...(req.extra_body ?? {}) };
    for (const f of ROUTER_FIELDS) delete forward[f];
    return { req, scope, explicit, messages, promptText, forward: forward as OpenAiChatBody };
  }

  /** Routes the admitted request and writes the answer (JSON, or SSE as it streams); fills outcome with what it cost and used. */
  private async answer(
    r: Resolved,
    id: string,
    res: Response,
    outcome: Parameters<Admission['complete']>[2],
    complete: () => Promise<void>,
  ) {
    const { req, scope, explicit } = r;
    const q = validate(Topic.Queries, {
      id,
      scope,
      messages: r.messages,
      datasetRow: req.dataset_row,
      features: req.features,
      constraints: {
        mode: 'query',
        maxCostUsd: req.max_cost_usd,
        minQuality: req.min_quality,
        latencySloMs: req.latency_slo_ms,
        model: explicit,
      },
    });
    if (!q.ok) throw new BadRequestException(q.error.message);
    const stream = req.stream ? new SseAnswer(res, scope, req.stream_options?.include_usage === true) : undefined;
    // What the call cost and used, and the decision's owner, are committed while Kafka
    // acknowledges the answer: both are done before the client has it.
    const recordOutcome = ({ response, decision }: Answer) => {
      outcome.costUsd = response.costUsd;
      outcome.tokens = response.usage
        ? response.usage.promptTokens + response.usage.completionTokens
        : estimatedTokens(bytes(r.promptText) + bytes(response.output));
      if (decision) outcome.decisionId = response.decisionId;
      return complete();
    };
    let a: Answer;
    try {
      a = await this.routing.route(q.value, { body: r.forward, onChunk: stream?.send, alongside: recordOutcome });
    } catch (e) {
      if (e instanceof RoutingRejected) throw new BadRequestException(e.message);
      if (stream?.started) return stream.fail((e as Error).message);
      throw e;
    }
    const { response, decision } = a;
    const headers = {
      'x-router-model': response.model,
      'x-router-decision-id': response.decisionId,
      'x-router-cost-usd': String(response.costUsd),
      'x-router-scope': scope,
    };
    if (!decision) {
      if (stream?.started) return stream.fail(response.error ?? 'every model failed');
      throw new OpenAiError(502, response.error ?? 'every model failed', 'server_error', 'upstream_error', headers);
    }
    const usage = response.usage && {
      prompt_tokens: response.usage.promptTokens,
      completion_tokens: response.usage.completionTokens,
      total_tokens: response.usage.promptTokens + response.usage.completionTokens,
    };
    if (stream) return stream.end(headers, usage);
    const result = a.result;
    writeJson(res, headers, {
      id,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: response.model,
      choices: [
        {
          index: 0,
          message: result?.message ?? { role: 'assistant', content: response.output },
          finish_reason: result?.finishReason ?? 'stop',
        },
      ],
      usage,
      router: { decision_id: response.decisionId, scope, cost_usd: response.costUsd, error: response.error },
    });
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
  @ApiOperation({
    summary:
      'Report the quality of an answer, by decision id or request id: quality in [0,1], or thumbs "up" (1) / "down" (0)',
  })
  @ApiBody({ schema: { example: { decision_id: 'dec_0123456789abcdef', thumbs: 'up' } } })
  async feedback(@Body() body: unknown, @Req() http: Request) {
    const { thumbs, decision_id, request_id, ...rest } = parse(ClientFeedbackBody, body);
    const r = validate(Topic.Feedback, {
      source: 'user',
      ts: new Date().toISOString(),
      ...rest,
      decisionId: rest.decisionId ?? decision_id,
      requestId: rest.requestId ?? request_id,
      quality: thumbs ? THUMBS[thumbs] : rest.quality,
      kind: 'score',
    });
    if (!r.ok || isPairwise(r.value))
      throw new BadRequestException(
        r.ok ? 'not a score' : r.error.issues.map((i) => `${i.path}: ${i.message}`).join('; '),
      );
    await this.admission.checkFeedback(callerOf(http), r.value);
    await this.producer.send(Topic.Feedback, r.value);
    return { accepted: true };
  }

  @Post('feedback/pairwise')
  @HttpCode(202)
  @ApiOperation({ summary: "Report that the answer of one decision was better than another's (preference learning)" })
  @ApiBody({
    schema: { example: { winner_decision_id: 'dec_0123456789abcdef', loser_decision_id: 'dec_fedcba9876543210' } },
  })
  async pairwiseFeedback(@Body() body: unknown, @Req() http: Request) {
    const b = parse(PairwiseFeedbackBody, body);
    const r = validate(Topic.Feedback, {
      kind: 'pairwise',
      source: 'user',
      ts: new Date().toISOString(),
      winnerDecisionId: b.winner_decision_id,
      loserDecisionId: b.loser_decision_id,
      scope: b.scope,
    });
    if (!r.ok) throw new BadRequestException(r.error.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    const caller = callerOf(http);
    for (const decisionId of [b.winner_decision_id, b.loser_decision_id])
      await this.admission.checkFeedback(caller, { decisionId });
    await this.producer.send(Topic.Feedback, r.value);
    return { accepted: true };
  }
}
