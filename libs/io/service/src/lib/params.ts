import { BadRequestException, PipeTransform } from '@nestjs/common';
import { Scope } from '@llm-router/contracts';

/**
 * A `:scope` path parameter, checked against the contract's Scope before it reaches a query:
 * anything else (a NUL byte, which PostgreSQL refuses with a 500) is a 400 naming the rule.
 */
export class ScopeParamPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    const r = Scope.safeParse(value);
    if (!r.success) throw new BadRequestException(`scope: ${r.error.issues.map((i) => i.message).join('; ')}`);
    return r.data;
  }
}
