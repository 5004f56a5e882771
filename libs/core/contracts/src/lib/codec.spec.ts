import { decode, encode, encodeTyped, validate, ContractError } from './codec';
import {
  Topic,
  allTopics,
  dlqTopic,
  TOPIC_SPECS,
  DEAD_LETTER_RETENTION_DAYS,
  DEFAULT_RETENTION_DAYS,
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  POLICY_SNAPSHOT_MAX_BYTES,
} from './topics';
import { topicJsonSchemas } from './json-schema';
import { parseDataset } from './dataset';

const now = '2026-11-25T12:00:00.000Z';

describe('topics', () => {
  it('names every topic once, with a dead-letter twin', () => {
    const names = TOPIC_SPECS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(allTopics()).toHaveLength(2 * names.length);
    expect(dlqTopic(Topic.Queries)).toBe('llm.queries.dlq');
  });

  it('gives each dead-letter topic room for the largest record of its source in base64', () => {
    const byName = new Map(allTopics().map((t) => [t.name, t]));
    for (const t of TOPIC_SPECS) {
      const source = t.maxMessageBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
      expect(byName.get(dlqTopic(t.name))!.maxMessageBytes).toBeGreaterThan((source * 4) / 3 + 64 * 1024);
    }
    expect(byName.get(dlqTopic(Topic.PolicyUpdates))!.maxMessageBytes).toBeGreaterThan(
      (POLICY_SNAPSHOT_MAX_BYTES * 4) / 3,
    );
  });

  it('compacts exactly the state topics', () => {
    const compacted = TOPIC_SPECS.filter((t) => t.compacted)
      .map((t) => t.name)
      .sort();
    expect(compacted).toEqual([Topic.Catalog, Topic.ParetoFrontier, Topic.PolicyUpdates, Topic.Prices].sort());
  });

  it('keeps history for RETENTION_DAYS, state per key, dead letters longer', () => {
    const day = 24 * 3600 * 1000;
    const byName = (days?: number) => new Map(allTopics({ retentionDays: days }).map((t) => [t.name, t]));
    for (const t of TOPIC_SPECS) expect(t.retention === 'latest-per-key').toBe(t.compacted);
    const defaults = byName();
    for (const t of [Topic.Queries, Topic.Responses, Topic.Decisions, Topic.Feedback, Topic.RewardStream])
      expect(defaults.get(t)?.retentionMs).toBe(DEFAULT_RETENTION_DAYS * day);
    expect(defaults.get(Topic.PolicyUpdates)?.retentionMs).toBeUndefined();
    expect(defaults.get(dlqTopic(Topic.Queries))?.retentionMs).toBe(DEAD_LETTER_RETENTION_DAYS * day);
    const long = byName(365);
    expect(long.get(Topic.Decisions)?.retentionMs).toBe(365 * day);
    // A dead letter never goes before the data it came from.
    expect(long.get(dlqTopic(Topic.Decisions))?.retentionMs).toBe(365 * day);
    expect(() => allTopics({ retentionDays: 0 })).toThrow(/positive/);
  });

  it('gives llm.queries at least 6 partitions and co-partitions decisions with feedback', () => {
    const p = Object.fromEntries(TOPIC_SPECS.map((t) => [t.name, t.partitions]));
    expect(p[Topic.Queries]).toBeGreaterThanOrEqual(6);
    expect(p[Topic.Decisions]).toBe(p[Topic.Feedback]);
  });
});

