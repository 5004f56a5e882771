import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG } from '@llm-router/service';
import type { PriceWatcherConfig } from '../config';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer token of the admin API. Without ADMIN_TOKEN the API is off (503, saying so) rather
 * than open: changing prices moves real money. Digests are compared in constant time, so
 * response timing does not leak how much of a guessed token was right.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(@Inject(APP_CONFIG) config: Pick<PriceWatcherConfig, 'ADMIN_TOKEN'>) {
    if (config.ADMIN_TOKEN) this.expected = digest(config.ADMIN_TOKEN);
  }

  canActivate(ctx: ExecutionContext): boolean {
    if (!this.expected)
      throw new ServiceUnavailableException('the admin API is disabled: set ADMIN_TOKEN to enable it');
    const header = ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers[
      'authorization'
    ];
    const value = Array.isArray(header) ? header[0] : header;
    const m = /^Bearer\s+(.+)$/i.exec(value ?? '');
    if (!m) throw new UnauthorizedException('missing bearer token: send "Authorization: Bearer <ADMIN_TOKEN>"');
    if (!timingSafeEqual(digest(m[1].trim()), this.expected)) throw new UnauthorizedException('invalid admin token');
    return true;
  }
}
