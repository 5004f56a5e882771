import { createPolicy, policyFromState, policyNames, PolicyState } from '@llm-router/bandits';
import { encodeBinary, Topic } from '@llm-router/contracts';
import { SnapshotDecoder } from './snapshot-decoder';

const ARMS = ['a', 'b', 'c'];
const D = 8;

/** A policy that has learned a little, as the aggregator would publish it. */
function learned(name: string): PolicyState {
  const p = createPolicy(name, { arms: ARMS, seed: 3, d: D, ...(name === 'fixed' ? { arm: 'a' } : {}) });
  for (let i = 0; i < 40; i++) {
    const features = Array.from({ length: D }, (_, j) => ((i * 7 + j * 3) % 5) / 5);
    const ctx = { features, text: `prompt ${i % 6}` };
    const d = p.decide(ctx, ARMS, { lambda: 0.1, costs: { a: 0.01, b: 0.02, c: 0.005 } });
    p.update({ ...ctx, textFeatures: p.textFeatures?.(ctx.text) }, d.arm, { quality: (i % 3) / 2, costUsd: 0.01 });
  }
  return p.toState();
}

const snapshot = (scope: string, version: number, state: PolicyState) => ({
  scope,
  version,
  algorithm: state.algorithm,
  state,
  lambda: 0.2,
  rewardsApplied: version,
  ts: new Date(0).toISOString(),
});

const json = (v: unknown) => JSON.parse(JSON.stringify(v));

describe('SnapshotDecoder', () => {
  const decoder = new SnapshotDecoder();
  afterAll(() => decoder.close());

  it.each(policyNames().filter((n) => n !== 'conservative'))(
    'restores %s from the worker exactly as from JSON',
    async (name) => {
      const state = learned(name);
      const d = await decoder.decode('s', encodeBinary(Topic.PolicyUpdates, snapshot('s', 1, state)).value);
      if (!d.ok) throw new Error('error' in d ? d.error : 'superseded');
      // A restored policy (typed arrays in, what the router does) says and keeps what the original does.
      const restored = policyFromState(d.snapshot.state as PolicyState);
      expect(json(restored.toState())).toEqual(json(policyFromState(json(state)).toState()));
    },
  );

  it('decodes JSON records of older producers too', async () => {
    const state = learned('auto');
    const d = await decoder.decode('s', Buffer.from(JSON.stringify(snapshot('s', 2, state))));
    expect(d.ok && json(d.snapshot.state)).toEqual(json(state));
  });

  it('decodes only the newest record of a burst per scope', async () => {
    const state = learned('linucb');
    const bytes = (v: number) => encodeBinary(Topic.PolicyUpdates, snapshot('burst', v, state)).value;
    const results = await Promise.all([1, 2, 3, 4].map((v) => decoder.decode('burst', bytes(v))));
    expect(results.map((r) => (r.ok ? r.snapshot.version : 'superseded' in r ? 'superseded' : r.error))).toEqual([
      1,
      'superseded',
      'superseded',
      4,
    ]);
    expect(decoder.inFlight).toBe(0);
  });

  it('reports a record that is not a snapshot without stopping', async () => {
    const bad = await decoder.decode('s', Buffer.from('{"scope":"s"}'));
    expect(!bad.ok && 'error' in bad && bad.error).toMatch(/invalid policy.updates message/);
    const good = await decoder.decode('s', encodeBinary(Topic.PolicyUpdates, snapshot('s', 5, learned('ucb1'))).value);
    expect(good.ok).toBe(true);
  });
});

describe('SnapshotDecoder.ready', () => {
  it('resolves once its worker has loaded, before any record, and again at once', async () => {
    const decoder = new SnapshotDecoder();
    try {
      expect(decoder.inFlight).toBe(0);
      await decoder.ready();
      await decoder.ready();
      const d = await decoder.decode('s', encodeBinary(Topic.PolicyUpdates, snapshot('s', 1, learned('ucb1'))).value);
      expect(d.ok).toBe(true);
    } finally {
      await decoder.close();
    }
  });
});
