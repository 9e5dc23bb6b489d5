#!/usr/bin/env bash
# Runs the benchmarks (Release build) against a private PostgreSQL and the in-process Kafka broker.
#   bash scripts/bench.sh [events]     default 100000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec dotnet run -c Release --project bench/NpsTriggers.Bench -- "$@"
