import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ExpressAdapter } from '@nestjs/platform-express';
import { APP_CONFIG } from '@llm-router/service';
import type { RouterConfig } from '../config';

/**
 * The JSON body limit (MAX_BODY_BYTES; Nest's default parser stops at 100 kB). Nest installs
 * its parser when the app initialises, unless one is there already; providers are built
 * before that, so installing ours here, from the module, makes it the one used, in main.ts
 * and in the tests' stack alike. Too large a body is a 413 (OpenAiErrorFilter).
 */
@Injectable()
export class BodyLimit {
  constructor(@Inject(APP_CONFIG) config: Pick<RouterConfig, 'MAX_BODY_BYTES'>, host: HttpAdapterHost) {
    (host.httpAdapter as ExpressAdapter).useBodyParser('json', false, { limit: config.MAX_BODY_BYTES });
  }
}
