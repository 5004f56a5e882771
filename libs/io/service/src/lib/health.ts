import { Controller, Get, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';

export type HealthCheck = () => Promise<Record<string, unknown>> | Record<string, unknown>;

/** Services register named checks (Kafka consumer joined, database reachable, windows open...). */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();
  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }
  async run(): Promise<{ ok: boolean; checks: Record<string, unknown> }> {
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const [name, check] of this.checks) {
      try {
        const r = await check();
        out[name] = r;
        if (r && (r as { ok?: boolean }).ok === false) ok = false;
      } catch (e) {
        ok = false;
        out[name] = { ok: false, error: (e as Error).message };
      }
    }
    return { ok, checks: out };
  }
}

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(private readonly health: HealthRegistry) {}

  @Get('health')
  @ApiOkResponse({ description: 'Every check passed; 503 otherwise, with the failing check.' })
  async get(): Promise<{ ok: boolean; checks: Record<string, unknown> }> {
    const r = await this.health.run();
    if (!r.ok) throw new HttpException(r, HttpStatus.SERVICE_UNAVAILABLE);
    return r;
  }
}
