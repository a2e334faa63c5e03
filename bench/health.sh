#!/bin/sh
# bench/health.sh: requests per second and latency of GET /api/health through
# nginx (TLS) -> workers -> PostgreSQL, with wrk. Start script/server first.
# Usage: bench/health.sh [URL] [connections] [seconds]
set -eu
URL=${1:-https://127.0.0.1:8443/api/health}
CONN=${2:-32}
SECS=${3:-10}
command -v wrk >/dev/null || { echo "install wrk (script/bootstrap does)"; exit 1; }
exec wrk -t2 -c"$CONN" -d"${SECS}s" --latency "$URL"
