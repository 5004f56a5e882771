export { startInfrastructure } from './lib/infrastructure';
export type { Infrastructure, LocalDetails, StartInfrastructureOptions } from './lib/infrastructure';
export {
  ensureTopics,
  partitionsCapFromEnv,
  planTopics,
  retentionDaysFromEnv,
  warmUpGroupCoordinator,
} from './lib/topics';
export type { EnsureTopicsOptions, EnsureTopicsResult, TopicDefinition } from './lib/topics';
export { freePort, freePorts, isPortFree, isPortOpen } from './lib/ports';
export { infraFromEnv, selectMode, INFRA_MODES } from './lib/mode';
export type { InfraMode, ModeChoice } from './lib/mode';
export { dockerAvailable } from './lib/docker';
export { ensureKafkaJars, kafkaJarsCached } from './lib/kafka-local';
export { findPostgresBinDir } from './lib/postgres-local';
export { kafkaLibDir, kafkaVersion, DEFAULT_KAFKA_VERSION } from './lib/paths';
export { generateClusterId, kafkaServerProperties } from './lib/kafka-config';
export {
  applyKafkaAcls,
  generateSaslSetup,
  KAFKA_ACL_MATRIX,
  KAFKA_ADMIN_USER,
  KAFKA_PRINCIPALS,
  KAFKA_SECURITY_MODES,
  kafkaAcls,
  kafkaSecurityFromEnv,
  saslOptions,
  saslServiceEnv,
} from './lib/kafka-security';
export type {
  KafkaPrincipal,
  KafkaSaslSetup,
  KafkaSecurity,
  PrincipalGrants,
  ScramCredential,
} from './lib/kafka-security';
export type { InfraLogger } from './lib/logger';
export { createDatabase } from './lib/database';
export {
  clearDataDir,
  dataDirLayout,
  defaultDataDir,
  lockDataDir,
  prepareDataDir,
  readRememberedPorts,
} from './lib/data-dir';
export type { RememberedPorts } from './lib/data-dir';
export { clusterNodeProperties, clusterReplication, startLocalKafkaCluster } from './lib/kafka-cluster';
export type { ClusterNode, LocalKafkaCluster, LocalKafkaClusterOptions } from './lib/kafka-cluster';
export { startClusterInfrastructure, startRestartablePostgres } from './lib/cluster-infrastructure';
export type {
  ClusterInfrastructure,
  RestartablePostgres,
  StartClusterInfrastructureOptions,
} from './lib/cluster-infrastructure';
