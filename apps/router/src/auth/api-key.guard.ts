import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { PinoLogger } from 'nestjs-pino';
import { APP_CONFIG, requestCredential } from '@llm-router/service';
import type { RouterConfig } from '../config';
import { ApiKeyPolicy } from './api-keys';
import { KeyStore } from './key-store';
import { invalidApiKey } from './openai-errors';

/** Who is calling: a key, or nobody when ALLOW_NO_AUTH=true. */
export interface Caller {
  key?: ApiKeyPolicy;
}

export const callerOf = (req: Request): Caller => (req as Request & { caller?: Caller }).caller ?? {};

/** `Authorization: Bearer <key>` on every /v1 route, as OpenAI clients send it; 401 in OpenAI's format otherwise. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: Pick<RouterConfig, 'ALLOW_NO_AUTH'>,
    private readonly keys: KeyStore,
    private readonly log: PinoLogger,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request & { caller?: Caller }>();
    if (this.config.ALLOW_NO_AUTH) {
      req.caller = {};
      return true;
    }
    const presented = requestCredential(req.headers);
    if (!presented)
      throw invalidApiKey('missing API key: send "Authorization: Bearer <key>" (the api_key of OpenAI clients)');
    const key = await this.keys.find(presented);
    if (!key) {
      // The request's headers are in this line, redacted (the root logger's REDACTED_PATHS):
      // the test of log redaction relies on it.
      this.log.warn(
        { req: { method: req.method, url: req.url, headers: req.headers } },
        'request refused: unknown or revoked API key',
      );
      throw invalidApiKey('invalid API key');
    }
    this.log.debug({ apiKey: key.name }, 'API key accepted');
    req.caller = { key };
    return true;
  }
}
