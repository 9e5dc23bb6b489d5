#!/usr/bin/env bash
# Sets up and runs the service on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
exec dotnet run --project src/Host -- --urls http://127.0.0.1:5080
