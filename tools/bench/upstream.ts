/**
 * The HTTP bench's stand-in for a model provider: an OpenAI-compatible POST /v1/chat/completions
 * that answers at once with a fixed chat.completion (with usage), so that what the bench
 * measures is the router, not a model; and POST /v1/embeddings answering the deterministic
 * embedding of each input (a hash of the text, @llm-router/providers). Run as its own process (`node --import tsx upstream.ts`,
 * PORT=0 for a free port): it prints `listening <port>` on stdout when ready.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { deterministicEmbeddingsResponse } from '@llm-router/providers';

const COMPLETION = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 0,
  model: 'bench-upstream',
  choices: [{ index: 0, message: { role: 'assistant', content: 'OK' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 1, total_tokens: 13 },
});

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'POST' && req.url === '/v1/embeddings') {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const answer = JSON.stringify(deterministicEmbeddingsResponse(JSON.parse(raw || '{}')));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    });
    return;
  }
  // The body is read to the end (as a real provider would) and then ignored.
  req.resume();
  req.on('end', () => {
    if (req.method === 'POST' && req.url === '/v1/chat/completions') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(COMPLETION) });
      res.end(COMPLETION);
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"not found"}}');
    }
  });
}

export function startUpstreamServer(port = 0): Promise<Server> {
  const server = createServer(handle);
  // Longer than any client's idle keep-alive, so that a connection is never closed under a request.
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (require.main === module) {
  startUpstreamServer(Number(process.env['PORT'] ?? 0)).then((server) => {
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
    process.on('SIGTERM', () => server.close(() => process.exit(0)));
  });
}
