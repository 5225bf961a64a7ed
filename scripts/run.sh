#!/usr/bin/env bash
# Start the action server and the Rasa server; Ctrl-C stops both.
#   scripts/run.sh          servers in the background of this script, REST channel on
#   scripts/run.sh --shell  action server + `rasa shell` in this terminal
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

source "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

# Conversations stored before ids were qualified by channel move to <channel>:<id> (idempotent).
python -m actions.retention qualify-ids

python -m actions.server --port "$ACTIONS_PORT" &
pids+=($!)
wait_for "Action server (knowledge store)" "http://127.0.0.1:${ACTIONS_PORT}/health/knowledge" "${pids[-1]}" 60

if [ "${1:-}" = "--shell" ]; then
  rasa shell --model "$MODEL_PATH" --endpoints endpoints.yml
  exit 0
fi

export WEB_PORT="${WEB_PORT:-8080}"  # the socket.io channel allows the demo page's origin
api_args=()
if [ -n "${RASA_API_TOKEN:-}" ]; then api_args=(--enable-api --auth-token "$RASA_API_TOKEN"); fi
rasa run --model "$MODEL_PATH" --endpoints endpoints.yml --credentials credentials.yml \
  --port "$RASA_PORT" "${api_args[@]}" &
pids+=($!)
# Ready means: model loaded, action server and knowledge store answering.
wait_for "Rasa server" "http://127.0.0.1:${RASA_PORT}/webhooks/health/" "${pids[-1]}" 180

python web/serve.py --port "$WEB_PORT" &
pids+=($!)
wait_for "Widget demo server" "http://127.0.0.1:${WEB_PORT}/healthz" "${pids[-1]}" 30

telegram="Telegram: off (set TELEGRAM_BOT_TOKEN in .env to turn it on)"
if [ -n "${TELEGRAM_BOT_TOKEN:-}" ]; then telegram="Telegram: on at /webhooks/telegram/webhook (webhook registration is logged above)"; fi

rest_auth="only from this machine (REST_API_TOKEN not set)"
auth_header=""
if [ -n "${REST_API_TOKEN:-}" ]; then
  rest_auth="with the bearer token REST_API_TOKEN"
  auth_header=" -H \"Authorization: Bearer \$REST_API_TOKEN\""
fi

cat <<MSG

钱包投诉助手 is ready.
  REST:    ${rest_auth}; for integrations and tests, never expose it:
           curl -s -XPOST localhost:${RASA_PORT}/webhooks/rest/webhook -H 'Content-Type: application/json'${auth_header} \\
             -d '{"sender":"me","message":"我用支付宝充值失败了"}'
  Health:  http://localhost:${RASA_PORT}/webhooks/health/  (model, action server, knowledge store)
  Web:     http://localhost:${WEB_PORT}/  (help page with the chat widget)
  ${telegram}
  Retention: \`make purge\` deletes conversations and case files older than ${RETENTION_DAYS:-180} days (RETENTION_DAYS).
           Schedule it daily, e.g. crontab -e:  17 3 * * * cd $ROOT && make purge >> var/purge.log 2>&1
Press Ctrl-C to stop the servers.
MSG
wait -n "${pids[@]}"
echo "A server stopped unexpectedly; stopping the other." >&2
exit 1
