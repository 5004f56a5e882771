import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AdminTokenGuard, OwnAccessControl } from '@llm-router/service';
import { PolicySwitchService } from './policy-switch.service';

const SwitchBody = z
  .object({
    /** A registered policy name: epsilon-greedy, thompson, conservative, fixed:<arm>, ... */
    algorithm: z.string().min(1),
    /** Its options, as POLICY_OPTIONS gives them for that name. */
    options: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const bad = (message: string) =>
  new BadRequestException({ statusCode: 400, error: 'Bad Request', reason: 'invalid', message });

@ApiTags('admin')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or wrong bearer token' })
@ApiResponse({ status: 503, description: 'ADMIN_TOKEN is not set (admin API disabled)' })
@OwnAccessControl()
@UseGuards(AdminTokenGuard)
@Controller('admin')
export class PolicySwitchController {
  constructor(private readonly switches: PolicySwitchService) {}

  @Post('scopes/:scope/policy')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      "Switch a scope's policy through the off-policy gate: evaluated with SNIPS and DR on the scope's logged decisions, recorded in policy_switches, applied (and published to routers) only when it passes",
  })
  @ApiBody({ schema: { example: { algorithm: 'epsilon-greedy', options: { epsilon: 0.05 } } } })
  @ApiOkResponse({ description: 'Passed: {passed: true, version, reason, figures}' })
  @ApiResponse({ status: 400, description: 'Unknown policy, unknown option, wrong type or range' })
  @ApiResponse({ status: 404, description: 'The scope has no policy state yet' })
  @ApiResponse({ status: 409, description: 'Refused by the gate: {passed: false, reason, figures}' })
  async switchPolicy(@Param('scope') scope: string, @Body() body: unknown) {
    const r = SwitchBody.safeParse(body ?? {});
    if (!r.success) throw bad(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    let outcome;
    try {
      outcome = await this.switches.switchPolicy(scope, r.data);
    } catch (e) {
      // Unknown policy or options: evaluateSwitch refuses them before reading anything else.
      if (e instanceof RangeError) throw bad(e.message);
      throw e;
    }
    if (!outcome.passed) throw new ConflictException({ statusCode: 409, error: 'Conflict', ...outcome });
    return outcome;
  }
}
