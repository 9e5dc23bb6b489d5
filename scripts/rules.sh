#!/usr/bin/env bash
# Ops tools for the send rules (docs/RULES.md):
#   bash scripts/rules.sh validate FILE
#   bash scripts/rules.sh simulate --rules FILE --event EVENT.json [--now 2026-11-02T08:00:00Z]
#   bash scripts/rules.sh preview  --rules FILE --event EVENT.json
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run --project src/Host -v q -- rules "$@"
