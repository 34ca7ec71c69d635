#!/usr/bin/env bash
# The README's test command: everything a fresh machine needs, then type checking and every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real servers for the tests that prove generated config (PostgreSQL comes from npm's
# embedded-postgres; Redis only from Debian's package).
if ! command -v redis-server >/dev/null 2>&1; then
  echo "test: installing redis-server (Debian package) for the Redis tests"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi

export CDK8S_CHECK_UPGRADE=false
# .npmrc preloads a file by relative path; children started elsewhere must not inherit it.
export NODE_OPTIONS=""
node_modules/.bin/tsc --noEmit -p .
node_modules/.bin/jest "$@"
