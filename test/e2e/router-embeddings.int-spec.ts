import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topic } from '@llm-router/contracts';
import { EmbeddingBlock } from '@llm-router/features';
import { deterministicEmbedding, FakeOpenAiUpstream } from '@llm-router/providers';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { waitFor } from '../support/kafka-test-kit';
import { useStack } from '../support/use-stack';

const FEATURE_DIM = 64;
const EMBEDDING_DIM = 8;
const POLICY_SEED = 1;

/**
 * Embeddings as features, on the real broker and database: the router embeds the prompt
 * through the models file's `embeddings` entry (a real loopback /v1/embeddings answering a
 * hash of the text), logs the quantised block in the DecisionEvent, the aggregator learns
 * from it, caller `features` take its place, and routing goes on when the server is down.
 */
describe('embeddings as routing features', () => {
  const upstream = new FakeOpenAiUpstream();
  const modelsFile = join(mkdtempSync(join(tmpdir(), 'llm-router-embeddings-')), 'models.json');
  beforeAll(() => upstream.start());
  afterAll(() => upstream.stop());

  const e2e = useStack({
    database: 'embeddings',
    dataset: () => {
      // The synthetic models file plus an `embeddings` entry: the upstream's port is known only now.
      const data = writeSyntheticDataset(50);
      const doc = JSON.parse(readFileSync(data.modelsPath, 'utf8'));
      doc.embeddings = { base_url: upstream.url, model: 'embed-test', dim: 64, timeout_ms: 2000, breaker_failures: 2 };
      writeFileSync(modelsFile, JSON.stringify(doc));
      return { dataPath: data.dataPath, modelsPath: modelsFile };
    },
    topics: [Topic.Responses, Topic.Decisions, Topic.PolicyUpdates, 'llm.queries.dlq'],
    env: {
      ROUTER_POLICY: 'linucb',
      FEATURE_DIM: String(FEATURE_DIM),
      EMBEDDING_DIM: String(EMBEDDING_DIM),
      POLICY_SEED: String(POLICY_SEED),
      MODELS_FILE: modelsFile,
    },
  });

  const block = new EmbeddingBlock(EMBEDDING_DIM, POLICY_SEED);
  const send = (id: string, content: string, extra: Record<string, unknown> = {}) =>
    e2e.producer.send({
      topic: Topic.Queries,
      messages: [
        { key: id, value: JSON.stringify({ id, messages: [{ role: 'user', content }], datasetRow: 3, ...extra }) },
      ],
    });
  const decisionOf = (id: string) =>
    waitFor(`decision of ${id}`, () => e2e.sink.of(Topic.Decisions).find((d) => d.value.requestId === id));
  /** The embedding block as logged: the coordinates after the hashed features. */
  const loggedBlock = (features: Record<string, number>) =>
    Array.from({ length: EMBEDDING_DIM }, (_, i) => features[FEATURE_DIM + i] ?? 0);
  const embeddingRequests = () => upstream.received.filter((r) => r.path === '/v1/embeddings');

  it('logs the embedding block of the prompt in the DecisionEvent', async () => {
    const prompt = 'Write a python function that reverses a list.';
    await send('emb-1', prompt);
    const decision = await decisionOf('emb-1');
    const expected = Array.from(block.fromEmbedding(deterministicEmbedding(prompt)));
    expect(expected.some((v) => v !== 0)).toBe(true);
    expect(loggedBlock(decision.value.features)).toEqual(expected);
    expect(embeddingRequests().map((r) => r.body['input'])).toContainEqual([prompt]);
  });

  it('the aggregator learns from that block: the state has its dimension and its statistics', async () => {
    const decision = await decisionOf('emb-1');
    await e2e.producer.send({
      topic: Topic.Feedback,
      messages: [
        {
          key: 'default',
          value: JSON.stringify({
            decisionId: decision.value.decisionId,
            scope: 'default',
            quality: 0.75,
            source: 'user',
            ts: new Date().toISOString(),
          }),
        },
      ],
    });
    // The snapshot the aggregator publishes after applying it (policy_state.state is only a
    // checkpoint, written every CHECKPOINT_EVERY_MS while traffic flows: docs/decisions/0018).
    const snapshot = await waitFor('a policy snapshot with the reward', () =>
      e2e.sink.of(Topic.PolicyUpdates).find((s) => s.value.rewardsApplied >= 1),
    );
    const state = snapshot.value.state;
    expect(state.params.d).toBe(FEATURE_DIM + EMBEDDING_DIM);
    // Ridge statistics: b = sum of quality x context over the arm's rewards, here one of them.
    const b: number[] = state.stats.arms[decision.value.arm].b;
    expect(b).toHaveLength(FEATURE_DIM + EMBEDDING_DIM);
    const learnedBlock = b.slice(FEATURE_DIM).map((v) => v / 0.75);
    loggedBlock(decision.value.features).forEach((v, i) => expect(learnedBlock[i]).toBeCloseTo(v, 9));
  });

  it("uses the caller's features as the block, without calling the embeddings server", async () => {
    const before = embeddingRequests().length;
    const features = [3, -1, 0, 0, 2, 0, 0, 1];
    await send('emb-caller', 'A prompt with its own features', { features });
    const decision = await decisionOf('emb-caller');
    expect(loggedBlock(decision.value.features)).toEqual(Array.from(block.fromCallerFeatures(features)));
    expect(embeddingRequests().length).toBe(before);
  });

  it('dead-letters caller features of the wrong length, saying what is expected', async () => {
    await send('emb-bad', 'Too few features', { features: [1, 2, 3] });
    const dead = await waitFor('dead letter of emb-bad', () =>
      e2e.sink.of('llm.queries.dlq').find((d) => d.key === 'emb-bad'),
    );
    expect(dead.value.error).toMatch(/features must have 8 entries \(EMBEDDING_DIM\), got 3/);
  });

  it("takes the caller's features over HTTP too, and answers 400 for the wrong length", async () => {
    const base = await e2e.stack.url(e2e.stack.routers[0]);
    const chat = (content: string, features: number[]) =>
      fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }], dataset_row: 3, features }),
      });
    const before = embeddingRequests().length;
    const features = [0, 1, 0, -2, 0, 0, 4, 0];
    const ok = await chat('An HTTP prompt with its own features', features);
    expect(ok.status).toBe(200);
    const decisionId = ok.headers.get('x-router-decision-id');
    const decision = await waitFor('decision of the HTTP query', () =>
      e2e.sink.of(Topic.Decisions).find((d) => d.value.decisionId === decisionId),
    );
    expect(loggedBlock(decision.value.features)).toEqual(Array.from(block.fromCallerFeatures(features)));
    expect(embeddingRequests().length).toBe(before);

    const bad = await chat('Too few features over HTTP', [1, 2]);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/features must have 8 entries \(EMBEDDING_DIM\), got 2/);
  });

  it('routes on the hashed features alone when the embeddings server is down, and counts it', async () => {
    await upstream.stop();
    // One at a time: queries routed together would all be let through the closed circuit.
    for (const id of ['emb-down-1', 'emb-down-2', 'emb-down-3']) {
      await send(id, `Question ${id} while embeddings are down`);
      const response = await waitFor(`response to ${id}`, () => e2e.sink.of(Topic.Responses).find((r) => r.key === id));
      expect(response.value.error).toBeUndefined();
      expect(loggedBlock((await decisionOf(id)).value.features)).toEqual(new Array(EMBEDDING_DIM).fill(0));
    }
    const metrics = await (await fetch(`${await e2e.stack.url(e2e.stack.routers[0])}/metrics`)).text();
    const count = (reason: string) =>
      Number(
        new RegExp(`^router_embedding_fallbacks_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0,
      );
    // Two failed calls open the circuit (breaker_failures: 2); the third query does not wait for a call.
    expect(count('error')).toBe(2);
    expect(count('circuit-open')).toBe(1);
  });
});
