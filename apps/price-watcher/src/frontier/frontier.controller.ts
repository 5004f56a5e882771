import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { FrontierService } from './frontier.service';

@ApiTags('frontier')
@Controller('frontier')
export class FrontierController {
  constructor(private readonly frontier: FrontierService) {}

  @Get()
  @ApiOkResponse({
    description:
      'Per scope: policy version, quality estimates and the frontier last computed (cost = USD of a nominal call)',
  })
  get() {
    return { scopes: this.frontier.frontiers() };
  }
}
