import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dlqTopic, Topic, TOPIC_SPECS } from '@llm-router/contracts';
import { AclOperationTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import {
  generateSaslSetup,
  KAFKA_ACL_MATRIX,
  KAFKA_PRINCIPALS,
  kafkaAcls,
  kafkaSecurityFromEnv,
  SASL_CREDENTIALS_FILE,
  saslSetupIn,
  scramFormatArgs,
} from './kafka-security';

describe('KAFKA_ACL_MATRIX', () => {
  const writers = (topic: string) => KAFKA_PRINCIPALS.filter((p) => KAFKA_ACL_MATRIX[p].writes.includes(topic));

  it('gives each topic of the contracts the writers the architecture names', () => {
    expect(writers(Topic.Prices)).toEqual(['price-watcher']);
    expect(writers(Topic.Catalog)).toEqual(['price-watcher']);
    expect(writers(Topic.ParetoFrontier)).toEqual(['price-watcher']);
    expect(writers(Topic.PolicyUpdates)).toEqual(['reward-aggregator']);
    expect(writers(Topic.RewardStream)).toEqual(['reward-aggregator']);
    expect(writers(Topic.Responses)).toEqual(['router']);
    expect(writers(Topic.Decisions)).toEqual(['router']);
    expect(writers(Topic.BatchRequests)).toEqual(['router']);
    expect(writers(Topic.BatchAssignments)).toEqual(['batch-planner']);
    expect(writers(Topic.Queries)).toEqual(['batch-planner', 'client']);
    // The aggregator re-publishes held judge/heuristic scores when their grace passes (docs/decisions/0023).
    expect(writers(Topic.Feedback)).toEqual(['router', 'reward-aggregator', 'client']);
  });

  it('has a writer for every topic of the contracts, and a reader for all but the frontier log no service reads', () => {
    const readers = (topic: string) => KAFKA_PRINCIPALS.filter((p) => KAFKA_ACL_MATRIX[p].reads.includes(topic));
    expect(TOPIC_SPECS.filter((t) => writers(t.name).length === 0)).toEqual([]);
    expect(TOPIC_SPECS.filter((t) => readers(t.name).length === 0).map((t) => t.name)).toEqual([Topic.ParetoFrontier]);
    // An application reads the assignments of its batch queries (and the e2e run the planner's order).
    expect(readers(Topic.BatchAssignments)).toEqual(['client']);
  });
});

describe('kafkaAcls', () => {
  const acls = kafkaAcls();
  const of = (principal: string) => acls.filter((a) => a.principal === `User:${principal}`);

  it('allows the router to write answers and decisions, read queries, and join groups starting with router', () => {
    const router = of('router');
    const has = (type: AclResourceTypes, name: string, pattern: ResourcePatternTypes, op: AclOperationTypes) =>
      router.some(
        (a) =>
          a.resourceType === type && a.resourceName === name && a.resourcePatternType === pattern && a.operation === op,
      );
    const { TOPIC, GROUP } = AclResourceTypes;
    const { LITERAL, PREFIXED } = ResourcePatternTypes;
    const { READ, WRITE } = AclOperationTypes;
    expect(has(TOPIC, Topic.Responses, LITERAL, WRITE)).toBe(true);
    expect(has(TOPIC, Topic.Decisions, LITERAL, WRITE)).toBe(true);
    expect(has(TOPIC, Topic.Queries, LITERAL, READ)).toBe(true);
    // A poison query is parked on llm.queries.dlq by the router itself.
    expect(has(TOPIC, dlqTopic(Topic.Queries), LITERAL, WRITE)).toBe(true);
    expect(has(TOPIC, 'replies.', PREFIXED, WRITE)).toBe(true);
    expect(has(GROUP, 'router', PREFIXED, READ)).toBe(true);
    expect(has(TOPIC, Topic.Prices, LITERAL, WRITE)).toBe(false);
  });

  it('only allows, for any host', () => {
    for (const a of acls) {
      expect(a.permissionType).toBe(3); // ALLOW
      expect(a.host).toBe('*');
    }
  });
});

describe('SCRAM credentials', () => {
  it('has a random hex password per principal and the admin, and formats them for kafka-storage', () => {
    const setup = generateSaslSetup();
    const all = [setup.admin, ...Object.values(setup.principals)];
    expect(all.map((c) => c.username)).toEqual(['admin', ...KAFKA_PRINCIPALS]);
    for (const c of all) expect(c.password).toMatch(/^[0-9a-f]{48}$/);
    expect(new Set(all.map((c) => c.password)).size).toBe(all.length);
    const args = scramFormatArgs(setup);
    expect(args.slice(0, 2)).toEqual(['--add-scram', `SCRAM-SHA-512=[name=admin,password=${setup.admin.password}]`]);
    expect(args.filter((a) => a === '--add-scram')).toHaveLength(all.length);
  });

  it('keeps the credentials a broker dir was formatted with, readable by its owner only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sasl-setup-'));
    const first = saslSetupIn(dir, false);
    expect(statSync(join(dir, SASL_CREDENTIALS_FILE)).mode & 0o777).toBe(0o600);
    expect(saslSetupIn(dir, true)).toEqual(first);
    expect(JSON.parse(readFileSync(join(dir, SASL_CREDENTIALS_FILE), 'utf8'))).toEqual(first);
  });

  it('refuses a dir formatted without SASL users', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sasl-setup-'));
    expect(() => saslSetupIn(dir, true)).toThrow(/formatted without SASL users/);
  });
});

describe('kafkaSecurityFromEnv', () => {
  it('is plaintext unless KAFKA_SECURITY=sasl, and refuses other values', () => {
    expect(kafkaSecurityFromEnv({})).toBe('plaintext');
    expect(kafkaSecurityFromEnv({ KAFKA_SECURITY: 'sasl' })).toBe('sasl');
    expect(() => kafkaSecurityFromEnv({ KAFKA_SECURITY: 'ssl' })).toThrow(/KAFKA_SECURITY must be one of/);
  });
});
