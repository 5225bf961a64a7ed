# shellcheck shell=bash
# Sourced by the other scripts: loads .env without overriding the real
# environment, fills in defaults, and exports what endpoints.yml needs.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

if [ -f .env ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%%$'\r'}"
    case "$line" in ''|'#'*) continue ;; esac
    key="${line%%=*}"; value="${line#*=}"
    key="${key// /}"
    [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    value="${value%\"}"; value="${value#\"}"; value="${value%\'}"; value="${value#\'}"
    # The real environment wins over .env.
    if [ -z "${!key+x}" ]; then export "$key=$value"; fi
  done < .env
fi

export RASA_PORT="${RASA_PORT:-5005}"
export ACTIONS_PORT="${ACTIONS_PORT:-5055}"
export ACTION_SERVER_URL="${ACTION_SERVER_URL:-http://127.0.0.1:${ACTIONS_PORT}/webhook}"
export TRACKER_STORE_URL="${TRACKER_STORE_URL:-sqlite:///var/tracker.db}"
export LOCK_STORE_URL="${LOCK_STORE_URL:-}"
export KNOWLEDGE_SEED_PATH="${KNOWLEDGE_SEED_PATH:-knowledge/seed.yml}"
export KNOWLEDGE_DB_URL="${KNOWLEDGE_DB_URL:-sqlite:///var/knowledge.db}"
export MODEL_PATH="${MODEL_PATH:-models/wallet-assistant.tar.gz}"
# Quieter TensorFlow and no usage telemetry from Rasa.
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export RASA_TELEMETRY_ENABLED=false
export VENV="$ROOT/.venv"
export PATH="$VENV/bin:$PATH"
mkdir -p var
