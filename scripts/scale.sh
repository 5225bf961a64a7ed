#!/usr/bin/env bash
# Scale-out on one machine: PostgreSQL (tracker + knowledge store), Redis (lock store),
# one action server and two Rasa servers sharing every conversation. Ctrl-C stops all.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

while IFS='=' read -r key value; do export "$key=$value"; done < <(scripts/services.sh start)
on_exit_extra="scripts/services.sh stop"
python -m actions.knowledge import --if-changed
python -m actions.retention qualify-ids

python -m actions.server --port "$ACTIONS_PORT" &
pids+=($!)
wait_for "Action server (knowledge store)" "http://127.0.0.1:${ACTIONS_PORT}/health/knowledge" "${pids[-1]}" 60

second_port=$((RASA_PORT + 1))
for port in "$RASA_PORT" "$second_port"; do
  rasa run --model "$MODEL_PATH" --endpoints endpoints.yml --credentials credentials.yml --port "$port" &
  pids+=($!)
done
wait_for "Rasa server 1" "http://127.0.0.1:${RASA_PORT}/webhooks/health/" "${pids[1]}" 240
wait_for "Rasa server 2" "http://127.0.0.1:${second_port}/webhooks/health/" "${pids[2]}" 240

cat <<MSG

Scale-out stack ready: Rasa on ports ${RASA_PORT} and ${second_port} share conversations
(tracker store: PostgreSQL, lock store: Redis ${LOCK_STORE_URL}); action server on ${ACTIONS_PORT}.
Put both Rasa ports behind your load balancer, or try it by hand:
  curl -s -XPOST localhost:${RASA_PORT}/webhooks/rest/webhook -d '{"sender":"me","message":"支付宝充值失败"}'
  curl -s -XPOST localhost:${second_port}/webhooks/rest/webhook -d '{"sender":"me","message":"还是不行"}'
Press Ctrl-C to stop everything.
MSG
wait -n "${pids[@]}"
echo "A server stopped unexpectedly; stopping the rest." >&2
exit 1
