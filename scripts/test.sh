#!/usr/bin/env bash
# The README's test command. Installs what is missing, checks the format, lints (the
# architecture's module boundaries included), type-checks, runs the unit tests,
# then the integration and end-to-end tests on a real Kafka and PostgreSQL (local processes
# unless KAFKA_BROKERS/DATABASE_URL or a Docker engine are there), and prints one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh || exit 1
mkdir -p tmp
rm -f tmp/jest-unit.json tmp/jest-integration.json

echo "== format (prettier --check)"
npx prettier --check --log-level warn .
format=$?

echo "== lint (eslint, module boundaries)"
# The boundary rule reads Nx's cached project graph and skips itself without one.
npx nx show projects >/dev/null && npx eslint --quiet .
lint=$?

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
[ $format -eq 0 ] || echo "format check failed: run npx prettier --write ."
[ $lint -eq 0 ] || echo "lint failed"
[ $typecheck -eq 0 ] || echo "type-check failed"
[ $format -eq 0 ] && [ $lint -eq 0 ] && [ $typecheck -eq 0 ] && [ $unit -eq 0 ] && [ $integration -eq 0 ]
