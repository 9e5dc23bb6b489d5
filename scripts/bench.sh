#!/usr/bin/env bash
# Runs the benchmarks (Release build) against a private PostgreSQL and the in-process Kafka broker.
#   bash scripts/bench.sh [events]                 intake, default 100000 events
#   bash scripts/bench.sh ratelimit [rate [secs]]  the shared SMS rate limit, default 50/s over 60 s
#   bash scripts/bench.sh all
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec dotnet run -c Release --project bench/NpsTriggers.Bench -- "$@"
