import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { BudgetCap } from './budget-cap';
import { RateLimiter } from './rate-limiter';

const PERIOD_MS = 60_000;

/** Every minute: free the reservations of dead routers, drop old rate windows (any replica may; both are idempotent). */
@Injectable()
export class AccessMaintenance implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly budget: BudgetCap,
    private readonly rates: RateLimiter,
    private readonly log: PinoLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.run(), PERIOD_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async run(): Promise<void> {
    try {
      const released = await this.budget.release();
      if (released) this.log.warn({ released }, 'released budget reservations that were never settled');
      await this.rates.prune();
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'access-control maintenance failed; retrying in a minute');
    }
  }
}
