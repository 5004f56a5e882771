import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dlqTopic, Topic } from '@llm-router/contracts';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
  type AclEntry,
  type SASLOptions,
} from 'kafkajs';

/**
 * Who may do what on Kafka (docs/decisions/0021-kafka-sasl-and-acls.md). `plaintext`: no
 * authentication, anyone on the listener may do anything (tests, demo, e2e). `sasl`: clients
 * authenticate with SCRAM-SHA-512, the StandardAuthorizer denies what no ACL allows, and each
 * service's principal is allowed its own topics and consumer groups only.
 */
export type KafkaSecurity = 'plaintext' | 'sasl';
export const KAFKA_SECURITY_MODES: readonly KafkaSecurity[] = ['plaintext', 'sasl'];

/** KAFKA_SECURITY=plaintext|sasl; plaintext when unset. */
export function kafkaSecurityFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaSecurity {
  const raw = env['KAFKA_SECURITY']?.trim() || 'plaintext';
  if (!KAFKA_SECURITY_MODES.includes(raw as KafkaSecurity))
    throw new Error(`KAFKA_SECURITY must be one of ${KAFKA_SECURITY_MODES.join(', ')}, got "${raw}"`);
  return raw as KafkaSecurity;
}

/** The super user: creates topics and ACLs, and is the brokers' own identity between themselves. */
export const KAFKA_ADMIN_USER = 'admin';

/**
 * One principal per service, named after it, plus `client`: an application that puts queries
 * on llm.queries, gives feedback and reads the answers and its batch queries' assignments.
 */
export const KAFKA_PRINCIPALS = ['router', 'price-watcher', 'reward-aggregator', 'batch-planner', 'client'] as const;
export type KafkaPrincipal = (typeof KAFKA_PRINCIPALS)[number];

export interface PrincipalGrants {
  /** Topics it produces to. */
  writes: readonly string[];
  /** Topics it consumes; it may also write their dead-letter topics, where it parks poison messages. */
  reads: readonly string[];
  /** Prefixes of topics it produces to or consumes that are not in the contracts (replyTo topics). */
  writePrefixes?: readonly string[];
  readPrefixes?: readonly string[];
  /** Prefixes of the consumer groups it joins (the apps' default group ids). */
  groupPrefixes: readonly string[];
}

/** Where the router may send answers: REPLY_TOPIC_PATTERN's default, `^replies\.`. */
export const REPLY_TOPIC_PREFIX = 'replies.';

/**
 * What each service produces and consumes today (apps/*: producer.send/sendMany, consumers and
 * @EventPattern handlers; the topic table of docs/architecture.md). Only the price-watcher writes
 * prices, catalog and frontier; only the reward-aggregator writes policy.updates and
 * reward.stream; only routers write answers and decisions.
 */
export const KAFKA_ACL_MATRIX: Record<KafkaPrincipal, PrincipalGrants> = {
  router: {
    // feedback.rewards: POST /v1/feedback; batch.requests: queries with mode=batch go to the planner.
    writes: [Topic.Responses, Topic.Decisions, Topic.BatchRequests, Topic.Feedback],
    writePrefixes: [REPLY_TOPIC_PREFIX],
    reads: [Topic.Queries, Topic.Prices, Topic.Catalog, Topic.PolicyUpdates],
    // QUERIES_GROUP_ID `router`; the replica's `router-replica-<instance>`.
    groupPrefixes: ['router'],
  },
  'price-watcher': {
    writes: [Topic.Prices, Topic.Catalog, Topic.ParetoFrontier],
    reads: [Topic.PolicyUpdates],
    groupPrefixes: ['price-watcher'],
  },
  'reward-aggregator': {
    // feedback.rewards: held judge/heuristic scores are re-published there once their grace passes.
    writes: [Topic.PolicyUpdates, Topic.RewardStream, Topic.Feedback],
    reads: [Topic.Decisions, Topic.Feedback, Topic.RewardStream],
    // AGGREGATOR_GROUP_ID `reward-aggregator`; the dashboard stream's `reward-stream-<pid>-<t>`.
    groupPrefixes: ['reward-aggregator', 'reward-stream-'],
  },
  'batch-planner': {
    // llm.queries: a planned window is dispatched through the router path.
    writes: [Topic.BatchAssignments, Topic.Queries],
    reads: [Topic.BatchRequests, Topic.Prices, Topic.Catalog, Topic.PolicyUpdates],
    groupPrefixes: ['batch-planner'],
  },
  client: {
    writes: [Topic.Queries, Topic.Feedback],
    // batch.assignments: which model each of its batch queries was planned on, and the plan's figures.
    reads: [Topic.Responses, Topic.BatchAssignments],
    readPrefixes: [REPLY_TOPIC_PREFIX],
    groupPrefixes: ['client'],
  },
};