describe('codec', () => {
  const query = { id: 'q1', messages: [{ role: 'user' as const, content: 'hi' }] };

  it('applies defaults to a minimal query and keys it by id', () => {
    const e = encode(Topic.Queries, query);
    expect(e.key).toBe('q1');
    expect(e.message.scope).toBe('default');
    expect(e.message.constraints.mode).toBe('query');
    expect(JSON.parse(e.value)).toEqual(e.message);
  });

  it('serialises a typed message as encode does, without validating it again', () => {
    const e = encode(Topic.Queries, query);
    expect(encodeTyped(Topic.Queries, e.message)).toEqual({ key: e.key, value: e.value });
    // The caller's type is trusted: a value out of range is left to the consumer's decode.
    const bad = { ...e.message, constraints: { ...e.message.constraints, maxCostUsd: -1 } };
    const typed = encodeTyped(Topic.Queries, bad);
    expect(decode(Topic.Queries, typed.value).ok).toBe(false);
    expect(() => encode(Topic.Queries, bad)).toThrow(ContractError);
  });

  it('round-trips every keyed message through bytes', () => {
    const price = { model: 'm', inputPerM: 1, outputPerM: 2, effectiveFrom: now, source: 'file' };
    const e = encode(Topic.Prices, price);
    const d = decode(Topic.Prices, Buffer.from(e.value));
    expect(d.ok && d.value).toEqual(e.message);
    expect(e.key).toBe('m');
  });

  it('rejects with the exact path of the problem', () => {
    const r = validate(Topic.Queries, { id: 'q1', messages: [{ role: 'robot', content: 'x' }] });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBeInstanceOf(ContractError);
      expect(r.error.issues[0].path).toBe('messages[0].role');
      expect(r.error.message).toContain('messages[0].role');
    }
  });

  it('refuses a NUL character in ids (PostgreSQL text cannot store it)', () => {
    const ts = new Date().toISOString();
    const f = decode(Topic.Feedback, JSON.stringify({ decisionId: 'd-\u0000', quality: 1, ts }));
    expect(f.ok).toBe(false);
    if (!f.ok) expect(f.error.issues[0]).toEqual({ path: 'decisionId', message: 'must not contain a NUL character' });
    expect(validate(Topic.Queries, { ...query, id: 'q\u0000' }).ok).toBe(false);
    expect(validate(Topic.Queries, { ...query, id: 'q'.repeat(201) }).ok).toBe(false);
    expect(decode(Topic.Feedback, JSON.stringify({ decisionId: 'd-1', quality: 1, ts })).ok).toBe(true);
  });

  it('reports non-JSON bytes and null values without throwing', () => {
    const a = decode(Topic.Queries, Buffer.from('{oops'));
    expect(!a.ok && a.error.message).toMatch(/not JSON/);
    const b = decode(Topic.Queries, null);
    expect(!b.ok && b.error.message).toMatch(/empty message/);
  });

  it('refuses negative, NaN-like and absurd prices', () => {
    const base = { model: 'm', inputPerM: 1, outputPerM: 2, effectiveFrom: now, source: 's' };
    expect(validate(Topic.Prices, { ...base, inputPerM: -1 }).ok).toBe(false);
    expect(validate(Topic.Prices, { ...base, outputPerM: Number.NaN }).ok).toBe(false);
    expect(validate(Topic.Prices, { ...base, outputPerM: 1e9 }).ok).toBe(false);
    expect(validate(Topic.Prices, base).ok).toBe(true);
  });

  it('needs a decision id or a request id on feedback, and quality in [0,1]', () => {
    expect(validate(Topic.Feedback, { quality: 0.5, ts: now }).ok).toBe(false);
    expect(validate(Topic.Feedback, { requestId: 'r', quality: 1.5, ts: now }).ok).toBe(false);
    const ok = validate(Topic.Feedback, { requestId: 'r', quality: 1, ts: now });
    expect(ok.ok && ok.value.source).toBe('user');
  });

  it('refuses a decision whose propensity is zero (IPS would divide by it)', () => {
    const d = {
      decisionId: 'd',
      requestId: 'r',
      scope: 's',
      policy: 'p',
      policyVersion: 0,
      arm: 'a',
      propensity: 0,
      scores: {},
      priceSnapshot: {},
      lambda: 0,
      ts: now,
    };
    expect(validate(Topic.Decisions, d).ok).toBe(false);
    expect(validate(Topic.Decisions, { ...d, propensity: 0.2 }).ok).toBe(true);
  });

  it('throws ContractError from encode for an invalid message', () => {
    expect(() => encode(Topic.Catalog, { model: 'x', action: 'exploded', ts: now } as never)).toThrow(ContractError);
  });
});

describe('JSON Schema export', () => {
  it('has one schema per topic plus the dead-letter envelope', () => {
    const s = topicJsonSchemas();
    for (const t of TOPIC_SPECS) expect(s[t.name]).toMatchObject({ type: 'object' });
    expect(s['<topic>.dlq']).toBeDefined();
    expect((s[Topic.Queries] as { required: string[] }).required).toEqual(expect.arrayContaining(['id', 'messages']));
  });
});

describe('dataset rows', () => {
  it('parses JSONL and drops answer-leaking fields', () => {
    const rows = parseDataset('{"prompt":"p","source":"s","best_arm":"a","arms":{"a":{"reward":1,"cost":0.1}}}\n\n');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual({ prompt: 'p', source: 's', arms: { a: { reward: 1, cost: 0.1 } } });
  });

  it('names the line of a bad row', () => {
    expect(() => parseDataset('{"prompt":"p","arms":{}}\n{"prompt":1}')).toThrow(/line 2/);
  });
});
