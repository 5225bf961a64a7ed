#!/usr/bin/env bash
# Train only if config, domain, training data or the NLU components changed since the last model.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

hash_files() {
  find "$@" -type f \( -name '*.yml' -o -name '*.py' -o -name '*.txt' \) -print0 | sort -z | xargs -0 sha256sum \
    | sha256sum | cut -d' ' -f1
}
# Rasa's own training cache keys components by config and data, not by the files a
# component reads (the jieba dictionary) or its code: changes there force a full retrain.
components=$(hash_files bot/nlu)
fingerprint="$(hash_files config.yml domain.yml data) $components"
stamp="${MODEL_PATH%.tar.gz}.fingerprint"
previous=$(cat "$stamp" 2>/dev/null || true)
force=()
if [ "${1:-}" = "--force" ] || [ "${previous#* }" != "$components" ]; then force=(--force); fi
if [ ${#force[@]} -eq 0 ] && [ -f "$MODEL_PATH" ] && [ "$previous" = "$fingerprint" ]; then
  echo "Model $MODEL_PATH is up to date."
  exit 0
fi
echo "Training $MODEL_PATH (data, config, domain or NLU components changed)..."
model_dir=$(dirname "$MODEL_PATH")
model_name=$(basename "$MODEL_PATH" .tar.gz)
rasa train --config config.yml --domain domain.yml --data data --out "$model_dir" --fixed-model-name "$model_name" \
  "${force[@]}"
echo "$fingerprint" > "$stamp"
