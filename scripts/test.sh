#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests need first (see scripts/ensure-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test NpsTriggers.sln --nologo --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
    # The hosts' logs interleave with the results, and a run's end is often all that is kept: repeat each failure's
    # name and message (not its stack trace) at the end.
    echo
    echo "==== failed tests, repeated from above ===="
    awk '/^  Failed /{p=1; n=0; print; next}
         p && /^  Stack Trace:/{p=0}
         p && n < 12 {print; n++}
         /^  (Passed|Skipped) /{p=0}' "$log"
    grep -E '^\s*(Failed|Passed|Total tests|Total time)' "$log" | grep -v -E '^\s+(Passed|Failed) [A-Z]' || true
fi
exit "$status"
