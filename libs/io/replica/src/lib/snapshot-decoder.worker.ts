/**
 * Worker thread of SnapshotDecoder: turns a policy.updates record's bytes (binary or JSON)
 * into a validated snapshot whose numeric arrays are Float64Array views on one buffer, which
 * is transferred back (no copy). Everything costly about a snapshot happens here, not on the
 * service's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { decodeSnapshotBytes, Topic, validate } from '@llm-router/contracts';
import { WORKER_READY, type DecodeReply, type DecodeRequest } from './snapshot-decoder';

parentPort!.on('message', (req: DecodeRequest) => {
  let reply: DecodeReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const { value, buffer } = decodeSnapshotBytes(req.bytes, { typedArrays: true });
    const r = validate(Topic.PolicyUpdates, value);
    if (r.ok) {
      reply = { id: req.id, ok: true, snapshot: r.value };
      if (buffer) transfer.push(buffer);
    } else reply = { id: req.id, ok: false, error: r.error.message };
  } catch (e) {
    reply = { id: req.id, ok: false, error: `not a valid snapshot: ${(e as Error).message}` };
  }
  parentPort!.postMessage(reply, transfer);
});

parentPort!.postMessage(WORKER_READY);
