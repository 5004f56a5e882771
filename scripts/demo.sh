#!/usr/bin/env bash
# The README's demo command: installs what is missing, starts Kafka and PostgreSQL (local
# processes unless KAFKA_BROKERS/DATABASE_URL or Docker are there), runs the four services,
# replays queries from the ParetoBandit dataset (or generated data when it is absent)
# through them with live feedback, prints what the router learned, and shuts everything down.
#
# With the dataset, as docs/replay.md measures it: the services are primed from one half of
# val.jsonl (WARM_START_FILE) and route the other half at a steady DEMO_RATE queries per second
# under a budget of DEMO_BUDGET dollars per query, learning from feedback as it comes; the
# replay of the same rows in the same order runs beside them for comparison.
# Further arguments go to `npm run e2e` and override these (see `npm run e2e -- --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
data=../shared/data/paretobandit/val.jsonl
args=(--rate "${DEMO_RATE:-100}")
if [ -f "$data" ]; then
  halves=$(mktemp -d)
  trap 'rm -rf "$halves"' EXIT
  head -n 892 "$data" > "$halves/val-a.jsonl"
  tail -n +893 "$data" > "$halves/val-b.jsonl"
  args+=(--data "$halves/val-b.jsonl" --warm-start "$halves/val-a.jsonl" --models "$(dirname "$data")/models_k3.json"
    --queries "${DEMO_QUERIES:-893}" --budget "${DEMO_BUDGET:-0.00023}")
else
  args+=(--queries "${DEMO_QUERIES:-800}")
fi
npm run -s e2e -- "${args[@]}" "$@"
