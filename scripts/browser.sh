#!/usr/bin/env bash
# Install the system Chromium used by the browser test, with CJK and emoji fonts
# so screenshots are readable; does nothing when they are already installed.
# Playwright is pointed at /usr/bin/chromium: no browser is ever downloaded.
set -euo pipefail

packages=(chromium chromium-driver fonts-wqy-microhei fonts-noto-color-emoji)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ -x /usr/bin/chromium ] && [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing for the browser test: ${missing[*]}. Run: sudo apt-get install -y ${packages[*]}" >&2
  exit 1
fi

echo "Installing ${missing[*]} from Debian for the browser test (first time only)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
/usr/bin/chromium --version 2>/dev/null
