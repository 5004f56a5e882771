import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Request, Response } from 'express';

/** OpenAI's error body, which OpenAI clients parse: {error: {message, type, code, param}}. */
export class OpenAiError extends HttpException {
  constructor(
    status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message, status);
  }
}

export const invalidApiKey = (message: string) =>
  new OpenAiError(HttpStatus.UNAUTHORIZED, message, 'invalid_request_error', 'invalid_api_key');
export const scopeForbidden = (message: string) =>
  new OpenAiError(HttpStatus.FORBIDDEN, message, 'permission_error', 'scope_not_allowed');
export const notDecisionOwner = () =>
  new OpenAiError(
    HttpStatus.FORBIDDEN,
    'this decision was made with another API key',
    'permission_error',
    'not_decision_owner',
  );
export const decisionNotFound = () =>
  new OpenAiError(
    HttpStatus.NOT_FOUND,
    'no decision made over HTTP has this id',
    'invalid_request_error',
    'decision_not_found',
  );
export const rateLimited = (message: string, retryAfterS: number) =>
  new OpenAiError(HttpStatus.TOO_MANY_REQUESTS, message, 'requests', 'rate_limit_exceeded', {
    'Retry-After': String(Math.max(1, Math.ceil(retryAfterS))),
  });
export const budgetExhausted = (message: string) =>
  new OpenAiError(HttpStatus.TOO_MANY_REQUESTS, message, 'insufficient_quota', 'insufficient_quota');
/**
 * This router began to stop before it knew any model: another replica can answer, and OpenAI
 * clients retry a 503 on their own.
 */
export const routerStopping = () =>
  new OpenAiError(
    HttpStatus.SERVICE_UNAVAILABLE,
    'the router is stopping and knows no model yet: retry the request',
    'server_error',
    'router_stopping',
    { 'Retry-After': '1' },
  );

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  413: 'invalid_request_error',
  429: 'requests',
};

/** body-parser's errors are not HttpExceptions: they carry their status and a type. */
const isParserError = (e: unknown): e is { status: number; type: string; message: string } =>
  typeof e === 'object' && e !== null && typeof (e as { status?: unknown }).status === 'number' && 'type' in e;

/**
 * Every error under /v1 in OpenAI's format (the top-level `message` repeats it for clients of
 * the earlier Nest-style body); other routes keep Nest's format.
 */
@Catch()
export class OpenAiErrorFilter extends BaseExceptionFilter implements ExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return super.catch(exception, host);
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const tooLarge = isParserError(exception) && exception.type === 'entity.too.large';
    if (!req.originalUrl?.startsWith('/v1/')) {
      if (tooLarge) return super.catch(new HttpException('request body too large', 413), host);
      return super.catch(exception, host);
    }
    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let message = 'internal error';
    let type = 'server_error';
    let code: string | null = null;
    if (exception instanceof OpenAiError) {
      ({ type, code } = exception);
      status = exception.getStatus();
      message = exception.message;
      for (const [k, v] of Object.entries(exception.headers)) res.setHeader(k, v);
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      const body = exception.getResponse();
      const m = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      message = Array.isArray(m) ? m.join('; ') : String(m ?? exception.message);
      type = TYPE_BY_STATUS[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
    } else if (isParserError(exception) && exception.status < 500) {
      status = exception.status;
      message = tooLarge ? 'request body too large' : exception.message;
      type = 'invalid_request_error';
      code = tooLarge ? 'request_too_large' : null;
    } else {
      // Unexpected: Nest's filter logs it with its stack; the client gets the OpenAI shape.
      return super.catch(exception, host);
    }
    res.status(status).json({ error: { message, type, code, param: null }, message });
  }
}
