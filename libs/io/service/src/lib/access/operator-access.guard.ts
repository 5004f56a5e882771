import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  Provider,
  ServiceUnavailableException,
  SetMetadata,
} from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { APP_CONFIG } from '../config';
import { HealthController } from '../health';
import type { AccessConfig } from './access-env';
import { AdminTokenCheck } from './admin-token.guard';

const OWN_ACCESS_CONTROL = 'llm-router:own-access-control';

/**
 * Marks a controller or handler that checks its own credentials (the router's /v1 API keys,
 * an admin API): the operator guard leaves it to that guard.
 */
export const OwnAccessControl = () => SetMetadata(OWN_ACCESS_CONTROL, true);

/**
 * Every HTTP route of a service that has no access control of its own is an operator
 * endpoint (/metrics, /stats, /policy, /frontier, the dashboard and its reward stream): it
 * needs the ADMIN_TOKEN, unless ALLOW_NO_AUTH=true. /health stays open for liveness probes.
 * Tenants' API keys are not accepted here: these endpoints show every scope's figures.
 * Registered globally, so that a new controller is protected without anyone remembering to.
 */
@Injectable()
export class OperatorAccessGuard implements CanActivate {
  private readonly token: AdminTokenCheck;
  private readonly open: boolean;

  constructor(
    @Inject(APP_CONFIG) config: AccessConfig,
    private readonly reflector: Reflector,
  ) {
    this.token = new AdminTokenCheck(config.ADMIN_TOKEN);
    this.open = config.ALLOW_NO_AUTH;
  }

  canActivate(ctx: ExecutionContext): boolean {
    // Global guards also see the Kafka handlers of a hybrid app: those are not HTTP routes.
    if (ctx.getType() !== 'http' || ctx.getClass() === HealthController) return true;
    if (this.reflector.getAllAndOverride<boolean>(OWN_ACCESS_CONTROL, [ctx.getHandler(), ctx.getClass()])) return true;
    if (this.open) return true;
    if (!this.token.configured)
      throw new ServiceUnavailableException(
        'operator endpoints are disabled: set ADMIN_TOKEN (or ALLOW_NO_AUTH=true in development)',
      );
    return this.token.verify(ctx);
  }
}

/** The provider that installs the guard on every route of the app's module. */
export const operatorAccessGuardProvider: Provider = { provide: APP_GUARD, useClass: OperatorAccessGuard };
