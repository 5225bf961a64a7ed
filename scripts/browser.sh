#!/usr/bin/env bash
# Install the system Chromium (and a CJK font for readable screenshots) used by
# the browser test; does nothing when /usr/bin/chromium is already there.
# Playwright is pointed at this binary: no browser is ever downloaded.
set -euo pipefail

if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is missing: run 'sudo apt-get install -y chromium chromium-driver fonts-wqy-microhei' (the browser test needs it)." >&2
  exit 1
fi

echo "Installing Chromium and a CJK font from Debian (first time only)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-wqy-microhei >/dev/null
/usr/bin/chromium --version
