#!/usr/bin/env bash
# Build the chat widget: `npm ci` from the committed lock file (only when it
# changed), then bundle web/src into web/dist. `make run` and `make test` call it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../web"

if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: install Node.js 18+ with npm (Debian: apt-get install -y nodejs npm), then re-run." >&2
  exit 1
fi

wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.lock.sha256 2>/dev/null)" != "$wanted" ]; then
  echo "Installing the widget's npm packages (socket.io-client, esbuild)..."
  npm ci --no-audit --no-fund --loglevel=error
  echo "$wanted" > node_modules/.lock.sha256
fi

npm run --silent build
