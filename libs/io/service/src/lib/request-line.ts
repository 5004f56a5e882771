import type { Server } from 'node:http';
import type { Logger } from 'pino';

/**
 * One line per HTTP request (method, path, status, time), written when it ends, at debug
 * level: it replaces pino-http's per-request child logger (docs/decisions/0029). Above debug
 * nothing is attached at all, so the hot path pays nothing. The query string is left out (a
 * dashboard's EventSource may carry a token there) and so are the headers.
 */
export function logRequestLines(server: Pick<Server, 'on'>, log: Logger): void {
  if (!log.isLevelEnabled('debug')) return;
  server.on('request', (req, res) => {
    const start = performance.now();
    res.once('close', () =>
      log.debug(
        {
          req: { method: req.method, path: req.url?.split('?', 1)[0] },
          res: { statusCode: res.statusCode, finished: res.writableFinished },
          responseTimeMs: Math.round((performance.now() - start) * 10) / 10,
        },
        'request completed',
      ),
    );
  });
}
