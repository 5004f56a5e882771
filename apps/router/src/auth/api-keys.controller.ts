import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard, OwnAccessControl } from '@llm-router/service';
import { KeyLimits } from './api-keys';
import { KeyStore } from './key-store';

/** Keys in the api_keys table, on the ADMIN_TOKEN: the plain key is returned once, at creation. */
@ApiTags('admin')
@ApiBearerAuth()
@OwnAccessControl()
@UseGuards(AdminTokenGuard)
@Controller('admin/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: KeyStore) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an API key; the answer holds the key, which is never shown again' })
  @ApiBody({ schema: { example: { name: 'team-a', scopes: ['default'], budgetDayUsd: 5, rpm: 60, tpm: 100000 } } })
  async create(@Body() body: unknown) {
    const r = KeyLimits.safeParse(body);
    if (!r.success)
      throw new BadRequestException(
        r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      );
    const { key, policy } = await this.keys.create(r.data);
    return { key, ...policy };
  }

  @Delete(':keyHash')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a key by its SHA-256 (keyHash); routers stop accepting it within API_KEY_CACHE_S' })
  async revoke(@Param('keyHash') keyHash: string): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(keyHash))
      throw new BadRequestException("keyHash: must be the key's SHA-256, 64 hex digits");
    if (!(await this.keys.revoke(keyHash))) throw new NotFoundException('no active key has this hash');
  }
}
