#!/usr/bin/env bash
# Runs the integration suite three times in a row with a busy loop pinning one core beside it,
# and prints each run's summary line: a check that no test depends on timing (issue 12). Slow
# (three full integration runs): run by hand, never in CI or `npm test`.
#
#   bash scripts/cpu-hog-check.sh                       # the whole integration suite
#   bash scripts/cpu-hog-check.sh test/e2e/x.int-spec.ts  # only these files (jest path patterns)
#   RUNS=1 bash scripts/cpu-hog-check.sh ...              # fewer runs
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
mkdir -p tmp

node -e 'for (;;) {}' &
hog=$!
# Only the loop this script started is stopped, whatever way the script ends.
trap 'kill "$hog" 2>/dev/null' EXIT INT TERM
echo "busy loop on one core: pid $hog"

failed=0
for i in $(seq 1 "$runs"); do
  report="tmp/cpu-hog-run-$i.json"
  rm -f "$report"
  start=$(date +%s)
  npm run -s infra -- run -- npx jest -c jest.integration.config.ts --ci --json --outputFile="$report" "$@" \
    >"tmp/cpu-hog-run-$i.log" 2>&1
  code=$?
  [ $code -eq 0 ] || failed=1
  summary=$(node scripts/test-summary.js "$report" | tail -1)
  echo "run $i/$runs ($(($(date +%s) - start)) s, exit $code): $summary (log: tmp/cpu-hog-run-$i.log)"
done
exit $failed
