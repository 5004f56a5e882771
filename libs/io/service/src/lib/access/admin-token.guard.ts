import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { APP_CONFIG } from '../config';
import type { AccessConfig } from './access-env';
import { requestCredential, secretMatches, sha256Hex } from './credentials';

/**
 * Checks the admin token of a request in constant time (digests are compared, so response
 * timing does not leak how much of a guessed token was right). A 401 also offers Basic
 * authentication, so that a browser opening the dashboard asks for the token (any user name,
 * the token as password) and re-sends it with the page's fetch and EventSource calls.
 */
export class AdminTokenCheck {
  private readonly expected?: string;

  constructor(token: string | undefined) {
    if (token) this.expected = sha256Hex(token);
  }

  get configured(): boolean {
    return this.expected !== undefined;
  }

  /** True when the request carries the token; throws 401 otherwise. */
  verify(ctx: ExecutionContext): true {
    const http = ctx.switchToHttp();
    const presented = requestCredential(http.getRequest<Request>().headers);
    const fail = (message: string) => {
      http.getResponse<Response>().setHeader('WWW-Authenticate', 'Basic realm="llm-router", charset="UTF-8"');
      return new UnauthorizedException(message);
    };
    if (!presented) throw fail('missing credentials: send "Authorization: Bearer <ADMIN_TOKEN>"');
    if (!this.expected || !secretMatches(presented, this.expected)) throw fail('invalid admin token');
    return true;
  }
}

/**
 * The admin APIs (prices, catalog, API keys, dead letters). Without ADMIN_TOKEN they are off
 * (503, saying so) rather than open, whatever ALLOW_NO_AUTH says: they move real money.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly token: AdminTokenCheck;

  constructor(@Inject(APP_CONFIG) config: Pick<AccessConfig, 'ADMIN_TOKEN'>) {
    this.token = new AdminTokenCheck(config.ADMIN_TOKEN);
  }

  canActivate(ctx: ExecutionContext): boolean {
    if (!this.token.configured)
      throw new ServiceUnavailableException('the admin API is disabled: set ADMIN_TOKEN to enable it');
    return this.token.verify(ctx);
  }
}
