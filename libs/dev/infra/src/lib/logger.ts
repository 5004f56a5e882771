/**
 * The few log calls infra makes. A pino logger fits as is (`info(msg)` / `warn(msg)`), so callers
 * can pass the one they already have.
 */
export interface InfraLogger {
  info(msg: string): void;
  warn(msg: string): void;
  debug?(msg: string): void;
}

/** stderr, so that stdout stays free for what a CLI prints for machines (export lines). */
export const stderrLogger: InfraLogger = {
  info: (msg) => process.stderr.write(`[infra] ${msg}\n`),
  warn: (msg) => process.stderr.write(`[infra] WARN ${msg}\n`),
  debug: (msg) => {
    if (process.env['INFRA_DEBUG']) process.stderr.write(`[infra] ${msg}\n`);
  },
};