/** The ACLs that grant the matrix: allow rules only, for any host. */
export function kafkaAcls(matrix: Record<string, PrincipalGrants> = KAFKA_ACL_MATRIX): AclEntry[] {
  const allow = (
    principal: string,
    resourceType: AclResourceTypes,
    resourceName: string,
    resourcePatternType: ResourcePatternTypes,
    operation: AclOperationTypes,
  ): AclEntry => ({
    principal: `User:${principal}`,
    host: '*',
    resourceType,
    resourceName,
    resourcePatternType,
    operation,
    permissionType: AclPermissionTypes.ALLOW,
  });
  const { TOPIC, GROUP } = AclResourceTypes;
  const { LITERAL, PREFIXED } = ResourcePatternTypes;
  const { READ, WRITE } = AclOperationTypes;
  return Object.entries(matrix).flatMap(([p, g]) => [
    ...g.writes.map((t) => allow(p, TOPIC, t, LITERAL, WRITE)),
    ...g.reads.map((t) => allow(p, TOPIC, t, LITERAL, READ)),
    ...g.reads.map((t) => allow(p, TOPIC, dlqTopic(t), LITERAL, WRITE)),
    ...(g.writePrefixes ?? []).map((t) => allow(p, TOPIC, t, PREFIXED, WRITE)),
    ...(g.readPrefixes ?? []).map((t) => allow(p, TOPIC, t, PREFIXED, READ)),
    ...g.groupPrefixes.map((group) => allow(p, GROUP, group, PREFIXED, READ)),
  ]);
}

export interface ScramCredential {
  username: string;
  password: string;
}

/** The credentials of a SASL cluster: its super user and one principal per service. */
export interface KafkaSaslSetup {
  mechanism: 'scram-sha-512';
  admin: ScramCredential;
  principals: Record<KafkaPrincipal, ScramCredential>;
}

/** Random passwords (hex: nothing to escape in JAAS, properties or --add-scram). */
export function generateSaslSetup(random: (n: number) => Buffer = randomBytes): KafkaSaslSetup {
  const credential = (username: string): ScramCredential => ({ username, password: random(24).toString('hex') });
  return {
    mechanism: 'scram-sha-512',
    admin: credential(KAFKA_ADMIN_USER),
    principals: Object.fromEntries(KAFKA_PRINCIPALS.map((p) => [p, credential(p)])) as Record<
      KafkaPrincipal,
      ScramCredential
    >,
  };
}

export const SASL_CREDENTIALS_FILE = 'sasl-credentials.json';

/**
 * The credentials of the broker in `dir`: the ones it was formatted with when it exists (a
 * persistent data dir keeps its SCRAM users), else new ones, written there (mode 0600) before
 * the broker is formatted with them.
 */
export function saslSetupIn(dir: string, formatted: boolean): KafkaSaslSetup {
  const file = join(dir, SASL_CREDENTIALS_FILE);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as KafkaSaslSetup;
  if (formatted)
    throw new Error(
      `the Kafka log dir in ${dir} was formatted without SASL users; start it without KAFKA_SECURITY=sasl, or from a fresh data dir`,
    );
  const setup = generateSaslSetup();
  writeFileSync(file, JSON.stringify(setup, null, 2), { mode: 0o600 });
  return setup;
}

/** `kafka-storage format` arguments that create every SCRAM user in the bootstrap metadata (KRaft). */
export function scramFormatArgs(setup: KafkaSaslSetup): string[] {
  return [setup.admin, ...Object.values(setup.principals)].flatMap((c) => [
    '--add-scram',
    `SCRAM-SHA-512=[name=${c.username},password=${c.password}]`,
  ]);
}

/** kafkajs options of one principal. */
export function saslOptions(setup: KafkaSaslSetup, who: KafkaPrincipal | typeof KAFKA_ADMIN_USER): SASLOptions {
  const c = who === KAFKA_ADMIN_USER ? setup.admin : setup.principals[who];
  return { mechanism: setup.mechanism, username: c.username, password: c.password };
}

/** The KAFKA_SASL_* variables a service (libs/io/service config) connects with as `who`. */
export function saslServiceEnv(setup: KafkaSaslSetup, who: KafkaPrincipal): Record<string, string> {
  const c = setup.principals[who];
  return { KAFKA_SASL_MECHANISM: setup.mechanism, KAFKA_SASL_USERNAME: c.username, KAFKA_SASL_PASSWORD: c.password };
}

/**
 * Creates the matrix's ACLs as the super user. Creating an ACL that exists is a no-op, so this
 * is idempotent (a persistent broker gets them again at each start, and a changed matrix adds
 * its new rules; removed rules stay until deleted by hand).
 */
export async function applyKafkaAcls(
  brokers: string[],
  admin: SASLOptions,
  acls: AclEntry[] = kafkaAcls(),
  ssl = false,
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'llm-router-infra-acls',
    brokers,
    sasl: admin,
    ssl,
    logLevel: logLevel.NOTHING,
  });
  const client = kafka.admin();
  await client.connect();
  try {
    await client.createAcls({ acl: acls });
  } finally {
    await client.disconnect();
  }
}
