#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests need first (see scripts/ensure-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
dotnet test NpsTriggers.sln --nologo --logger "console;verbosity=normal"
