#!/usr/bin/env bash
# Create and seed the knowledge store if the seed changed since the last import.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
python -m actions.knowledge import --if-changed
