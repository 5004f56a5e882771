import { Controller, DefaultValuePipe, Get, NotFoundException, Param, ParseIntPipe, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { PriceBookService } from './price-book.service';

@ApiTags('prices')
@Controller('prices')
export class PricesController {
  constructor(private readonly prices: PriceBookService) {}

  @Get()
  @ApiOkResponse({ description: 'The price in force for every active model (USD per million tokens)' })
  current() {
    return { prices: this.prices.current() };
  }

  @Get(':model/history')
  @ApiOperation({ summary: 'Accepted prices of a model, newest first' })
  @ApiParam({ name: 'model', description: 'model id, URL-encoded (meta-llama%2Fllama-3.1-8b-instruct)' })
  @ApiQuery({ name: 'limit', required: false, description: 'at most this many rows (default 100, max 1000)' })
  async history(@Param('model') model: string, @Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit: number) {
    const history = await this.prices.history(model, Math.min(Math.max(limit, 1), 1000));
    if (history.length === 0 && !this.prices.catalogEntry(model))
      throw new NotFoundException(`no price was ever accepted for ${model}`);
    return {
      model,
      current: this.prices.price(model) ?? null,
      status: this.prices.catalogEntry(model)?.status ?? null,
      history,
    };
  }
}
