#!/bin/bash
# The docker-compose broker: KRaft, clients on SASL_PLAINTEXT with SCRAM-SHA-512, the controller
# on SASL PLAIN, the StandardAuthorizer with User:admin as the only super user, and a SCRAM user
# per service created in the bootstrap metadata. The same settings as libs/dev/infra
# kafkaSaslProperties (the local broker of KAFKA_SECURITY=sasl); the ACLs come from the
# one-shot kafka-setup service (`infra topics --acls`). docs/decisions/0021-kafka-sasl-and-acls.md
set -euo pipefail

: "${CLUSTER_ID:?}" "${KAFKA_ADMIN_PASSWORD:?}"
config=/tmp/llm-router/server.properties
mkdir -p /tmp/llm-router
umask 077

cat >"$config" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@kafka:9093
listeners=SASL_PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=SASL_PLAINTEXT://kafka:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}" user_admin="${KAFKA_ADMIN_PASSWORD}";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.dirs=/tmp/kraft-combined-logs
PROPS

# For the healthcheck: the admin's client settings.
cat >/tmp/llm-router/admin.properties <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}";
PROPS

# KAFKA_PASSWORD_<PRINCIPAL>, e.g. KAFKA_PASSWORD_PRICE_WATCHER for User:price-watcher.
scram=(--add-scram "SCRAM-SHA-512=[name=admin,password=${KAFKA_ADMIN_PASSWORD}]")
for user in router price-watcher reward-aggregator batch-planner client; do
  var="KAFKA_PASSWORD_$(tr 'a-z-' 'A-Z_' <<<"$user")"
  scram+=(--add-scram "SCRAM-SHA-512=[name=${user},password=${!var:?set $var}]")
done
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "$CLUSTER_ID" -c "$config" "${scram[@]}"
exec /opt/kafka/bin/kafka-server-start.sh "$config"
