#!/usr/bin/env bash
# Idempotent set-up of a fresh machine for tests, the demo and CI; silent when everything is
# already there, one line per step it takes. Safe to run or to source (it runs in a subshell and
# leaves the caller's options and directory alone).
#   - npm ci (exactly the committed lock) when node_modules is missing or older than package-lock.json
#     (never through a node_modules that is a link)
#   - Java 17+ and Maven (apt) and the Kafka broker jars (Maven, into a per-machine cache),
#     unless KAFKA_BROKERS points at a broker
#   - PostgreSQL (apt), unless DATABASE_URL points at a database
#   - Chromium (apt) for the dashboard's browser test, unless CHROMIUM_PATH names a browser
# libs/dev/infra installs the same things on demand; doing it here keeps that out of test timeouts.

llm_router_bootstrap() (
  set -euo pipefail
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT

  say() { echo "bootstrap: $*"; }
  fail() {
    echo "bootstrap: $*" >&2
    tail -n 30 "$log" >&2 || true
    exit 1
  }

  apt_install() {
    [ "$(id -u)" -eq 0 ] || fail "need root to apt-get install $*"
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600)
    say "apt-get install $*"
    # Installing first saves the update whenever the package lists already know the package;
    # a fresh machine has no lists, and stale ones 404, so then update and try again.
    if ! "${apt[@]}" install -y --no-install-recommends "$@" >>"$log" 2>&1; then
      say "apt-get update"
      "${apt[@]}" update >>"$log" 2>&1 || fail "apt-get update failed"
      "${apt[@]}" install -y --no-install-recommends "$@" >>"$log" 2>&1 || fail "apt-get install $* failed"
    fi
  }

  # npm ci rewrites node_modules/.package-lock.json; the directory's own mtime says nothing.
  # A node_modules that is a link (a git worktree sharing another checkout's packages) is left
  # alone: npm ci would empty the checkout it points to.
  if [ -L node_modules ]; then
    [ -f node_modules/.package-lock.json ] || fail "node_modules links to $(readlink node_modules), which has no packages"
  elif [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    command -v npm >/dev/null || fail "npm not found: install Node.js 22 first"
    say "npm ci"
    npm ci --no-audit --no-fund --loglevel=error >>"$log" 2>&1 || fail "npm ci failed"
  fi

  if [ -z "${KAFKA_BROKERS:-}" ]; then
    java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1; }
    missing=()
    if ! command -v java >/dev/null || [ "$(java_major)" -lt 17 ] 2>/dev/null; then
      missing+=(openjdk-17-jre-headless)
    fi
    command -v mvn >/dev/null || missing+=(maven)
    [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

    # Same cache and completeness stamp as libs/dev/infra (src/lib/kafka-local.ts): either side
    # accepts the other's download, and an edited pom invalidates it.
    version=${KAFKA_VERSION:-4.1.1}
    cache=${LLM_ROUTER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/llm-router}
    lib="$cache/kafka-$version/lib"
    stamp=$(sha256sum infra/kafka/pom.xml | cut -d' ' -f1)
    if [ "$(cat "$lib/.pom.sha256" 2>/dev/null)" != "$stamp" ]; then
      say "downloading Kafka $version jars with Maven into $lib"
      mkdir -p "$(dirname "$lib")"
      staging=$(mktemp -d "$lib.tmp-XXXXXX")
      trap 'rm -rf "$log" "$staging"' EXIT
      mvn -B -q -Dstyle.color=never -f infra/kafka/pom.xml dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$staging" -Dkafka.version="$version" >>"$log" 2>&1 ||
        fail "mvn dependency:copy-dependencies failed"
      [ -f "$staging/kafka_2.13-$version.jar" ] || fail "no kafka_2.13-$version.jar after mvn"
      echo "$stamp" >"$staging/.pom.sha256"
      # Renamed into place whole, so a broker starting meanwhile never sees half a classpath.
      rm -rf "$lib"
      mv "$staging" "$lib"
    fi
  fi

  if [ -z "${DATABASE_URL:-}" ] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null &&
    ! command -v initdb >/dev/null; then
    apt_install postgresql
  fi

  # The dashboard's browser test drives Debian's Chromium through playwright-core, which never
  # downloads a browser; CHROMIUM_PATH points the test at another one instead.
  if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
    apt_install chromium
  fi
)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  llm_router_bootstrap "$@"
else
  llm_router_bootstrap "$@" || return $?
fi
