#!/usr/bin/env bash
# Train only if config, domain, training data or the NLU components changed since the last model.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

fingerprint=$(find config.yml domain.yml data bot/nlu -type f \( -name '*.yml' -o -name '*.py' -o -name '*.txt' \) -print0 \
  | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
stamp="${MODEL_PATH%.tar.gz}.fingerprint"
if [ "${1:-}" != "--force" ] && [ -f "$MODEL_PATH" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$fingerprint" ]; then
  echo "Model $MODEL_PATH is up to date."
  exit 0
fi
echo "Training $MODEL_PATH (data, config or domain changed)..."
model_dir=$(dirname "$MODEL_PATH")
model_name=$(basename "$MODEL_PATH" .tar.gz)
rasa train --config config.yml --domain domain.yml --data data --out "$model_dir" --fixed-model-name "$model_name"
echo "$fingerprint" > "$stamp"
