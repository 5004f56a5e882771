import type { ServerResponse } from 'node:http';
import { Topic } from '@llm-router/contracts';
import { FakeOpenAiUpstream } from '@llm-router/providers';
import { waitFor } from '../support/kafka-test-kit';
import { useStack } from '../support/use-stack';
import { stall } from '../support/stall';
import { upstreamDataset } from '../support/upstream-models';

/** Answers every call; the first call about "stall" blocks the whole process past the router's session timeout. */
class StallingUpstream extends FakeOpenAiUpstream {
  stalled = false;
  protected override async answer(path: string, body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    if (!this.stalled && JSON.stringify(body['messages']).includes('stall')) {
      this.stalled = true;
      stall(9000);
    }
    return super.answer(path, body, res);
  }
}
const upstream = new StallingUpstream();

/**
 * The router's llm.queries consumer, evicted from its group while a model call stalls the
 * process, crashes when it commits ("The coordinator is not aware of this member"); kafkajs does
 * not restart it after that error. `keepConsuming` must bring it back at the group's committed
 * offsets, so that the stalled query and those produced after it are answered.
 */
describe('the router consumer comes back after an eviction', () => {
  beforeAll(() => upstream.start());
  afterAll(() => upstream.stop());

  const e2e = useStack({
    database: 'rrestart',
    dataset: () => upstreamDataset(upstream, ['up/one']),
    topics: [Topic.Responses],
    env: { ROUTER_SESSION_TIMEOUT_MS: '6000', ROUTER_HEARTBEAT_INTERVAL_MS: '500', PROVIDER_RETRIES: '0' },
  });

  const answered = (id: string) => e2e.sink.of(Topic.Responses).some((r) => r.value?.id === id && r.value?.output);
  const ask = (id: string, content: string) =>
    e2e.producer.send({
      topic: Topic.Queries,
      messages: [{ key: id, value: JSON.stringify({ id, messages: [{ role: 'user', content }] }) }],
    });

  it('answers the stalled query and the queries after the crash', async () => {
    await ask('before', 'a first question');
    await waitFor('the first answer', () => answered('before'), 60_000);
    await ask('stalled', 'please stall here');
    await waitFor('the stall', () => upstream.stalled, 60_000);
    await ask('after', 'a question after the stall');
    await waitFor(
      'the stalled query and the one after it to be answered',
      () => answered('stalled') && answered('after'),
      120_000,
    );
  }, 200_000);
});
