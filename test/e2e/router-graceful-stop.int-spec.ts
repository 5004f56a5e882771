import { Topic } from '@llm-router/contracts';
import type { ChatProvider, ChatRequest } from '@llm-router/providers';
import { CHAT_PROVIDER } from '../../apps/router/src/routing/routing.service';
import { writeSyntheticDataset } from '../../tools/lib/synthetic-data';
import { waitFor } from '../support/kafka-test-kit';
import { useStack } from '../support/use-stack';

/** Longer than the whole test: a call this slow is only ever ended by the router stopping. */
const STUCK_CALL_MS = 600000;
const FINISHED_QUERIES = 12;
const STOPPED_QUERIES = 30;

/**
 * A router closed (as SIGTERM does, through Nest's shutdown hooks) while model calls are in
 * flight: its unfinished queries are not committed and go to the other router, the ones it
 * finished are committed and not answered again, and every query gets exactly one answer.
 */
describe('router graceful stop with queries in flight', () => {
  const e2e = useStack({
    database: 'routerstop',
    routers: 2,
    dataset: () => writeSyntheticDataset(100),
    topics: [Topic.Responses],
    env: { ALLOW_NO_AUTH: 'true' },
  });

  const callsStarted = [0, 0];
  let stuck = false;

  beforeAll(() => {
    e2e.stack.routers.forEach((router, i) => {
      const provider = router.get<ChatProvider>(CHAT_PROVIDER);
      const complete = provider.complete.bind(provider);
      provider.complete = async (req: ChatRequest, signal?: AbortSignal) => {
        callsStarted[i]++;
        // Router 0's calls hang once `stuck` is set; the router abandons them when it stops.
        if (i === 0 && stuck) await new Promise((r) => setTimeout(r, STUCK_CALL_MS).unref());
        return complete(req, signal);
      };
    });
  });

  const send = (ids: string[]) =>
    e2e.producer.send({
      topic: Topic.Queries,
      messages: ids.map((id, row) => ({
        key: id,
        value: JSON.stringify({ id, messages: [{ role: 'user', content: `Question ${row}` }], datasetRow: row }),
      })),
    });
  const responsesTo = (id: string) =>
    e2e.sink.of(Topic.Responses).filter((r) => (r.value as { id?: string }).id === id);

  it('answers every query exactly once when one router is closed mid-call', async () => {
    const finished = Array.from({ length: FINISHED_QUERIES }, (_, i) => `stop-finished-${i}`);
    await send(finished);
    await waitFor('the first queries to be answered', () => finished.every((id) => responsesTo(id).length > 0), 120000);
    expect(callsStarted[0]).toBeGreaterThan(0); // router 0 answered (and committed) some of them

    stuck = true;
    const callsBefore = callsStarted[0];
    const inFlight = Array.from({ length: STOPPED_QUERIES }, (_, i) => `stop-in-flight-${i}`);
    await send(inFlight);
    await waitFor('a model call in flight on router 0', () => callsStarted[0] > callsBefore, 120000);

    const closing = Date.now();
    await e2e.stack.routers[0].close();
    const closeSeconds = (Date.now() - closing) / 1000;
    await waitFor(
      'every query to be answered by the router left',
      () => inFlight.every((id) => responsesTo(id).length > 0),
      180000,
    );
    const takeoverSeconds = (Date.now() - closing) / 1000;
    console.log(
      `router closed in ${closeSeconds.toFixed(2)} s with ${callsStarted[0] - callsBefore} model call(s) in flight; ` +
        `all ${STOPPED_QUERIES} queries answered ${takeoverSeconds.toFixed(2)} s after the close began`,
    );

    // Anything answered twice (a finished batch left uncommitted, or a stopped one published)
    // would show up as a second response: give it time to arrive before counting.
    await new Promise((r) => setTimeout(r, 3000));
    const counts = [...finished, ...inFlight].map((id) => [id, responsesTo(id).length]);
    expect(counts.filter(([, n]) => n !== 1)).toEqual([]);
    const stoppedAnswers = inFlight.map((id) => responsesTo(id)[0].value as { error?: string });
    expect(stoppedAnswers.filter((r) => r.error)).toEqual([]);
  }, 600000);
});
