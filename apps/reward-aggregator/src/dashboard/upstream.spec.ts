import { HttpException, ServiceUnavailableException } from '@nestjs/common';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { relayUpstream, routerOf } from './upstream';

/** A stand-in upstream answering every request with the given status and body, recording what it got. */
async function upstreamAnswering(status: number, body: string) {
  const seen: { method?: string; url?: string; auth?: string; body: string }[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body: text });
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: HttpException) => ({ status: e.getStatus(), message: (e.getResponse() as { message: string }).message }),
  );

describe('relayUpstream', () => {
  it('sends the body with the bearer token and returns the JSON answer', async () => {
    const up = await upstreamAnswering(200, '{"ok":true}');
    try {
      const u = routerOf({ ROUTER_URL: `${up.url}/`, ROUTER_API_KEY: 'key-1' });
      expect(await relayUpstream(u, '/v1/feedback', { method: 'POST', body: { q: 1 }, timeoutMs: 5000 })).toEqual({
        ok: true,
      });
      expect(up.seen).toEqual([{ method: 'POST', url: '/v1/feedback', auth: 'Bearer key-1', body: '{"q":1}' }]);
    } finally {
      await up.close();
    }
  });

  it("keeps a refusal's status and reason, so the operator reads what the upstream said", async () => {
    const up = await upstreamAnswering(409, '{"statusCode":409,"reason":"jump","message":"a 100x jump needs confirm"}');
    try {
      const r = await failure(relayUpstream(routerOf({ ROUTER_URL: up.url }), '/x', { timeoutMs: 5000 }));
      expect(r).toEqual({ status: 409, message: 'a 100x jump needs confirm' });
    } finally {
      await up.close();
    }
  });

  it('turns a rejected credential and a server error into 503, naming the upstream', async () => {
    for (const [status, body] of [
      [401, '{"message":"invalid admin token"}'],
      [502, '{"error":{"message":"every model failed"}}'],
    ] as const) {
      const up = await upstreamAnswering(status, body);
      try {
        const r = await failure(relayUpstream(routerOf({ ROUTER_URL: up.url }), '/x', { timeoutMs: 5000 }));
        expect(r.status).toBe(503);
        expect(r.message).toBe(
          `router at ${up.url}/x answered HTTP ${status}: ${JSON.parse(body).message ?? 'every model failed'}`,
        );
      } finally {
        await up.close();
      }
    }
  });

  it('says which variable is missing, and which service cannot be reached', async () => {
    const unset = relayUpstream(routerOf({}), '/x', { timeoutMs: 5000 });
    await expect(unset).rejects.toBeInstanceOf(ServiceUnavailableException);
    await expect(unset).rejects.toThrow(/^ROUTER_URL is not set/);
    const up = await upstreamAnswering(200, '{}');
    await up.close();
    await expect(relayUpstream(routerOf({ ROUTER_URL: up.url }), '/x', { timeoutMs: 5000 })).rejects.toThrow(
      /^router at http:\/\/127\.0\.0\.1:\d+\/x is unreachable: ECONNREFUSED/,
    );
  });
});
