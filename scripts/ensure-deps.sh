#!/usr/bin/env bash
# Installs the Debian packages the service and its tests run against, when missing.
set -euo pipefail
need=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
/usr/bin/python3 -c "import aiosmtpd" 2>/dev/null || need+=(python3-aiosmtpd)
# The survey pages' browser tests drive Debian's Chromium (never a downloaded one) and check them with axe-core.
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v npm >/dev/null || need+=(npm)
# A CJK font, so the screenshots of Chinese and Japanese pages show glyphs, not empty boxes (Debian's Chromium
# brings none; customers' devices have their own). WenQuanYi Micro Hei is small and covers Han and kana.
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
# An independent Kafka client: tests publish through it as another team's producer would (and the README uses it).
command -v kcat >/dev/null || need+=(kcat)
# The reply benchmark's load generator (bench/, docs/BENCHMARKS.md).
command -v wrk >/dev/null || need+=(wrk)
# A real IMAP server for the bounce reader's tests (a private instance per test collection, never the system one).
[ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# axe-core, the accessibility rules the page tests run inside the page (npm, into .tools/, which git ignores).
if [ ! -f .tools/axe/node_modules/axe-core/axe.min.js ]; then
  mkdir -p .tools/axe
  npm install --silent --no-audit --no-fund --prefix .tools/axe axe-core@4.10.3 >/dev/null
fi
# helm, for the chart tests (npm, into .tools/).
bash scripts/ensure-helm.sh >/dev/null
