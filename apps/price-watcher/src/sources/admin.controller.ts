import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Delete,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { DiscountTier, IsoTime, ModelId, PositivePgInteger } from '@llm-router/contracts';
import { PriceBookService, ProposalOutcome } from '../price-book/price-book.service';
import type { PriceProposal } from '../price-book/validation';
import { AdminTokenGuard } from './admin.guard';
import { OwnAccessControl } from '@llm-router/service';

// Prices are left untyped here on purpose: the price book's checks give every source the
// same reasons (negative, not_finite, absurd), and the admin gets the same words as the log.
const requiredPrice = z.unknown().refine((v) => v !== undefined, 'is required');

const PriceBody = z
  .object({
    model: ModelId,
    inputPerM: requiredPrice,
    outputPerM: requiredPrice,
    effectiveFrom: IsoTime.optional(),
    selfHosted: z.boolean().optional(),
    concurrency: PositivePgInteger.optional(),
    discountTiers: z.array(DiscountTier).optional(),
    costFactor: z.number().finite().positive().optional(),
    /** Needed when the price moves more than MAX_PRICE_JUMP times up or down. */
    confirm: z.boolean().optional(),
  })
  .strict();

const ModelBody = PriceBody.extend({ endpoint: z.string().url().optional() }).strict();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      reason: 'invalid',
      message: r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    });
  }
  return r.data;
}

/** Turns a refusal into the HTTP answer a client can act on: 409 when confirming or re-adding fixes it. */
function answer(o: ProposalOutcome) {
  switch (o.status) {
    case 'accepted':
    case 'unchanged':
      return o;
    case 'rejected': {
      const body = { reason: o.reason, message: o.message };
      if (o.reason === 'jump' || o.reason === 'removed')
        throw new ConflictException({ statusCode: 409, error: 'Conflict', ...body });
      throw new BadRequestException({ statusCode: 400, error: 'Bad Request', ...body });
    }
    case 'failed':
      throw new ServiceUnavailableException({ statusCode: 503, error: 'Service Unavailable', message: o.message });
  }
}

const priceExample = { model: 'mistralai/mistral-large-2512', inputPerM: 0.5, outputPerM: 1.5 };

/** Model ids contain "/" (meta-llama/llama-3.1-8b-instruct): in a path they are URL-encoded (%2F). */
const modelParam = ApiParam({
  name: 'model',
  description: 'model id, URL-encoded (meta-llama%2Fllama-3.1-8b-instruct)',
});

@ApiTags('admin')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or wrong bearer token' })
@ApiResponse({ status: 503, description: 'ADMIN_TOKEN is not set (admin API disabled), or Kafka/Postgres failed' })
@OwnAccessControl()
@UseGuards(AdminTokenGuard)
@Controller('admin')
export class AdminController {
  constructor(private readonly prices: PriceBookService) {}

  @Post('prices')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Set the price of a known model (USD per million tokens); publishes model.prices and the frontier when it changed',
  })
  @ApiBody({ schema: { example: { ...priceExample, confirm: false } } })
  @ApiOkResponse({ description: '{status: "accepted" | "unchanged", price}' })
  @ApiResponse({ status: 400, description: 'Invalid body or price (negative, not finite, absurd)' })
  @ApiResponse({ status: 404, description: 'Unknown model (add it with POST /admin/models)' })
  @ApiResponse({
    status: 409,
    description: 'A jump of more than MAX_PRICE_JUMP x needs "confirm": true; or the model was removed',
  })
  async setPrice(@Body() body: unknown) {
    const { confirm, ...proposal } = parse(PriceBody, body);
    const entry = this.prices.catalogEntry(proposal.model);
    if (!entry)
      throw new NotFoundException(
        `unknown model ${proposal.model}: add it with POST /admin/models (a typo here must not create a new arm)`,
      );
    return answer(await this.prices.propose('admin', proposal as PriceProposal, { confirm, label: 'admin' }));
  }

  @Delete('prices/:model')
  @ApiOperation({ summary: 'Undo: put back the price in force before the current one' })
  @modelParam
  @ApiResponse({ status: 404, description: 'No current price, or no earlier price to go back to' })
  async revertPrice(@Param('model') model: string) {
    const o = await this.prices.revert(model);
    if (!o) throw new NotFoundException(`${model} has no earlier price to go back to`);
    return answer(o);
  }

  @Post('models')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Add (or bring back, or enable) a model with its price; publishes model.catalog "added" and model.prices',
  })
  @ApiBody({
    schema: {
      example: {
        model: 'google/gemini-2.5-flash',
        inputPerM: 0.3,
        outputPerM: 2.5,
        endpoint: 'https://openrouter.ai/api/v1',
      },
    },
  })
  @ApiOkResponse({ description: '{status, price, catalog: "added" | "enabled"}' })
  @ApiResponse({ status: 400, description: 'Invalid body or price' })
  @ApiResponse({
    status: 409,
    description: 'A jump of more than MAX_PRICE_JUMP x vs its current price needs "confirm": true',
  })
  async addModel(@Body() body: unknown) {
    const { confirm, endpoint, ...proposal } = parse(ModelBody, body);
    return answer(
      await this.prices.propose('admin', proposal as PriceProposal, {
        confirm,
        label: 'admin',
        addModel: { endpoint },
      }),
    );
  }

  @Delete('models/:model')
  @ApiOperation({
    summary:
      'Remove a model: publishes model.catalog "removed"; file and URL sources ignore it until it is added again',
  })
  @modelParam
  @ApiResponse({ status: 404, description: 'Unknown or already removed model' })
  async removeModel(@Param('model') model: string) {
    let removed: boolean;
    try {
      removed = await this.prices.removeModel(model);
    } catch (e) {
      throw new ServiceUnavailableException(`could not remove ${model}: ${(e as Error).message}`);
    }
    if (!removed) throw new NotFoundException(`${model} is not an active model`);
    return { status: 'removed', model };
  }
}
