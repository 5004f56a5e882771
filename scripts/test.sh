#!/usr/bin/env bash
# The README's test command. Installs what is missing, type-checks, runs the unit tests,
# then the integration and end-to-end tests on a real Kafka and PostgreSQL (local processes
# unless KAFKA_BROKERS/DATABASE_URL or a Docker engine are there), and prints one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh || exit 1
mkdir -p tmp
rm -f tmp/jest-unit.json tmp/jest-integration.json

echo "== type-check"
npx tsc -p tsconfig.typecheck.json
typecheck=$?

echo "== unit tests"
npx jest --ci --testPathIgnorePatterns '\.int-spec\.ts$' --json --outputFile=tmp/jest-unit.json
unit=$?

echo "== integration and end-to-end tests (real Kafka + PostgreSQL)"
npm run -s infra -- run -- npx jest -c jest.integration.config.ts --ci --json --outputFile=tmp/jest-integration.json
integration=$?

node scripts/test-summary.js tmp/jest-unit.json tmp/jest-integration.json
[ $typecheck -eq 0 ] || echo "type-check failed"
[ $typecheck -eq 0 ] && [ $unit -eq 0 ] && [ $integration -eq 0 ]
