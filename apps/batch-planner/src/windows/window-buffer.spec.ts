import { WindowBuffer } from './window-buffer';
import { validate, Topic, QueryRequest } from '@llm-router/contracts';

const q = (id: string, scope = 'default', deadline?: string): QueryRequest => {
  const r = validate(Topic.Queries, {
    id,
    scope,
    messages: [{ role: 'user', content: id }],
    constraints: { mode: 'batch', deadline },
  });
  if (!r.ok) throw r.error;
  return r.value;
};

describe('WindowBuffer', () => {
  it('closes a window when it is full, per scope', () => {
    const b = new WindowBuffer(2, 1000);
    expect(b.add(q('1'), 0)).toBeNull();
    expect(b.add(q('x', 'other'), 0)).toBeNull();
    const w = b.add(q('2'), 1);
    expect(w?.queries.map((x) => x.id)).toEqual(['1', '2']);
    expect(b.summary().map((s) => s.scope)).toEqual(['other']);
  });

  it('closes a window when its oldest query has waited long enough', () => {
    const b = new WindowBuffer(10, 1000);
    b.add(q('1'), 0);
    expect(b.due(999)).toHaveLength(0);
    expect(b.due(1000).map((w) => w.queries.length)).toEqual([1]);
    expect(b.due(5000)).toHaveLength(0);
  });

  it('closes early for a query whose deadline is near', () => {
    const b = new WindowBuffer(10, 1000);
    const t0 = Date.parse('2026-11-25T12:00:00Z');
    b.add(q('1', 'default', new Date(t0 + 500).toISOString()), t0);
    expect(b.due(t0 + 100)).toHaveLength(0);
    expect(b.due(t0 + 260)).toHaveLength(1);
  });

  it('puts requeued queries ahead of the open window, in order, and lets only time or the next add close it', () => {
    const b = new WindowBuffer(3, 1000);
    b.add(q('new'), 50);
    b.requeue([q('d1'), q('d2'), q('d3')], 100);
    expect(b.summary()[0].queued).toBe(4);
    expect(b.due(999)).toHaveLength(0);
    const w = b.add(q('next'), 200);
    expect(w?.queries.map((x) => x.id)).toEqual(['d1', 'd2', 'd3', 'new', 'next']);

    b.requeue([q('late')], 2000);
    expect(b.due(2999)).toHaveLength(0);
    expect(b.due(3000).map((x) => x.queries.map((y) => y.id))).toEqual([['late']]);
  });
});
