#!/usr/bin/env bash
# `make run`: the action server, the Rasa server and the widget demo server under
# scripts/supervise.py, which restarts whichever crashes; Ctrl-C stops all three.
#   scripts/run.sh [--pid-dir DIR]   pid files of the three processes (default var/run)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# Conversations stored before ids were qualified by channel move to <channel>:<id> (idempotent).
python -m actions.retention qualify-ids

export WEB_PORT="${WEB_PORT:-8080}"  # the socket.io channel allows the demo page's origin

telegram="Telegram: off (set TELEGRAM_BOT_TOKEN in .env to turn it on)"
if [ -n "${TELEGRAM_BOT_TOKEN:-}" ]; then telegram="Telegram: on at /webhooks/telegram/webhook (webhook registration is logged above)"; fi

rest_auth="only from this machine (REST_API_TOKEN not set)"
auth_header=""
if [ -n "${REST_API_TOKEN:-}" ]; then
  rest_auth="with the bearer token REST_API_TOKEN"
  auth_header=" -H \"Authorization: Bearer \$REST_API_TOKEN\""
fi

ready=$(cat <<MSG

钱包投诉助手 is ready.
  Talk:    make shell  (in another terminal; through the REST channel, masked like any user)
  REST:    ${rest_auth}; for integrations and tests, never expose it:
           curl -s -XPOST localhost:${RASA_PORT}/webhooks/rest/webhook -H 'Content-Type: application/json'${auth_header} \\
             -d '{"sender":"me","message":"我用支付宝充值失败了"}'
  Health:  http://localhost:${RASA_PORT}/webhooks/health/  (model, action server, knowledge store)
  Web:     http://localhost:${WEB_PORT}/  (help page with the chat widget)
  ${telegram}
  Restarts: a server that crashes is started again (1 s back-off doubling to 30 s); see the log lines.
  Retention: \`make purge\` deletes conversations and case files older than ${RETENTION_DAYS:-180} days (RETENTION_DAYS).
           Schedule it daily: deploy/systemd/ has a timer (or crontab -e:  17 3 * * * cd $ROOT && make purge >> var/purge.log 2>&1)
Press Ctrl-C to stop the servers.
MSG
)
exec python scripts/supervise.py --ready-message "$ready" "$@"
