import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { logRequestLines } from './request-line';

/** A server that answers 204 to anything, with request lines logged into `lines`. */
async function serve(level: string, lines: string[]): Promise<{ server: Server; url: string }> {
  const log = pino({ level }, { write: (s: string) => lines.push(s) });
  const server = createServer((_req, res) => res.writeHead(204).end());
  logRequestLines(server, log);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('logRequestLines', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it('writes one debug line per request, without its query string or headers', async () => {
    const lines: string[] = [];
    const { server, url } = await serve('debug', lines);
    servers.push(server);
    await fetch(`${url}/v1/models?token=secret`, { headers: { authorization: 'Bearer sk-secret' } });
    for (let i = 0; i < 500 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({ level: 20, msg: 'request completed', req: { method: 'GET', path: '/v1/models' } });
    expect(line.res.statusCode).toBe(204);
    expect(lines[0]).not.toContain('secret');
  });

  it('attaches nothing above debug', async () => {
    const lines: string[] = [];
    const { server, url } = await serve('info', lines);
    servers.push(server);
    expect(server.listenerCount('request')).toBe(1);
    await fetch(`${url}/health`);
    expect(lines).toEqual([]);
  });
});
