#!/usr/bin/env bash
# The README's demo command: installs what is missing, starts Kafka and PostgreSQL (local
# processes unless KAFKA_BROKERS/DATABASE_URL or Docker are there), runs the four services,
# replays queries from the ParetoBandit dataset (or generated data when it is absent)
# through them with live feedback, prints what the router learned, and shuts everything down.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npm run -s e2e -- --queries "${DEMO_QUERIES:-800}" "$@"
