# shellcheck shell=bash
# Sourced by the other scripts: asks the one settings reader (assistant_core/settings.py, via
# python-dotenv) for .env plus defaults, the real environment winning, and exports them.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
export VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  echo "No .venv yet: run 'make bootstrap' (or make run / make test) first." >&2
  return 1 2>/dev/null || exit 1
fi
if ! exports="$("$VENV/bin/python" -m assistant_core.settings --shell)"; then
  return 1 2>/dev/null || exit 1
fi
eval "$exports"
# Quieter TensorFlow and no usage telemetry from Rasa.
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export RASA_TELEMETRY_ENABLED=false
export PATH="$VENV/bin:$PATH"
mkdir -p var
